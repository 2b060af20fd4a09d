/**
 * Cron (issue 12): what scheduled jobs cost an idle gateway, how close to its time a job fires, and what a store
 * full of jobs adds to start-up. Each figure is taken next to its baseline in the same run: the same gateway with
 * no jobs (memory, idle CPU, start-up) and the bare `ws` server (start-up).
 *
 * - Memory and idle CPU: two gateways side by side, one started on a store seeded with JOBS jobs (none due for
 *   hours), one on an empty store; RSS and JS heap read settled (forced GC + 1 s idle), then CPU time of all
 *   their threads over the same idle window. Then JOBS jobs are added to the empty one by `cron.add` and it is
 *   read again: the cost of jobs added live rather than loaded.
 * - Lateness: DUE one-shot jobs added by `cron.add` to the seeded gateway (so they share the scheduler with
 *   JOBS idle ones), all due at one instant (a burst, as a minute's worth of `m h * * *` jobs fire) and then
 *   spread over a SPREAD_MS window. Lateness is when the bench received each run's `cron` `started` event minus
 *   the job's time (an upper bound: it includes the event's delivery), and as the gateway recorded it
 *   (`cron.runs` `runAtMs` minus the job's time).
 * - Start-up: spawn → `/readyz` 200 (the gateway is ready only once cron is armed) with JOBS jobs in the store,
 *   with none, and the bare server, interleaved.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { newJob } from '../src/cron/job-input.ts';
import { nextRunAt } from '../src/cron/schedule.ts';
import { SqliteCronStore } from '../src/storage/sqlite-cron-store.ts';
import { SqliteStore } from '../src/storage/sqlite-store.ts';
import {
  BenchClient,
  percentile,
  type Server,
  startGateway,
  trimAfter,
  trimsLogged,
} from './bench-client.ts';
import { settle } from './chat-turns.ts';
import { SHIPPED_NODE_FLAGS } from './gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  readRss,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
} from './probes.ts';
import { type Row, stats, type Table, type Target, type ValueRow } from './report.ts';

const JOBS = 10_000;
const DUE = 1_000;
/** "1 000 jobs due in the same minute" (issue 12): spread over one minute. */
const SPREAD_MS = 60_000;
/** How far ahead the due jobs are set: adding them must be done well before the first one is due. */
const LEAD_MS = 8_000;
const IDLE_WINDOW_MS = 20_000;
const ADD_IN_FLIGHT = 64;
const START_DEADLINE_MS = 15_000;
const FIRE_DEADLINE_MS = 30_000;
const TARGET_COST_MIB = 20;
/** "No measurable idle CPU": the jobs may add at most a thousandth of a core. */
const TARGET_IDLE_CPU_PERCENT = 0.1;
const TARGET_LATENESS_P99_MS = 50;
const TARGET_STARTUP_RATIO = 1.2;
const MIB = 1024 * 1024;

export type CronBenchOptions = {
  cli: string;
  cliLabel: string;
  token: string;
  /** The bare `http` + `ws` server that is the start-up floor, and its label. */
  floorServer: string;
  floorLabel: string;
  runs: number;
};

/** JOBS jobs none of which is due for hours: half `every` (6–24 h), half a yearly `cron` expression. */
function jobInput(i: number, now: number) {
  const month = ((new Date(now).getUTCMonth() + 6) % 12) + 1;
  const schedule =
    i % 2 === 0
      ? { kind: 'every', everyMs: (6 + (i % 18)) * 3_600_000 }
      : { kind: 'cron', expr: `${i % 60} ${i % 24} 1 ${month} *`, tz: 'UTC' };
  return {
    name: `bench job ${i}`,
    schedule,
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: `bench job ${i} says hello` },
  };
}

/** Writes JOBS jobs into a state dir's store, as `cron.add` would have (same ids, defaults, next runs). */
async function seedStore(stateDir: string, now: number): Promise<void> {
  const sqlite = SqliteStore.open(stateDir);
  try {
    const store = new SqliteCronStore(sqlite.database, (work) => sqlite.write(work));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < JOBS; i++) {
      const job = await newJob(jobInput(i, now), now, 'main');
      job.state.nextRunAtMs = nextRunAt(job.schedule, job.id, now);
      writes.push(store.insertJob(job));
    }
    await Promise.all(writes);
  } finally {
    sqlite.close();
  }
}

/** CPU time of every thread of a process so far, in ms (scheduler times: ns resolution, unlike clock ticks). */
function threadsCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

type Memory = { rssMiB: number; heapUsedMiB: number };

/** Settled RSS and heap; `trimsBefore`: first wait for the gateway's memory trim past that count (after a burst). */
async function memoryOf(server: Server, client: BenchClient, trimsBefore?: number): Promise<Memory> {
  if (trimsBefore !== undefined && !(await trimAfter(server, trimsBefore)))
    process.stderr.write('bench: cron: no memory trim was logged after the cron.add burst\n');
  await settle(server.running);
  const status = await client.request('status', {});
  const heap = (status?.processMemory as { heapUsedBytes: number } | undefined)?.heapUsedBytes ?? NaN;
  return { rssMiB: readRss(server.pid).rssKiB / 1024, heapUsedMiB: heap / MIB };
}

/** `count` `cron.add` calls, ADD_IN_FLIGHT at a time; returns the new jobs' ids in call order. */
async function addJobs(
  client: BenchClient,
  count: number,
  params: (i: number) => unknown,
): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const job = await client.request('cron.add', params(i));
      ids[i] = String(job?.id);
    }
  };
  await Promise.all(Array.from({ length: ADD_IN_FLIGHT }, worker));
  return ids;
}

type Lateness = {
  observed: number[];
  recorded: number[];
  received: number;
  addMs: number;
  /** Runs recorded more than STRAGGLER_MS late: how many, and when (s into the window) they were due. */
  stragglers: { count: number; fromS: number; toS: number };
};
const STRAGGLER_MS = 1_000;

/**
 * DUE one-shots at `timeOf(i)` (wall-clock ms, all at least LEAD_MS ahead); resolves once every one has run
 * (its history entry is in) with each run's lateness.
 */
async function measureLateness(
  client: BenchClient,
  label: string,
  timeOf: (i: number, base: number) => number,
): Promise<Lateness> {
  const base = Date.now() + LEAD_MS;
  const due = new Map<string, number>();
  const observed: number[] = [];
  const seen = new Set<string>();
  client.onEvent = (frame) => {
    if (frame.event !== 'cron' || frame.payload?.action !== 'started') return;
    const at = due.get(String(frame.payload.jobId));
    if (at === undefined || seen.has(String(frame.payload.jobId))) return;
    seen.add(String(frame.payload.jobId));
    observed.push(Date.now() - at);
  };
  const times = Array.from({ length: DUE }, (_, i) => timeOf(i, base));
  const addStart = performance.now();
  const ids = await addJobs(client, DUE, (i) => ({
    name: `${label} ${i}`,
    schedule: { kind: 'at', at: new Date(times[i]).toISOString() },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: `${label} ${i}` },
  }));
  const addMs = performance.now() - addStart;
  for (const [i, id] of ids.entries()) due.set(id, times[i]);
  if (Date.now() >= Math.min(...times)) throw new Error(`adding ${DUE} jobs took past the first one's time`);
  const deadline = Math.max(...times) + FIRE_DEADLINE_MS;
  // Each run is in the history once it ended; a one-shot is deleted after its run, its entry is kept.
  const recorded = new Map<string, number>();
  const dueAt = new Map<string, number>();
  while (recorded.size < DUE) {
    if (Date.now() > deadline) throw new Error(`${label}: ${recorded.size}/${DUE} jobs ran by the deadline`);
    await delay(Math.max(200, Math.min(2_000, Math.min(...times) - Date.now())));
    for (let offset = 0; ; offset += 200) {
      const page = await client.request('cron.runs', { scope: 'all', limit: 200, offset, sortDir: 'desc' });
      const entries = (page?.entries ?? []) as { jobId: string; runAtMs: number }[];
      for (const entry of entries) {
        const at = due.get(entry.jobId);
        if (at === undefined) continue;
        recorded.set(entry.jobId, entry.runAtMs - at);
        dueAt.set(entry.jobId, at);
      }
      if (!page?.hasMore || entries.every((entry) => !due.has(entry.jobId))) break;
    }
  }
  client.onEvent = () => undefined;
  const late = [...recorded]
    .filter(([, ms]) => ms > STRAGGLER_MS)
    .map(([id]) => (dueAt.get(id)! - base) / 1000);
  const stragglers = { count: late.length, fromS: Math.min(...late), toS: Math.max(...late) };
  return { observed, recorded: [...recorded.values()], received: seen.size, addMs, stragglers };
}

/** The scheduler's warnings and errors in a state dir's log (a lost lease, a failed claim): what explains an outlier. */
function cronProblems(stateDir: string): string[] {
  const file = join(stateDir, 'logs', 'gateway.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /"level":"(warn|error)"/.test(line) && /"message":"cron/.test(line))
    .map((line) => {
      const { message, error } = JSON.parse(line) as { message: string; error?: string };
      return error ? `${message} (${error})` : message;
    });
}

/** Spawn → `/readyz` 200, in ms, of one server started by `args(port)`; then it is stopped. */
async function readyMs(args: (port: number) => string[], stateDir: string): Promise<number> {
  const port = await reservePort();
  const running = spawnNode(args(port), cleanEnv({ CLAWGATE_STATE_DIR: stateDir }), stateDir);
  try {
    const at = await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
    return at - running.t0;
  } finally {
    await stopChild(running.child);
  }
}

const latenessRows = (name: string, l: Lateness): ValueRow[] => [
  {
    label: `${name}: started events received`,
    unit: 'count',
    ours: `${l.received}/${DUE}`,
  },
  { label: `${name}: lateness p50, observed`, unit: 'ms', ours: percentile(l.observed, 50) },
  { label: `${name}: lateness p99, observed`, unit: 'ms', ours: percentile(l.observed, 99) },
  { label: `${name}: lateness max, observed`, unit: 'ms', ours: Math.max(...l.observed) },
  { label: `${name}: lateness p50 / p99 / max, recorded`, unit: 'ms', ours: triple(l.recorded) },
  {
    label: `${name}: runs more than ${STRAGGLER_MS / 1000} s late (recorded)`,
    unit: 'count',
    ours:
      l.stragglers.count === 0
        ? '0'
        : `${l.stragglers.count}, due ${l.stragglers.fromS.toFixed(1)}–${l.stragglers.toS.toFixed(1)} s into the window`,
  },
  { label: `${name}: ${DUE} \`cron.add\` calls took`, unit: 'ms', ours: l.addMs },
];

const triple = (values: number[]) =>
  `${percentile(values, 50)} / ${percentile(values, 99)} / ${Math.max(...values)} ms`;

export async function measureCron(options: CronBenchOptions) {
  const { cli, cliLabel, token } = options;
  const now = Date.now();
  const emptyDir = makeTempDir('clawgate-bench-cron-none-');
  const jobsDir = makeTempDir('clawgate-bench-cron-jobs-');
  process.stderr.write(`bench: cron, seeding ${JOBS} jobs…\n`);
  const seedStart = performance.now();
  await seedStore(jobsDir, now);
  const seedMs = performance.now() - seedStart;

  // Start-up: interleaved, after one unmeasured round (the first start of each also creates what a state dir
  // holds on first start: the empty store's schema, the identity, the heartbeat job).
  const gateway = (port: number) => [
    ...SHIPPED_NODE_FLAGS,
    cli,
    'gateway',
    'run',
    '--port',
    String(port),
    '--token',
    token,
  ];
  const floor = (port: number) => [...SHIPPED_NODE_FLAGS, options.floorServer, '--port', String(port)];
  const floorDir = makeTempDir('clawgate-bench-cron-floor-');
  const ready = { jobs: [] as number[], none: [] as number[], floor: [] as number[] };
  for (let i = 0; i <= options.runs; i++) {
    if (i % 4 === 0) process.stderr.write(`bench: cron start-up ${i}/${options.runs}\n`);
    const jobs = await readyMs(gateway, jobsDir);
    const none = await readyMs(gateway, emptyDir);
    const bare = await readyMs(floor, floorDir);
    if (i === 0) continue;
    ready.jobs.push(jobs);
    ready.none.push(none);
    ready.floor.push(bare);
  }
  removeTempDir(floorDir);

  process.stderr.write('bench: cron memory and idle CPU…\n');
  const config = {};
  const withJobs = await startGateway(cli, token, config, 'cron-jobs', jobsDir);
  const without = await startGateway(cli, token, config, 'cron-none', emptyDir);
  const clients: BenchClient[] = [];
  try {
    const jobsClient = await BenchClient.connect(withJobs.url, token, 'backend');
    const noneClient = await BenchClient.connect(without.url, token, 'backend');
    clients.push(jobsClient, noneClient);
    const status = await jobsClient.request('cron.status', {});
    if (Number(status?.jobs) < JOBS) throw new Error(`the seeded gateway reports ${status?.jobs} jobs`);
    const memJobs = await memoryOf(withJobs, jobsClient);
    const memNone = await memoryOf(without, noneClient);
    const cpuBefore = { jobs: threadsCpuMs(withJobs.pid), none: threadsCpuMs(without.pid) };
    await delay(IDLE_WINDOW_MS);
    const idleCpu = {
      jobs: threadsCpuMs(withJobs.pid) - cpuBefore.jobs,
      none: threadsCpuMs(without.pid) - cpuBefore.none,
    };
    const share = (ms: number) => (ms / IDLE_WINDOW_MS) * 100;

    process.stderr.write(`bench: cron, ${JOBS} cron.add calls…\n`);
    const trimsBefore = trimsLogged(without);
    const liveStart = performance.now();
    await addJobs(noneClient, JOBS, (i) => jobInput(i, Date.now()));
    const liveAddMs = performance.now() - liveStart;
    // Read once the gateway gave back what the burst of calls left (as a user sees it a few seconds later).
    const memLive = await memoryOf(without, noneClient, trimsBefore);
    await without.stop();

    process.stderr.write(`bench: cron lateness, ${DUE} jobs due at once, then over ${SPREAD_MS / 1000} s…\n`);
    const burst = await measureLateness(jobsClient, 'burst', (_i, base) => base);
    const spread = await measureLateness(
      jobsClient,
      'spread',
      (_i, base) => base + Math.floor(Math.random() * SPREAD_MS),
    );

    const memory: ValueRow[] = [
      { label: 'RSS, settled', unit: 'MiB', ours: memJobs.rssMiB, floor: memNone.rssMiB },
      { label: 'JS heap used, settled', unit: 'MiB', ours: memJobs.heapUsedMiB, floor: memNone.heapUsedMiB },
      { label: 'RSS cost of the jobs', unit: 'MiB', ours: memJobs.rssMiB - memNone.rssMiB },
      { label: 'JS heap cost of the jobs', unit: 'MiB', ours: memJobs.heapUsedMiB - memNone.heapUsedMiB },
      {
        label: `RSS cost of ${JOBS} jobs added live by \`cron.add\` (same gateway before/after)`,
        unit: 'MiB',
        ours: memLive.rssMiB - memNone.rssMiB,
      },
      {
        label: `JS heap cost of ${JOBS} jobs added live`,
        unit: 'MiB',
        ours: memLive.heapUsedMiB - memNone.heapUsedMiB,
      },
      {
        label: `CPU over ${IDLE_WINDOW_MS / 1000} s idle (all threads)`,
        unit: 'ms',
        ours: idleCpu.jobs,
        floor: idleCpu.none,
      },
      {
        label: 'idle CPU added by the jobs, share of one core',
        unit: '%',
        ours: share(idleCpu.jobs - idleCpu.none),
      },
      {
        label: `${JOBS} jobs written to the store (seeding, in the bench process)`,
        unit: 'ms',
        ours: seedMs,
      },
      { label: `${JOBS} \`cron.add\` calls, ${ADD_IN_FLIGHT} in flight`, unit: 'ms', ours: liveAddMs },
    ];
    const startupRows: Row[] = [
      {
        label: `spawn → /readyz 200, ${JOBS} jobs in the store`,
        unit: 'ms',
        ours: stats(ready.jobs),
        floorLabel: options.floorLabel,
        floor: stats(ready.floor),
      },
      {
        label: 'spawn → /readyz 200, no jobs',
        unit: 'ms',
        ours: stats(ready.none),
        floorLabel: options.floorLabel,
        floor: stats(ready.floor),
      },
      {
        label: `spawn → /readyz 200, ${JOBS} jobs vs none`,
        unit: 'ms',
        ours: stats(ready.jobs),
        floorLabel: 'no jobs',
        floor: stats(ready.none),
      },
    ];
    const tables: Table[] = [
      {
        title: 'Cron: memory and idle CPU of scheduled jobs',
        description: `\`${cliLabel} gateway run\` on a store seeded with ${JOBS} jobs (half \`every\` 6–24 h, half yearly \`cron\` expressions in UTC; none due during the run) beside the same gateway on an empty store (the floor column), both started the same way and read settled (forced GC + 1 s idle); idle CPU is all threads' scheduler time over the same ${IDLE_WINDOW_MS / 1000} s window. Then ${JOBS} jobs were added to the empty one with \`cron.add\` and it was read again, once it had logged its memory trim (src/server/runtime/memory-trim.ts: the pages the burst of calls freed, given back when the loop is idle).`,
        floorLabel: 'no jobs',
        values: memory,
      },
      {
        title: 'Cron: lateness of due jobs',
        description: `${DUE} one-shot \`at\` jobs (\`systemEvent\`, \`next-heartbeat\`) added by \`cron.add\` to the gateway holding ${JOBS} idle jobs, first all due at one instant (burst), then at random instants over ${SPREAD_MS / 1000} s (spread). Observed: the bench's receipt of each run's \`cron\` \`started\` event minus the job's time (an upper bound, delivery included); recorded: \`cron.runs\` \`runAtMs\` minus the job's time (the gateway's clock when it claimed the batch).`,
        values: [...latenessRows('burst', burst), ...latenessRows('spread', spread)],
      },
      {
        title: 'Cron: start-up with jobs in the store',
        description: `Spawn of \`${cliLabel} gateway run\` to \`/readyz\` 200 (ready only once the scheduler is armed), on the same state dir each run: one holding ${JOBS} jobs, one with only the heartbeat job; against the bare server (\`${options.floorLabel}\`), interleaved, ${options.runs} runs after one unmeasured round.`,
        rows: startupRows,
      },
    ];
    const targets: Target[] = [
      {
        label: `cron: RSS cost of ${JOBS} scheduled jobs (settled, vs the same gateway with none)`,
        limit: TARGET_COST_MIB,
        unit: 'MiB',
        actual: memJobs.rssMiB - memNone.rssMiB,
      },
      {
        label: `cron: RSS cost of ${JOBS} jobs added live by \`cron.add\``,
        limit: TARGET_COST_MIB,
        unit: 'MiB',
        actual: memLive.rssMiB - memNone.rssMiB,
      },
      {
        label: `cron: idle CPU added by ${JOBS} jobs, share of one core`,
        limit: TARGET_IDLE_CPU_PERCENT,
        unit: '%',
        actual: share(idleCpu.jobs - idleCpu.none),
      },
      {
        label: `cron: lateness p99, ${DUE} jobs due within one minute (observed)`,
        limit: TARGET_LATENESS_P99_MS,
        unit: 'ms',
        actual: percentile(spread.observed, 99),
      },
      {
        label: `cron: start-up with ${JOBS} jobs ÷ bare floor (spawn → /readyz, medians)`,
        limit: TARGET_STARTUP_RATIO,
        unit: '×',
        actual: stats(ready.jobs).median / stats(ready.floor).median,
      },
      {
        label: `cron: start-up with ${JOBS} jobs ÷ with none (medians)`,
        limit: TARGET_STARTUP_RATIO,
        unit: '×',
        actual: stats(ready.jobs).median / stats(ready.none).median,
      },
    ];
    const problems = cronProblems(jobsDir);
    const notes = [
      problems.length === 0
        ? 'Cron: the measured gateway logged no scheduler warning or error.'
        : `Cron: the measured gateway logged ${problems.length} scheduler warning(s)/error(s), first: ${problems[0]}`,
      `Cron: the lateness target is the issue's case, ${DUE} jobs due within one minute. The burst (all ${DUE} due at one instant) is harsher and has no target: its p99 (${percentile(burst.observed, 99)} ms observed) is the time to claim all ${DUE} in one transaction and start them one after another (the recorded lateness is the claim's instant, the same for all).`,
      `Cron: the start-up target of issue 12 ("within 1.2× of the bare floor") is judged for ${JOBS} jobs against the bare server; the gateway's start-up without jobs is already above that ratio (see the start-up tables), so the second ratio (${JOBS} jobs ÷ none) is what the jobs themselves add.`,
      `Cron: events are droppable; ${burst.received}/${DUE} (burst) and ${spread.received}/${DUE} (spread) \`started\` events reached the bench, and the observed figures cover those; the recorded ones cover all ${DUE}.`,
    ];
    const correct = burst.recorded.length === DUE && spread.recorded.length === DUE;
    return { tables, targets, notes, correct };
  } finally {
    for (const c of clients) c.close();
    await without.stop();
    await withJobs.stop();
    removeTempDir(emptyDir);
    removeTempDir(jobsDir);
  }
}
