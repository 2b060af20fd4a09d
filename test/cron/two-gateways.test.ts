import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exited, type GatewayChild, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { cronEvent } from '../helpers/cron.ts';
import { TEST_TOKEN } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

/** Short enough for a quick hand-over, long enough that a loaded machine does not lose it between renewals. */
const LEASE_MS = 2_000;
const RENEW_MS = Math.floor(LEASE_MS / 3);
const EVERY_MS = 300;
const WAIT_MS = 20_000;
/** What a loaded machine may add to a hand-over on top of the lease, its renewal cadence and one slot. */
const TAKEOVER_SLACK_MS = 5_000;

type Entry = { runId: string; runAtMs: number; status: string };
type Gateway = { child: GatewayChild; client: RawClient; name: string };

async function ok<T>(client: RawClient, method: string, params: unknown): Promise<T> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

async function start(t: Parameters<typeof tempDir>[0], stateDir: string, name: string): Promise<Gateway> {
  const child = await startGatewayChild(t, ['--port', '0', '--token', TEST_TOKEN], stateDir, {
    CLAWGATE_CRON_LEASE_MS: String(LEASE_MS),
  });
  const { client, hello } = await connectClient(child.url, TEST_TOKEN);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return { child, client, name };
}

const scheduler = async (gw: Gateway) =>
  (await ok<{ scheduler: string }>(gw.client, 'cron.status', {})).scheduler;

/** Run ids of the runs this gateway started (its own `cron` events: a gateway announces only what it runs). */
function startedBy(gw: Gateway, jobId: string): Frame[] {
  return gw.client.frames.filter(cronEvent('started', jobId));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('two gateway processes on one state dir: one runs the jobs, no slot runs twice, and after kill -9 the other takes over within the lease', async (t) => {
  const stateDir = tempDir(t, 'clawgate-cron-two-');
  const first = await start(t, stateDir, 'first');
  const second = await start(t, stateDir, 'second');
  const roles = [await scheduler(first), await scheduler(second)];
  assert.deepEqual(roles.sort(), ['leader', 'standby'], 'exactly one scheduler leads');

  const leaderNow = async () => ((await scheduler(first)) === 'leader' ? first : second);
  const leader = await leaderNow();
  const job = await ok<{ id: string; schedule: { anchorMs: number } }>(leader.client, 'cron.add', {
    name: 'tick',
    schedule: { kind: 'every', everyMs: EVERY_MS },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'tick' },
  });
  const runsOf = async (gw: Gateway) =>
    (await ok<{ entries: Entry[] }>(gw.client, 'cron.runs', { id: job.id, limit: 200, sortDir: 'asc' }))
      .entries;
  await until('five runs', async () => ((await runsOf(second)).length >= 5 ? true : undefined));

  // kill -9 whichever leads now (normally the first; a stalled renewal may have handed it over, which is allowed).
  const victim = await leaderNow();
  const survivor = victim === first ? second : first;
  const before = startedBy(survivor, job.id).length;
  const killedAt = Date.now();
  victim.child.child.kill('SIGKILL');
  await exited(victim.child.child);
  const takeover = await until('the survivor to run the job', () =>
    startedBy(survivor, job.id).length > before ? Date.now() : undefined,
  );
  const takeoverMs = takeover - killedAt;
  assert.ok(
    takeoverMs <= LEASE_MS + RENEW_MS + EVERY_MS + TAKEOVER_SLACK_MS,
    `took over ${takeoverMs} ms after the kill (lease ${LEASE_MS} ms)`,
  );
  assert.equal(await scheduler(survivor), 'leader');
  await until('three runs by the survivor', () =>
    startedBy(survivor, job.id).length >= before + 3 ? true : undefined,
  );

  // Every recorded run was started by exactly one of the two, and no slot of the schedule ran twice.
  const entries = (await runsOf(survivor)).filter((entry) => !entry.runId.startsWith('interrupted:'));
  const ids = (gw: Gateway) =>
    startedBy(gw, job.id).map((frame) => String((frame.payload as { runAtMs: number }).runAtMs));
  const byFirst = new Set(ids(first));
  const bySecond = new Set(ids(second));
  assert.equal([...byFirst].filter((at) => bySecond.has(at)).length, 0, 'no run started by both');
  const slots = entries.map((entry) => Math.floor((entry.runAtMs - job.schedule.anchorMs) / EVERY_MS));
  assert.equal(new Set(slots).size, slots.length, `a slot ran twice: ${slots.join(', ')}`);
  assert.equal(new Set(entries.map((entry) => entry.runId)).size, entries.length);
  for (const entry of entries) {
    assert.ok(
      byFirst.has(String(entry.runAtMs)) || bySecond.has(String(entry.runAtMs)),
      `run ${entry.runId} was announced by neither gateway`,
    );
  }
  t.diagnostic(
    `runs: ${entries.length} (${byFirst.size} by the first, ${bySecond.size} by the second); takeover ${takeoverMs} ms after kill -9`,
  );
});
