import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { databasePath } from '../../src/storage/database.ts';
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

/** Whether no process holds the database's write lock (a write transaction, a truncating checkpoint). */
function writeLockFree(db: DatabaseSync): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGSTOP, retried until the process stopped outside a write transaction. Stopped inside one it would keep
 * SQLite's write lock, and the other gateway could write nothing, not even the lease: a stall SQLite itself
 * cannot get past, not the one under test (a leader that stops renewing).
 */
async function stopOutsideTransaction(child: ChildProcess, stateDir: string): Promise<void> {
  const db = new DatabaseSync(databasePath(stateDir));
  db.exec('PRAGMA busy_timeout = 0');
  const state = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.[0];
  try {
    for (let attempt = 0; ; attempt++) {
      child.kill('SIGSTOP');
      await until('the process to stop', () => (state() === 'T' ? true : undefined));
      if (writeLockFree(db)) return;
      assert.ok(attempt < 100, 'the process never stopped outside a write transaction');
      child.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  } finally {
    db.close();
  }
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

test('two gateway processes on one state dir: one leads and runs what the other adds, a stalled leader is replaced after its lease and stands down, a killed one at once, and no slot runs twice', async (t) => {
  const stateDir = tempDir(t, 'clawgate-cron-two-');
  const first = await start(t, stateDir, 'first');
  const second = await start(t, stateDir, 'second');
  const roles = [await scheduler(first), await scheduler(second)];
  assert.deepEqual([...roles].sort(), ['leader', 'standby'], 'exactly one scheduler leads');
  const [leader, standby] = roles[0] === 'leader' ? [first, second] : [second, first];

  const job = await ok<{ id: string; schedule: { anchorMs: number } }>(leader.client, 'cron.add', {
    name: 'tick',
    schedule: { kind: 'every', everyMs: EVERY_MS },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'tick' },
  });
  const started = (gw: Gateway) => startedBy(gw, job.id).length;
  await until('five runs', () => (started(leader) >= 5 ? true : undefined));

  // A job added through the standby: the leader finds it at its next lease check and runs it.
  const added = await ok<{ id: string }>(standby.client, 'cron.add', {
    name: 'from the standby',
    schedule: { kind: 'at', at: new Date(Date.now() + 500).toISOString() },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'from the standby' },
  });
  await until('the leader to run the job the standby added', () =>
    startedBy(leader, added.id).length > 0 ? true : undefined,
  );
  assert.equal(startedBy(standby, added.id).length, 0, 'the standby ran nothing');

  // A stalled leader (SIGSTOP) is alive: the standby waits out its lease, then leads.
  const stoppedAt = Date.now();
  const byStandby = started(standby);
  t.after(() => leader.child.child.kill('SIGCONT'));
  await stopOutsideTransaction(leader.child.child, stateDir);
  await until('the standby to take over', () => (started(standby) > byStandby ? true : undefined));
  const stallTakeoverMs = Date.now() - stoppedAt;
  assert.ok(
    stallTakeoverMs >= LEASE_MS - RENEW_MS - 100,
    `took over ${stallTakeoverMs} ms after the stall: before the lease (${LEASE_MS} ms) lapsed`,
  );
  const byStalled = started(leader);
  leader.child.child.kill('SIGCONT');
  await until('the stalled one to stand down', async () =>
    (await scheduler(leader)) === 'standby' ? true : undefined,
  );
  await until('three more runs by the new leader', () =>
    started(standby) >= byStandby + 3 ? true : undefined,
  );
  assert.equal(started(leader), byStalled, 'the resumed gateway ran nothing once its lease had lapsed');

  // A killed leader is gone: the other sees its process is no more and leads at its next lease check.
  const killedAt = Date.now();
  const byResumed = started(leader);
  standby.child.child.kill('SIGKILL');
  await exited(standby.child.child);
  await until('the first to lead again', () => (started(leader) > byResumed ? true : undefined));
  const killTakeoverMs = Date.now() - killedAt;
  assert.ok(
    killTakeoverMs <= RENEW_MS + EVERY_MS + TAKEOVER_SLACK_MS,
    `took over ${killTakeoverMs} ms after kill -9: the dead holder's lease was waited out`,
  );
  assert.equal(await scheduler(leader), 'leader');

  // Every recorded run was started by exactly one of the two, and no slot of the schedule ran twice.
  const { entries } = await ok<{ entries: Entry[] }>(leader.client, 'cron.runs', {
    id: job.id,
    limit: 200,
    sortDir: 'asc',
  });
  const runs = entries.filter((entry) => !entry.runId.startsWith('interrupted:'));
  const starts = (gw: Gateway) =>
    new Set(startedBy(gw, job.id).map((frame) => (frame.payload as { runAtMs: number }).runAtMs));
  const [byFirst, bySecond] = [starts(first), starts(second)];
  assert.deepEqual(
    [...byFirst].filter((at) => bySecond.has(at)),
    [],
    'no run started by both',
  );
  const slots = runs.map((entry) => Math.floor((entry.runAtMs - job.schedule.anchorMs) / EVERY_MS));
  assert.equal(new Set(slots).size, slots.length, `a slot ran twice: ${slots.join(', ')}`);
  for (const entry of runs) {
    assert.ok(
      byFirst.has(entry.runAtMs) || bySecond.has(entry.runAtMs),
      `run ${entry.runId} was announced by neither gateway`,
    );
  }
  t.diagnostic(
    `runs: ${runs.length} (${byFirst.size} by the first, ${bySecond.size} by the second); takeover ${stallTakeoverMs} ms after SIGSTOP (lease ${LEASE_MS} ms), ${killTakeoverMs} ms after kill -9`,
  );
});
