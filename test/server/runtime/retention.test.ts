import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay, setImmediate as turn } from 'node:timers/promises';
import { defaultConfig } from '../../../src/config/defaults.ts';
import type { GatewayConfig } from '../../../src/config/types.ts';
import { createLogger } from '../../../src/logging/logger.ts';
import {
  type PassOutcome,
  type RetentionDeps,
  RetentionTask,
} from '../../../src/server/runtime/retention.ts';
import { DATABASE_FILE_NAME } from '../../../src/storage/database.ts';
import { SqliteStore } from '../../../src/storage/sqlite-store.ts';
import type { PruneReport } from '../../../src/storage/store.ts';
import { admin, configGet } from '../../helpers/admin.ts';
import { startTestGateway } from '../../helpers/gateway.ts';

const DAY_MS = 86_400_000;
const NOW = Date.now();
const KEY = 'agent:main:main';
const NOTHING: PruneReport = {
  idempotency: 0,
  runs: 0,
  resetArchives: 0,
  cronRuns: 0,
  tasks: 0,
  batches: 0,
};

type Harness = {
  dir: string;
  store: SqliteStore;
  config: GatewayConfig;
  logFile: string;
  /** The console lines the logger wrote, `<time> <LEVEL> <message> <fields>`. */
  lines: string[];
  task: RetentionTask;
  /** Resolves with the outcome of the next pass to end. */
  nextPass(): Promise<PassOutcome>;
};

/** A task on a real SQLite store and logger in a temp dir, the clock at NOW; stopped when the test ends. */
function harness(
  t: TestContext,
  tune: (config: GatewayConfig) => void = () => {},
  deps: Partial<RetentionDeps> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-retention-task-'));
  const store = SqliteStore.open(dir);
  const lines: string[] = [];
  const logFile = join(dir, 'logs', 'gateway.log');
  const logger = createLogger({ level: 'debug', file: logFile, console: (line) => lines.push(line) });
  const config = defaultConfig();
  config.gateway.maintenance.intervalMs = 1;
  tune(config);
  const waiting: ((outcome: PassOutcome) => void)[] = [];
  const task = new RetentionTask({
    store,
    logger,
    config: () => config,
    logFile,
    now: () => NOW,
    onPass: (outcome) => {
      for (const resolve of waiting.splice(0)) resolve(outcome);
    },
    ...deps,
  });
  t.after(async () => {
    await task.stop();
    store.close();
    logger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const nextPass = () => new Promise<PassOutcome>((resolve) => waiting.push(resolve));
  return { dir, store, config, logFile, lines, task, nextPass } satisfies Harness;
}

function reportOf(outcome: PassOutcome) {
  assert.ok('report' in outcome, `the pass failed: ${'error' in outcome ? outcome.error.stack : ''}`);
  return outcome.report;
}

/** A file last written `daysAgo` days before NOW. */
function writeAged(path: string, daysAgo: number): void {
  writeFileSync(path, '{}\n');
  const at = (NOW - daysAgo * DAY_MS) / 1000;
  utimesSync(path, at, at);
}

/**
 * One row of each kind just past the default retention and one just inside it: idempotency (expired / not yet /
 * running), runs (ended 30 d + 1 ms ago / 29 d ago / running for 60 d), transcripts (reset 30 d + 1 ms ago with two
 * messages / 29 d ago / the current one), log archives (20 d / 1 d old).
 */
async function seed(h: Harness) {
  const { store, logFile } = h;
  for (const [key, status, expiresAt] of [
    ['expired', 'done', NOW],
    ['fresh', 'done', NOW + 1],
    ['in-flight', 'running', NOW - DAY_MS],
  ] as const) {
    await store.putIdempotency({ key, method: 'chat.send', status, expiresAt });
  }
  const session = await store.ensureSession(KEY, 'main', NOW - 60 * DAY_MS);
  const base = { sessionKey: KEY, sessionId: session.sessionId, agentId: 'main' };
  await store.startRun({ ...base, runId: 'old', startedAt: NOW - 40 * DAY_MS });
  await store.finishRun('old', 'ok', NOW - 30 * DAY_MS - 1);
  await store.startRun({ ...base, runId: 'recent', startedAt: NOW - 40 * DAY_MS });
  await store.finishRun('recent', 'ok', NOW - 29 * DAY_MS);
  await store.startRun({ ...base, runId: 'running', startedAt: NOW - 60 * DAY_MS });
  const say = (content: string, timestamp: number) =>
    store.appendMessage({ sessionKey: KEY, role: 'user', content, timestamp });
  await say('first 1', NOW - 40 * DAY_MS);
  await say('first 2', NOW - 40 * DAY_MS);
  await store.resetSession(KEY, NOW - 30 * DAY_MS - 1);
  await say('second', NOW - 30 * DAY_MS);
  await store.resetSession(KEY, NOW - 29 * DAY_MS);
  await say('current', NOW - 60 * DAY_MS);
  mkdirSync(join(h.dir, 'logs'), { recursive: true });
  writeAged(`${logFile}.1`, 1);
  writeAged(`${logFile}.2`, 20);
}

const count = (store: SqliteStore, sql: string) =>
  Number((store.database.prepare(sql).get() as { n: number }).n);

test('a pass prunes what is past retention, keeps the rest, logs the counts at info and truncates the -wal', async (t) => {
  const h = harness(t);
  await seed(h);
  writeFileSync(h.logFile, '{"live":true}\n');
  h.task.start();
  const report = reportOf(await h.nextPass());

  assert.deepEqual(
    { ...report, durationMs: 0 },
    {
      idempotency: 1,
      runs: 1,
      resetArchives: 2,
      cronRuns: 0,
      tasks: 0,
      // One per kind: idempotency, runs, reset archives, cron runs by age, by the per-job cap, tasks.
      batches: 6,
      logArchives: 1,
      mode: 'enforce',
      complete: true,
      durationMs: 0,
    },
  );
  const info = h.lines.filter((line) => / INFO /.test(line));
  assert.equal(info.length, 1, info.join('\n'));
  assert.match(
    info[0]!,
    /maintenance pruned 1 idempotency record, 1 run record, 2 messages of reset transcripts, 1 log archive/,
  );
  assert.deepEqual(
    (h.store.database.prepare('SELECT key FROM idempotency ORDER BY key').all() as { key: string }[]).map(
      (r) => r.key,
    ),
    ['fresh', 'in-flight'],
  );
  assert.equal(await h.store.getRun('old'), undefined);
  assert.equal((await h.store.getRun('recent'))?.status, 'ok');
  assert.equal((await h.store.getRun('running'))?.status, 'running');
  assert.deepEqual(
    (
      h.store.database.prepare('SELECT content FROM messages ORDER BY seq').all() as { content: string }[]
    ).map((r) => JSON.parse(r.content)),
    ['second', 'current'],
  );
  assert.ok(existsSync(h.logFile), 'the live log file stays');
  assert.ok(readFileSync(h.logFile, 'utf8').startsWith('{"live":true}'));
  assert.ok(existsSync(`${h.logFile}.1`) && !existsSync(`${h.logFile}.2`));
  assert.equal(statSync(join(h.dir, `${DATABASE_FILE_NAME}-wal`)).size, 0, 'checkpointed');

  const again = reportOf(await h.nextPass());
  assert.deepEqual(
    { ...again, batches: 0, durationMs: 0 },
    { ...NOTHING, logArchives: 0, mode: 'enforce', complete: true, durationMs: 0 },
  );
  assert.ok(
    h.lines.some((line) => / DEBUG maintenance: nothing to prune/.test(line)),
    'nothing due: a debug line',
  );
  assert.equal(
    h.lines.filter((line) => / INFO /.test(line)).length,
    1,
    'no info line when nothing was pruned',
  );
});

test('warn mode deletes nothing and logs at warn what it would prune', async (t) => {
  const h = harness(t, (config) => {
    config.session.maintenance.mode = 'warn';
  });
  await seed(h);
  const before = {
    idempotency: count(h.store, 'SELECT count(*) AS n FROM idempotency'),
    runs: count(h.store, 'SELECT count(*) AS n FROM runs'),
    messages: count(h.store, 'SELECT count(*) AS n FROM messages'),
  };
  h.task.start();
  const report = reportOf(await h.nextPass());
  assert.deepEqual(
    { ...report, durationMs: 0 },
    {
      idempotency: 1,
      runs: 1,
      resetArchives: 2,
      cronRuns: 0,
      tasks: 0,
      batches: 0,
      logArchives: 1,
      mode: 'warn',
      complete: true,
      durationMs: 0,
    },
  );
  assert.deepEqual(
    {
      idempotency: count(h.store, 'SELECT count(*) AS n FROM idempotency'),
      runs: count(h.store, 'SELECT count(*) AS n FROM runs'),
      messages: count(h.store, 'SELECT count(*) AS n FROM messages'),
    },
    before,
  );
  assert.ok(existsSync(`${h.logFile}.2`), 'log archives kept');
  const warn = h.lines.filter((line) => / WARN /.test(line));
  assert.match(
    warn[0] ?? '',
    /maintenance \(warn mode\) would prune 1 idempotency record, 1 run record, 2 messages/,
  );
  assert.equal(h.lines.filter((line) => / INFO /.test(line)).length, 0);
});

test('retention false keeps runs, reset transcripts and log archives however old', async (t) => {
  const h = harness(t, (config) => {
    config.gateway.maintenance.runRetention = false;
    config.gateway.maintenance.logRetention = false;
    config.session.maintenance.resetArchiveRetention = false;
  });
  await seed(h);
  h.task.start();
  const report = reportOf(await h.nextPass());
  assert.deepEqual([report.idempotency, report.runs, report.resetArchives, report.logArchives], [1, 0, 0, 0]);
  assert.ok(existsSync(`${h.logFile}.2`));
});

test('a failing pass is logged and the next one still runs', async (t) => {
  const h = harness(t);
  h.store.close();
  h.task.start();
  const first = await h.nextPass();
  const second = await h.nextPass();
  for (const outcome of [first, second]) {
    assert.ok('error' in outcome);
    assert.match(outcome.error.message, /the store is closed/);
  }
  const errors = h.lines.filter((line) =>
    / ERROR maintenance pass failed; the next one is scheduled/.test(line),
  );
  assert.ok(errors.length >= 2, errors.join('\n'));
});

/** Every `Timeout` created from now on that is still alive (cleared ones are destroyed a turn later). */
function trackTimeouts(t: TestContext) {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  t.after(() => hook.disable());
  return async () => {
    await turn();
    return live.size;
  };
}

test('start() only arms the first pass: nothing of it runs on the start-up path', async (t) => {
  let prunes = 0;
  const counting = {
    async prune(): Promise<PruneReport> {
      prunes += 1;
      return NOTHING;
    },
    async checkpoint() {},
  };
  const liveTimeouts = trackTimeouts(t);
  const h = harness(
    t,
    (config) => {
      config.gateway.maintenance.intervalMs = 3_600_000;
    },
    { store: counting },
  );
  h.task.start();
  assert.equal(await liveTimeouts(), 1, 'one timer');
  assert.equal(prunes, 0, 'no pass yet');
});

test('passes never overlap, however slow the store', async (t) => {
  let inFlight = 0;
  let most = 0;
  let whilePruning = () => {};
  const slow = {
    async prune(): Promise<PruneReport> {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // A config change mid-pass must not start another one either.
      whilePruning();
      // Far longer than the 1 ms interval: a timer that ignored the running pass would start another.
      await delay(20);
      inFlight -= 1;
      return NOTHING;
    },
    async checkpoint() {},
  };
  const h = harness(t, () => {}, { store: slow });
  whilePruning = () => h.task.reschedule();
  h.task.start();
  for (let i = 0; i < 3; i++) reportOf(await h.nextPass());
  assert.equal(most, 1);
});

test('stop() stops a running pass after its batch, waits for it, and leaves no timer', async (t) => {
  let release: () => void = () => {};
  let started: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  let signal: AbortSignal | undefined;
  let checkpoints = 0;
  const blocked = {
    async prune(_policy: unknown, _now: number, options?: { signal?: AbortSignal }): Promise<PruneReport> {
      signal = options?.signal;
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return NOTHING;
    },
    async checkpoint() {
      checkpoints += 1;
    },
  };
  const liveTimeouts = trackTimeouts(t);
  const h = harness(t, () => {}, { store: blocked });
  h.task.start();
  await running;
  let stopped = false;
  const stopping = h.task.stop().then(() => {
    stopped = true;
  });
  await turn();
  assert.equal(stopped, false, 'stop() waits for the pass');
  assert.equal(signal?.aborted, true, 'and tells it to stop');
  release();
  await stopping;
  assert.equal(checkpoints, 0, 'a stopped pass does not go on to the checkpoint');
  assert.equal(await liveTimeouts(), 0, 'no timer left');
  await h.task.stop();
});

test('the timing applies live: re-armed at a new interval, off, and on again', async (t) => {
  const liveTimeouts = trackTimeouts(t);
  const h = harness(t, (config) => {
    config.gateway.maintenance.enabled = false;
  });
  h.task.start();
  assert.equal(await liveTimeouts(), 0, 'off: no timer at all');

  h.config.gateway.maintenance.enabled = true;
  h.config.gateway.maintenance.intervalMs = 3_600_000;
  h.task.reschedule();
  assert.equal(await liveTimeouts(), 1, 'on: one timer, an hour away');
  h.config.gateway.maintenance.intervalMs = 1;
  h.task.reschedule();
  assert.equal(await liveTimeouts(), 1, 're-armed, not added');
  reportOf(await h.nextPass());

  h.config.gateway.maintenance.enabled = false;
  h.task.reschedule();
  // A pass may have begun meanwhile; once it ends nothing is armed.
  const deadline = Date.now() + 5_000;
  while ((await liveTimeouts()) > 0) {
    assert.ok(Date.now() < deadline, 'a timer survived turning maintenance off');
    await delay(5);
  }
});

/** Polls the gateway's log file until a line matches (with a deadline). */
async function logLine(file: string, pattern: RegExp, from = 0): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const line = text
      .slice(from)
      .split('\n')
      .find((candidate) => pattern.test(candidate));
    if (line) return line;
    assert.ok(Date.now() < deadline, `no log line matching ${pattern}: ${text.slice(from).slice(-3000)}`);
    await delay(20);
  }
}

test('in a gateway: config.patch turns the pass on live, it prunes an old run, and warn mode only reports', async (t) => {
  const gw = await startTestGateway({
    config: { logging: { level: 'debug' }, gateway: { maintenance: { intervalMs: 3_600_000 } } },
  });
  t.after(() => gw.close());
  const db = new DatabaseSync(join(gw.stateDir, DATABASE_FILE_NAME));
  t.after(() => db.close());
  db.exec('PRAGMA busy_timeout = 5000');
  const addOldRun = (runId: string) => {
    db.prepare(
      "INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at) VALUES (?, 'main', 's', 0, 0) ON CONFLICT DO NOTHING",
    ).run(KEY);
    db.prepare(
      "INSERT INTO runs (run_id, session_key, session_id, agent_id, status, started_at, ended_at) VALUES (?, ?, 's', 'main', 'ok', 0, 1)",
    ).run(runId, KEY);
  };
  const hasRun = (runId: string) =>
    db.prepare('SELECT 1 FROM runs WHERE run_id = ?').get(runId) !== undefined;
  addOldRun('ancient');
  const log = join(gw.stateDir, 'logs', 'gateway.log');
  const client = await admin(t, gw);

  const patch = async (raw: string) => {
    const { hash } = await configGet<{ hash: string }>(client);
    const res = await client.request('config.patch', { raw, baseHash: hash });
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assert.deepEqual((res.payload as { restartRequired: string[] }).restartRequired, []);
  };
  await patch('{gateway:{maintenance:{intervalMs:20}}}');
  assert.match(await logLine(log, /maintenance pruned 1 run record/), /"level":"info"/);
  assert.equal(hasRun('ancient'), false);

  await patch('{session:{maintenance:{mode:"warn"}}}');
  // A pass that began before the change finishes in enforce mode; wait for one that began after it (a dry run
  // commits no batches).
  await logLine(
    log,
    /"batches":0,.*"message":"maintenance: nothing to prune"/,
    readFileSync(log, 'utf8').length,
  );
  const from = readFileSync(log, 'utf8').length;
  addOldRun('kept');
  assert.match(
    await logLine(log, /maintenance \(warn mode\) would prune 1 run record/, from),
    /"level":"warn"/,
  );
  assert.equal(hasRun('kept'), true);
});
