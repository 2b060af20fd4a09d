import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { CronService, type JobRunner, LEASE_TTL_MS, type RunResult } from '../../src/cron/cron-service.ts';
import { leaseOwnerGone, leaseOwnerId } from '../../src/cron/lease-owner.ts';
import { leaseTimingFromEnv } from '../../src/cron/lease-timing.ts';
import type { CronJob } from '../../src/cron/types.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { SqliteCronStore } from '../../src/storage/sqlite-cron-store.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { FakeClock } from './fake-clock.ts';

const START = Date.UTC(2026, 11, 3, 12);

type Harness = {
  store: SqliteCronStore;
  clock: FakeClock;
  events: { event: string; payload: Record<string, unknown> }[];
  runs: string[];
  service(owner?: string, runJob?: JobRunner): CronService;
  reopen(): void;
};

function harness(t: TestContext): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-cron-'));
  let sqlite = SqliteStore.open(dir);
  const clock = new FakeClock(START);
  const events: Harness['events'] = [];
  const runs: string[] = [];
  const services: CronService[] = [];
  const h: Harness = {
    store: new SqliteCronStore(sqlite.database, (work) => sqlite.write(work)),
    clock,
    events,
    runs,
    service(owner = 'gw-1', runJob) {
      const service = new CronService({
        store: h.store,
        owner,
        clock,
        logger: createLogger({ level: 'error', console: null }),
        enabled: () => true,
        emit: (event, payload) => events.push({ event, payload }),
        runJob:
          runJob ??
          (async (job): Promise<RunResult> => {
            runs.push(`${owner}:${job.name}@${clock.now()}`);
            return { status: 'ok', summary: `ran ${job.name}` };
          }),
      });
      services.push(service);
      return service;
    },
    reopen() {
      sqlite.close();
      sqlite = SqliteStore.open(dir);
      h.store = new SqliteCronStore(sqlite.database, (work) => sqlite.write(work));
    },
  };
  t.after(async () => {
    for (const service of services) await service.stop();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

function everyJob(name: string, everyMs: number, anchorMs = START): CronJob {
  return {
    id: `job-${name}`,
    name,
    enabled: true,
    createdAtMs: START,
    updatedAtMs: START,
    schedule: { kind: 'every', everyMs, anchorMs },
    sessionTarget: 'main',
    wakeMode: 'now',
    payload: { kind: 'systemEvent', text: name },
    state: { nextRunAtMs: anchorMs + everyMs },
  };
}

async function add(h: Harness, service: CronService, job: CronJob): Promise<void> {
  await h.store.insertJob(job);
  service.track(job);
}

test('a due job fires once per slot, records its run and task, and the next slot is armed', async (t) => {
  const h = harness(t);
  const cron = h.service();
  await cron.start();
  await add(h, cron, everyJob('a', 1000));
  assert.equal(cron.nextWakeAtMs(), START + 1000);
  await h.clock.advance(999);
  assert.deepEqual(h.runs, []);
  await h.clock.advance(1);
  await cron.idle();
  assert.deepEqual(h.runs, [`gw-1:a@${START + 1000}`]);
  await h.clock.advance(2000);
  await cron.idle();
  assert.equal(h.runs.length, 3);

  const job = await h.store.getJob('job-a');
  assert.equal(job?.state.lastRunStatus, 'ok');
  assert.equal(job?.state.runningAtMs, undefined);
  assert.equal(job?.state.nextRunAtMs, START + 4000);
  const { entries, total } = await h.store.listRuns({ jobId: 'job-a', limit: 10, offset: 0, sortDir: 'asc' });
  assert.equal(total, 3);
  assert.deepEqual(
    entries.map((entry) => [entry.runAtMs, entry.status, entry.summary]),
    [1000, 2000, 3000].map((ms) => [START + ms, 'ok', 'ran a']),
  );
  const actions = h.events.filter((e) => e.event === 'cron').map((e) => e.payload.action);
  assert.deepEqual(actions, ['started', 'finished', 'started', 'finished', 'started', 'finished']);
  const tasks = await h.store.listTasks({ limit: 10 });
  assert.equal(tasks.length, 3);
  assert.ok(tasks.every((task) => task.status === 'completed' && task.sourceId === 'job-a'));
});

test('a job due while the gateway was down runs once at start-up, then resumes on its grid', async (t) => {
  const h = harness(t);
  await h.store.insertJob(everyJob('missed', 60_000));
  // The gateway comes back an hour late: 60 slots were missed.
  await h.clock.advance(3_600_000 + 30_000);
  const cron = h.service();
  await cron.start();
  await h.clock.advance(0);
  await cron.idle();
  assert.equal(h.runs.length, 1);
  const job = await h.store.getJob('job-missed');
  assert.equal(job?.state.nextRunAtMs, START + 3_660_000);
});

test('a failing job records its error and the scheduler keeps running the others', async (t) => {
  const h = harness(t);
  const cron = h.service('gw-1', async (job) => {
    if (job.name === 'bad') throw new Error('provider exploded');
    h.runs.push(job.name);
    return { status: 'ok' };
  });
  await cron.start();
  await add(h, cron, everyJob('bad', 1000));
  await add(h, cron, everyJob('good', 1000));
  await h.clock.advance(2000);
  await cron.idle();
  assert.deepEqual(h.runs, ['good', 'good']);
  const bad = await h.store.getJob('job-bad');
  assert.equal(bad?.state.lastRunStatus, 'error');
  assert.equal(bad?.state.lastError, 'provider exploded');
  assert.equal(bad?.state.consecutiveErrors, 2);
  assert.equal(bad?.state.nextRunAtMs, START + 3000);
  const [task] = await h.store.listTasks({ limit: 1, statuses: ['failed'] });
  assert.equal(task.error, 'provider exploded');
});

test('a one-shot with deleteAfterRun is removed after a good run; kept one-shots end disabled', async (t) => {
  const h = harness(t);
  const cron = h.service();
  await cron.start();
  const at = new Date(START + 500).toISOString();
  const once = (name: string, deleteAfterRun: boolean): CronJob => ({
    ...everyJob(name, 1),
    schedule: { kind: 'at', at },
    deleteAfterRun,
    state: { nextRunAtMs: START + 500 },
  });
  await add(h, cron, once('gone', true));
  await add(h, cron, once('kept', false));
  await h.clock.advance(10_000);
  await cron.idle();
  assert.equal(h.runs.length, 2);
  assert.equal(await h.store.getJob('job-gone'), undefined);
  const kept = await h.store.getJob('job-kept');
  assert.equal(kept?.enabled, false);
  assert.equal(kept?.state.nextRunAtMs, undefined);
  assert.ok(
    h.events.some(
      (e) => e.event === 'cron' && e.payload.action === 'removed' && e.payload.jobId === 'job-gone',
    ),
  );
});

test('only the lease holder fires: a second scheduler on the same store stands by, then takes over', async (t) => {
  const h = harness(t);
  const first = h.service('gw-1');
  const second = h.service('gw-2');
  await first.start();
  await second.start();
  assert.equal(first.leader, true);
  assert.equal(second.leader, false);
  await add(h, first, everyJob('shared', 1000));
  await h.clock.advance(3000);
  await first.idle();
  assert.ok(h.runs.length >= 2 && h.runs.every((run) => run.startsWith('gw-1:')));
  // The leader goes away without releasing (a crash): the other takes over once the lease lapses.
  const before = h.runs.length;
  await first.stop();
  await h.store.acquireLease('cron.scheduler', 'gw-1', h.clock.now(), LEASE_TTL_MS);
  await h.clock.advance(LEASE_TTL_MS + 11_000);
  await second.idle();
  assert.equal(second.leader, true);
  const after = h.runs.slice(before);
  assert.ok(after.length > 0 && after.every((run) => run.startsWith('gw-2:')), after.join(', '));
  // Never two runs of one slot.
  const slots = h.runs.map((run) => run.split('@')[1]);
  assert.equal(new Set(slots).size, slots.length);
});

test('a run cut off by a crash is recorded as interrupted on the next start, and its task fails', async (t) => {
  const h = harness(t);
  let release!: () => void;
  const cron = h.service(
    'gw-1',
    () => new Promise<RunResult>((resolve) => (release = () => resolve({ status: 'ok' }))),
  );
  await cron.start();
  await add(h, cron, everyJob('slow', 1000));
  await h.clock.advance(1000);
  assert.equal((await h.store.getJob('job-slow'))?.state.runningAtMs, START + 1000);
  // The process dies here: no finish, no lease release. A new gateway (new boot id) opens the same file.
  await h.store.releaseLease('cron.scheduler', 'gw-1');
  h.reopen();
  const next = h.service('gw-2');
  await next.start();
  const job = await h.store.getJob('job-slow');
  assert.equal(job?.state.runningAtMs, undefined);
  assert.equal(job?.state.lastError, 'the run was interrupted by a gateway restart');
  assert.equal(job?.state.lastRunAtMs, START + 1000);
  const { entries } = await h.store.listRuns({ jobId: 'job-slow', limit: 10, offset: 0, sortDir: 'desc' });
  assert.equal(entries.length, 1);
  assert.equal(entries[0].runAtMs, START + 1000, 'the entry is the cut-off run, dated when it started');
  assert.equal(entries[0].error, 'the run was interrupted by a gateway restart');
  const [task] = await h.store.listTasks({ limit: 1 });
  assert.equal(task.status, 'failed');
  release();
});

test('manual runs: force runs a disabled job, due refuses one not due, a running job is not started twice', async (t) => {
  const h = harness(t);
  let release!: () => void;
  const cron = h.service('gw-1', async (job) => {
    h.runs.push(job.name);
    if (job.name === 'hold') await new Promise<void>((resolve) => (release = resolve));
    return { status: 'ok' };
  });
  await cron.start();
  await add(h, cron, { ...everyJob('off', 60_000), enabled: false, state: {} });
  await add(h, cron, everyJob('later', 60_000));
  await add(h, cron, everyJob('hold', 60_000));
  assert.deepEqual(await cron.runNow('job-later', 'due'), { ok: true, ran: false, reason: 'not-due' });
  assert.deepEqual(await cron.runNow('job-off', 'if-enabled'), { ok: true, ran: false, reason: 'disabled' });
  const forced = await cron.runNow('job-off', 'force');
  assert.equal(forced && 'enqueued' in forced && forced.enqueued, true);
  await cron.runNow('job-hold', 'force');
  assert.deepEqual(await cron.runNow('job-hold', 'force'), {
    ok: true,
    ran: false,
    reason: 'already-running',
  });
  assert.equal(await cron.runNow('job-none', 'force'), undefined);
  release();
  await cron.idle();
  assert.deepEqual(h.runs.sort(), ['hold', 'off']);
});

test('CLAWGATE_CRON_LEASE_MS sets the lease (renewed every third of it); a bad value names the variable', () => {
  assert.equal(leaseTimingFromEnv({}), undefined);
  assert.deepEqual(leaseTimingFromEnv({ CLAWGATE_CRON_LEASE_MS: '3000' }), { ttlMs: 3000, renewMs: 1000 });
  for (const bad of ['fast', '10', '2.5', '-1', '99999999']) {
    assert.throws(
      () => leaseTimingFromEnv({ CLAWGATE_CRON_LEASE_MS: bad }),
      (error: Error) => error instanceof ConfigError && error.message.includes('CLAWGATE_CRON_LEASE_MS'),
    );
  }
});

test('a lease whose holder process is gone is taken at once; a live holder on this host, or one elsewhere, is waited out', async (t) => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  const here = hostname();
  assert.equal(leaseOwnerGone(`old@${here}#${dead}`), true);
  assert.equal(leaseOwnerGone(`old@${here}#${process.ppid}`), false);
  assert.equal(leaseOwnerGone(`old@another-host#${dead}`), false);
  assert.equal(leaseOwnerGone('gw-1'), false);
  assert.equal(leaseOwnerGone(leaseOwnerId('me')), false);

  const h = harness(t);
  const service = (owner: string) =>
    new CronService({
      store: h.store,
      owner,
      leaseOwner: leaseOwnerId(owner),
      leaseHolderGone: leaseOwnerGone,
      clock: h.clock,
      logger: createLogger({ level: 'error', console: null }),
      enabled: () => true,
      emit: () => undefined,
      runJob: async () => ({ status: 'ok' }),
    });
  await h.store.acquireLease('cron.scheduler', `old@${here}#${process.ppid}`, h.clock.now(), LEASE_TTL_MS);
  const waiting = service('gw-2');
  t.after(() => waiting.stop());
  await waiting.start();
  assert.equal(waiting.leader, false, 'a live holder keeps its lease');
  await waiting.stop();
  await h.store.releaseLease('cron.scheduler', `old@${here}#${process.ppid}`);
  await h.store.acquireLease('cron.scheduler', `old@${here}#${dead}`, h.clock.now(), LEASE_TTL_MS);
  const next = service('gw-3');
  t.after(() => next.stop());
  await next.start();
  assert.equal(next.leader, true, 'the lease of a dead process is taken without waiting');
});
