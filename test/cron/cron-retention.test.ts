import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { endedTask, runningTask } from '../../src/cron/task-ledger.ts';
import type { CronRunEntry, TaskSummary } from '../../src/cron/types.ts';
import { SqliteCronPrune } from '../../src/storage/sqlite-cron-prune.ts';
import { SqliteCronStore } from '../../src/storage/sqlite-cron-store.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import type { PruneReport, RetentionPolicy } from '../../src/storage/store.ts';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { RawClient } from '../helpers/raw-client.ts';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 12);
const KEEP_SESSIONS = { runs: false, resetArchives: false } as const;

type Harness = { sqlite: SqliteStore; store: SqliteCronStore };

function harness(t: TestContext): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-cron-retention-'));
  const sqlite = SqliteStore.open(dir);
  t.after(() => {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sqlite, store: new SqliteCronStore(sqlite.database, (work) => sqlite.write(work)) };
}

/** One finished run of `jobId` that started at `runAtMs` and took a second, with its task. */
async function run(h: Harness, jobId: string, runAtMs: number, runtime = 'cron'): Promise<TaskSummary> {
  const runId = `cron:${jobId}:${runAtMs}`;
  const started = runningTask(
    { runtime, title: jobId, runId, sourceId: jobId, progressSummary: '', deliveryStatus: 'not_applicable' },
    runAtMs,
  );
  const task = endedTask(started, { status: 'completed', endedAt: runAtMs + 1000 });
  const entry: CronRunEntry = {
    ts: runAtMs + 1000,
    jobId,
    action: 'finished',
    status: 'ok',
    runId,
    runAtMs,
    durationMs: 1000,
    deliveryStatus: 'not-requested',
  };
  await h.store.finishRun(jobId, () => undefined, entry, task);
  return task;
}

async function history(h: Harness, jobId: string): Promise<number[]> {
  const { entries } = await h.store.listRuns({ jobId, limit: 10_000, offset: 0, sortDir: 'asc' });
  return entries.map((entry) => entry.runAtMs);
}

async function taskIds(h: Harness): Promise<Set<string>> {
  return new Set((await h.store.listTasks({ limit: 10_000 })).map((task) => task.id));
}

test('cron run history is pruned by age and by the per-job cap, with the tasks of the runs it removes; running tasks stay', async (t) => {
  const h = harness(t);
  // `busy`: 3 runs 8–10 days old and 10 recent ones; `quiet`: 2 recent runs, under the cap.
  const old = [10, 9, 8].map((days) => NOW - days * DAY_MS);
  const recent = Array.from({ length: 10 }, (_, i) => NOW - DAY_MS + i * 60_000);
  const tasks = new Map<number, TaskSummary>();
  for (const at of [...old, ...recent]) tasks.set(at, await run(h, 'busy', at));
  const quiet = [await run(h, 'quiet', NOW - 2 * DAY_MS), await run(h, 'quiet', NOW - DAY_MS)];
  // A webhook task of the same age as the pruned runs, and a cron task still running, 30 days old.
  const hookTask = await run(h, 'busy-hook', NOW - 2 * DAY_MS, 'webhook');
  const stuck = runningTask(
    {
      runtime: 'cron',
      title: 'stuck',
      runId: 'cron:busy:stuck',
      sourceId: 'busy',
      progressSummary: '',
      deliveryStatus: 'not_applicable',
    },
    NOW - 30 * DAY_MS,
  );
  await h.store.putTask(stuck);

  const policy: RetentionPolicy = {
    ...KEEP_SESSIONS,
    cronRuns: 7 * DAY_MS,
    cronRunsPerJob: 4,
    tasks: 7 * DAY_MS,
  };
  const dry = await h.sqlite.prune(policy, NOW, { dryRun: true });
  assert.deepEqual([dry.cronRuns, dry.tasks], [3 + 6, 3], 'warn mode counts each entry once');
  assert.equal((await history(h, 'busy')).length, 13, 'a dry run deletes nothing');

  const report = await h.sqlite.prune(policy, NOW);
  assert.equal(report.cronRuns, 3 + 6);
  assert.deepEqual(await history(h, 'busy'), recent.slice(-4), 'the newest 4 of the last 7 days');
  assert.deepEqual(await history(h, 'quiet'), [NOW - 2 * DAY_MS, NOW - DAY_MS]);
  const left = await taskIds(h);
  for (const at of recent.slice(-4)) assert.ok(left.has(tasks.get(at)!.id), 'a kept run keeps its task');
  for (const at of [...old, ...recent.slice(0, 6)]) {
    assert.ok(!left.has(tasks.get(at)!.id), `the task of the pruned run at ${at} went with it`);
  }
  for (const task of [...quiet, hookTask, stuck]) assert.ok(left.has(task.id), `${task.title} is kept`);
  assert.equal(report.tasks, 3 + 6);

  const again = await h.sqlite.prune(policy, NOW);
  assert.deepEqual([again.cronRuns, again.tasks], [0, 0]);

  // false keeps everything of that kind.
  const none = await h.sqlite.prune(
    { ...KEEP_SESSIONS, cronRuns: false, cronRunsPerJob: false, tasks: false },
    NOW + 365 * DAY_MS,
  );
  assert.deepEqual([none.cronRuns, none.tasks], [0, 0]);
});

test('the per-job cap works in bounded batches: a long history and more jobs than one batch visits', async (t) => {
  const h = harness(t);
  for (let i = 0; i < 10; i++) await run(h, 'long', NOW - i * 60_000);
  for (let j = 0; j < 25; j++) {
    for (let i = 0; i < 3; i++) await run(h, `job-${String(j).padStart(2, '0')}`, NOW - i * 60_000);
  }
  const report: PruneReport = {
    idempotency: 0,
    runs: 0,
    resetArchives: 0,
    cronRuns: 0,
    tasks: 0,
    batches: 0,
  };
  const prune = new SqliteCronPrune(h.sqlite.database);
  await prune.prune(
    { ...KEEP_SESSIONS, cronRunsPerJob: 1 },
    NOW,
    {},
    report,
    (work) => h.sqlite.write(work),
    3,
  );
  assert.equal(report.cronRuns, 9 + 25 * 2);
  assert.equal(report.tasks, 9 + 25 * 2);
  assert.ok(report.batches > 3, `${report.batches} batches`);
  assert.deepEqual(await history(h, 'long'), [NOW]);
  for (let j = 0; j < 25; j++) assert.deepEqual(await history(h, `job-${String(j).padStart(2, '0')}`), [NOW]);
  assert.equal((await taskIds(h)).size, 26);
});

async function ok<T>(client: RawClient, method: string, params: unknown): Promise<T> {
  const res = await client.request(method, params, 10_000);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

test('gateway.maintenance.cronRunsPerJob applies live: a config.patch prunes the history at the next pass', async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { maintenance: { intervalMs: 3_600_000, cronRunsPerJob: false } } },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const job = await ok<{ id: string }>(client, 'cron.add', {
    name: 'often',
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'often' },
  });
  for (let i = 0; i < 4; i++) {
    const { runId } = await ok<{ runId: string }>(client, 'cron.run', { id: job.id, mode: 'force' });
    await client.waitFor((f) => {
      const p = f.payload as { action?: string; runId?: string } | undefined;
      return f.event === 'cron' && p?.action === 'finished' && p.runId === runId;
    }, 10_000);
  }
  const runs = () => ok<{ total: number }>(client, 'cron.runs', { id: job.id, limit: 10 });
  assert.equal((await runs()).total, 4);
  const tasksOf = async () =>
    (await ok<{ tasks: { sourceId?: string }[] }>(client, 'tasks.list', {})).tasks.filter(
      (task) => task.sourceId === job.id,
    ).length;
  assert.equal(await tasksOf(), 4);

  const { hash } = await ok<{ hash: string }>(client, 'config.get', {});
  await ok(client, 'config.patch', {
    baseHash: hash,
    raw: JSON.stringify({ gateway: { maintenance: { intervalMs: 50, cronRunsPerJob: 2 } } }),
  });
  const deadline = Date.now() + 10_000;
  while ((await runs()).total > 2) {
    assert.ok(Date.now() < deadline, 'the history was not pruned to 2 entries within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await tasksOf(), 2, "the pruned runs' tasks went with them");
});
