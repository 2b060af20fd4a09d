/**
 * The cron part of the crash scenario: jobs added before a SIGKILL are still there after the restart, every run
 * whose `finished` event arrived is in the history, a run the kill cut off is recorded as interrupted, and a job
 * that came due while the gateway was down runs once at start-up (no slot of its schedule ever runs twice).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Frame, StressClient } from './client.ts';

/** The ticking job: short enough that every restart misses a few of its slots. */
const TICK_MS = 100;
/** The slow job: an agent turn of ~SLOW_WORDS × the echo model's word delay, so kills often land mid-run. */
const SLOW_MS = 1_000;
const SLOW_WORDS = 60;
/** Jobs added per iteration (each one acknowledged before the kill must survive it). */
const ADDS_PER_ITERATION = 10;
const CATCH_UP_DEADLINE_MS = 10_000;
const INTERRUPTED = 'the run was interrupted by a gateway restart';

type Run = { jobId: string; runAtMs: number; iteration: number };
type Entry = { jobId: string; runId: string; runAtMs: number; status: string; error?: string };

export type CronLedger = {
  tick: string;
  slow: string;
  anchors: Map<string, { anchorMs: number; everyMs: number }>;
  jobs: { id: string; iteration: number }[];
  started: Run[];
  finished: Run[];
  /** Per restart: slots of the ticking job that passed with the gateway down, and when it first ran again. */
  restarts: { missedSlots: number; firstRunAfterReadyMs: number }[];
  interrupted: number;
  finishedUnseen: number;
  /** Finished runs (their event received before the kill) and added jobs checked after restarts, and what was lost. */
  checkedRuns: number;
  checkedJobs: number;
  lost: number;
};

export type CronCheck = { jobs: number; finished: number; started: number; missing: string[] };

async function ok<T>(admin: StressClient, method: string, params: unknown): Promise<T> {
  const res = await admin.call(method, params);
  if (!res.ok) throw new Error(`${method} refused: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

type AddedJob = { id: string; schedule: { anchorMs: number; everyMs: number } };

/** The two standing jobs, added once on the first gateway. */
export async function setUpCron(admin: StressClient): Promise<CronLedger> {
  const tick = await ok<AddedJob>(admin, 'cron.add', {
    name: 'crash-tick',
    schedule: { kind: 'every', everyMs: TICK_MS },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'tick' },
  });
  const words = Array.from({ length: SLOW_WORDS }, (_, i) => `w${i}`).join(' ');
  const slow = await ok<AddedJob>(admin, 'cron.add', {
    name: 'crash-slow',
    schedule: { kind: 'every', everyMs: SLOW_MS },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: { kind: 'agentTurn', message: words },
  });
  return {
    tick: tick.id,
    slow: slow.id,
    anchors: new Map([
      [tick.id, tick.schedule],
      [slow.id, slow.schedule],
    ]),
    jobs: [],
    started: [],
    finished: [],
    restarts: [],
    interrupted: 0,
    finishedUnseen: 0,
    checkedRuns: 0,
    checkedJobs: 0,
    lost: 0,
  };
}

/** Records the standing jobs' `started` and `finished` events this gateway sends before it is killed. */
export function recordCronEvents(admin: StressClient, iteration: number, ledger: CronLedger): void {
  admin.onEvent((frame: Frame) => {
    if (frame.event !== 'cron') return;
    const p = frame.payload as { action?: string; jobId?: string; runAtMs?: number } | undefined;
    if (!p?.jobId || !ledger.anchors.has(p.jobId) || typeof p.runAtMs !== 'number') return;
    const run = { jobId: p.jobId, runAtMs: p.runAtMs, iteration };
    if (p.action === 'started') ledger.started.push(run);
    else if (p.action === 'finished') ledger.finished.push(run);
  });
}

/** Adds jobs until stopped (or ADDS_PER_ITERATION are in); each acknowledged one goes in the ledger. */
export async function cronAddLoop(
  admin: StressClient,
  iteration: number,
  ledger: CronLedger,
  stop: () => boolean,
): Promise<void> {
  for (let j = 0; j < ADDS_PER_ITERATION && !stop(); j++) {
    let res: Frame;
    try {
      res = await admin.call('cron.add', {
        name: `crash-added-${iteration}-${j}`,
        schedule: { kind: 'every', everyMs: 3_600_000 },
        sessionTarget: 'main',
        wakeMode: 'next-heartbeat',
        payload: { kind: 'systemEvent', text: `added ${iteration}.${j}` },
      });
    } catch (error) {
      if (admin.open) throw error;
      return;
    }
    if (!res.ok) throw new Error(`cron.add refused: ${JSON.stringify(res.error)}`);
    ledger.jobs.push({ id: String(res.payload?.id), iteration });
  }
}

async function history(admin: StressClient, jobId: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await ok<{ entries: Entry[]; hasMore: boolean }>(admin, 'cron.runs', {
      id: jobId,
      limit: 200,
      offset,
      sortDir: 'asc',
    });
    entries.push(...page.entries);
    if (!page.hasMore) return entries;
  }
}

const slotOf = (ledger: CronLedger, entry: { jobId: string; runAtMs: number }) => {
  const { anchorMs, everyMs } = ledger.anchors.get(entry.jobId)!;
  return Math.floor((entry.runAtMs - anchorMs) / everyMs);
};

/**
 * After the restart that followed iteration `iteration`'s kill (at `killedAt`, the new gateway ready at
 * `readyAt`, wall-clock ms): its jobs and runs are checked, and the ticking job must have run again.
 */
export async function verifyCronIteration(
  admin: StressClient,
  ledger: CronLedger,
  iteration: number,
  killedAt: number,
  readyAt: number,
): Promise<CronCheck> {
  const check: CronCheck = { jobs: 0, finished: 0, started: 0, missing: [] };
  for (const { id } of ledger.jobs.filter((job) => job.iteration === iteration)) {
    check.jobs++;
    const res = await admin.call('cron.get', { id });
    if (!res.ok) check.missing.push(`job ${id} (cron.get: ${res.error?.code})`);
  }
  // The ticking job ran again after the restart: wait for it, then read both histories.
  let ticks: Entry[] = [];
  const deadline = performance.now() + CATCH_UP_DEADLINE_MS;
  for (;;) {
    ticks = await history(admin, ledger.tick);
    if (ticks.some((entry) => entry.runAtMs > killedAt)) break;
    if (performance.now() > deadline) {
      check.missing.push(
        `a run of the ticking job after the restart (none within ${CATCH_UP_DEADLINE_MS} ms)`,
      );
      break;
    }
    await delay(TICK_MS);
  }
  const before = ticks.filter((entry) => entry.runAtMs <= killedAt).at(-1);
  const after = ticks.find((entry) => entry.runAtMs > killedAt);
  if (before && after) {
    ledger.restarts.push({
      missedSlots: slotOf(ledger, after) - slotOf(ledger, before) - 1,
      firstRunAfterReadyMs: after.runAtMs - readyAt,
    });
  }
  const entries = [...ticks, ...(await history(admin, ledger.slow))];
  const byStart = new Map(entries.map((entry) => [`${entry.jobId}@${entry.runAtMs}`, entry]));
  const finished = new Set<string>();
  for (const run of ledger.finished.filter((r) => r.iteration === iteration)) {
    check.finished++;
    const key = `${run.jobId}@${run.runAtMs}`;
    finished.add(key);
    if (!byStart.has(key)) check.missing.push(`finished run ${key}`);
  }
  for (const run of ledger.started.filter((r) => r.iteration === iteration)) {
    const key = `${run.jobId}@${run.runAtMs}`;
    if (finished.has(key)) continue;
    // Started, no `finished` seen: the kill cut it off (an interrupted entry), or came just after its commit.
    check.started++;
    const entry = byStart.get(key);
    if (!entry) check.missing.push(`run ${key} (started before the kill, not in the history)`);
    else if (entry.runId.startsWith('interrupted:')) {
      if (entry.error === INTERRUPTED && entry.status === 'error') ledger.interrupted++;
      else check.missing.push(`the interrupted run ${key} recorded as ${entry.status}: ${entry.error}`);
    } else ledger.finishedUnseen++;
  }
  ledger.checkedRuns += check.finished;
  ledger.checkedJobs += check.jobs;
  ledger.lost += check.missing.length;
  return check;
}

/** At the end: every job added is there, and no slot of either standing job ran twice. */
export async function verifyCronFinal(admin: StressClient, ledger: CronLedger): Promise<string[]> {
  const missing: string[] = [];
  const list = await ok<{ jobs: { id: string }[] }>(admin, 'cron.list', {
    includeDisabled: true,
    limit: 200,
  });
  let ids = new Set(list.jobs.map((job) => job.id));
  if (ledger.jobs.length + 3 > 200) {
    ids = new Set<string>();
    for (let offset = 0; ; offset += 200) {
      const page = await ok<{ jobs: { id: string }[]; hasMore: boolean }>(admin, 'cron.list', {
        includeDisabled: true,
        limit: 200,
        offset,
      });
      for (const job of page.jobs) ids.add(job.id);
      if (!page.hasMore) break;
    }
  }
  for (const { id } of ledger.jobs) if (!ids.has(id)) missing.push(`job ${id}`);
  for (const jobId of [ledger.tick, ledger.slow]) {
    const slots = new Map<number, number>();
    for (const entry of await history(admin, jobId)) {
      const slot = slotOf(ledger, entry);
      slots.set(slot, (slots.get(slot) ?? 0) + 1);
    }
    const twice = [...slots].filter(([, n]) => n > 1).map(([slot]) => slot);
    if (twice.length > 0) missing.push(`slots of ${jobId} that ran more than once: ${twice.join(', ')}`);
  }
  return missing;
}

export function cronFigures(ledger: CronLedger, total: { runs: number }): string {
  const missed = ledger.restarts.map((r) => r.missedSlots).sort((a, b) => a - b);
  const first = ledger.restarts.map((r) => r.firstRunAfterReadyMs).sort((a, b) => a - b);
  const median = (values: number[]) => values[Math.floor(values.length / 2)] ?? Number.NaN;
  return (
    `cron: ${ledger.checkedJobs} jobs added and ${ledger.checkedRuns} finished runs acknowledged before a kill, ` +
    `checked after it (${ledger.lost} lost); ${total.runs} runs in the history; ` +
    `${ledger.interrupted} runs cut off by a kill recorded as interrupted ` +
    `(${ledger.finishedUnseen} more had committed just before it); ${ledger.restarts.length} restarts each missed ` +
    `${missed[0]}–${missed.at(-1)} slots (median ${median(missed)}) of the ${TICK_MS} ms job and ran it once: ` +
    `first run ${median(first)} ms after /readyz (median; ${first[0]}–${first.at(-1)}; negative: before it)`
  );
}

export async function totalRuns(admin: StressClient, ledger: CronLedger): Promise<number> {
  const res = await ok<{ total: number }>(admin, 'cron.runs', { scope: 'all', limit: 1 });
  return res.total ?? (await history(admin, ledger.tick)).length;
}
