/**
 * `npm run bench`: gateway start-up time, idle memory, CLI latency and chat-turn throughput (`chat-turns.ts`), each
 * next to a bare-Node floor, and the other scenarios (RPC, fan-out, connections, soak, cron: `cron.ts`). Prints
 * tables and overwrites `bench/RESULTS.md`. Not part of `npm test`. Flags: `--runs N` (default 10; start-up and
 * CLI runs, the chat scenario runs once); `--only a,b` runs those scenarios alone (RESULTS.md is then left as
 * it was), e.g. `node bench/run.ts --only cron`; `--no-10k` leaves the connections scenario's 10 000-socket level
 * out (a quicker run: ~40 s instead of ~95 s); `--no-soak`.
 *
 * Exits non-zero when a scenario failed or a target was missed, not run, or got no figure (the Targets table
 * says which). The 10 000-socket level needs 10 500 open files in this process (which holds every client socket)
 * and in each server under test: Node raises its soft limit to the hard limit and children inherit it, so what
 * decides is `ulimit -Hn`. Below that, the bench re-runs itself under `sh -c 'ulimit -n 10500 && exec …'` if the
 * system lets it (root with CAP_SYS_RESOURCE); otherwise it says what to raise and marks the level NOT RUN.
 *
 * Measured from the esbuild bundle `bin/clawgate.mjs` runs (`npm run bench` builds it first; the targets are
 * judged on it, since it is what `npm start` and an installed package run) and, for comparison, from sources
 * (`node src/cli/main.ts`, which pays for Node's type stripping). Each gets its own floor: the bare baselines run as
 * `.ts` (paying for Node's type stripping, like the sources) and as plain `.mjs`.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stop as stopEsbuild, transformSync } from 'esbuild';
import { type ChatBenchResult, measureChatTurns } from './chat-turns.ts';
import { type BigLevel, FDS_FOR_10K, measureConnections } from './connections.ts';
import { measureCron } from './cron.ts';
import { measureFanout } from './fanout.ts';
import { planFileLimit, reexecUnder } from './fd-limit.ts';
import { enableProfiling, SHIPPED_NODE_FLAGS } from './gateway-flags.ts';
import { describeMachine } from './machine.ts';
import { measureMcp } from './mcp.ts';
import { measureMemory } from './memory.ts';
import { measureNodes } from './nodes.ts';
import {
  cleanEnv,
  cleanupAll,
  handshake,
  makeTempDir,
  POLL_GAP_MS,
  pollUntilOk,
  readRss,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
  timeToExit,
  withTimeout,
} from './probes.ts';
import { writeProfileSummary } from './profile-summary.ts';
import {
  formatMarkdown,
  formatText,
  missedTargets,
  type Report,
  type Row,
  stats,
  type Table,
  type Target,
} from './report.ts';
import { measureRpc } from './rpc.ts';
import { measureSoak } from './soak.ts';
import { measureTelegram } from './telegram.ts';
import { measureTools } from './tools.ts';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SRC_CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts');
const DIST_CLI = join(REPO_ROOT, 'dist', 'cli.mjs');
const PROFILE_DIR = join(REPO_ROOT, 'bench', 'profiles');
const BASELINE_SERVER = join(REPO_ROOT, 'bench', 'baseline-server.ts');
const BASELINE_CLIENT = join(REPO_ROOT, 'bench', 'baseline-client.ts');
const BASELINE_MULTI_SERVER = join(REPO_ROOT, 'bench', 'baseline-multi-server.ts');
const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');

const DEFAULT_RUNS = 10;
/** More runs than this would not fit the three-minute bound (each start-up run idles 1 s for the RSS reading). */
const MAX_RUNS = 20;
/** The connections scenario alone opens some 64 000 sockets (four client kinds, gateway and floor). */
const WHOLE_BENCH_MS = 900_000;
const START_DEADLINE_MS = 10_000;
const IDLE_BEFORE_RSS_MS = 1_000;
const CLI_TIMEOUT_MS = 10_000;
const TOKEN = 'bench-token-0123456789abcdef0123456789';
const TARGET_READY_MS = 200;
const TARGET_RSS_MIB = 75;
const TARGET_CLI_MS = 300;
/** Chat turns/s ÷ the floor's (issue 11). */
const TARGET_CHAT_VS_FLOOR = 0.5;

type StartupSample = {
  readyLineMs: number;
  healthMs: number;
  readyzMs: number;
  helloMs: number;
  handshakeMs: number;
  rssMiB: number;
  peakRssMiB: number;
};

/** How to start one server on a given port. */
type ServerCommand = (port: number) => string[];

const gatewayCommand =
  (cli: string): ServerCommand =>
  (port) => [...SHIPPED_NODE_FLAGS, cli, 'gateway', 'run', '--port', String(port)];
const baselineCommand =
  (script: string): ServerCommand =>
  (port) => [...SHIPPED_NODE_FLAGS, script, '--port', String(port)];

type Idling = { complete(): Promise<StartupSample> };

/**
 * One start-up up to its first hello-ok: spawn, poll /health then /readyz, await the ready line, handshake.
 * Returns the server idling; `complete()` waits out the idle second, reads RSS, stops it and removes its dir.
 */
async function startServer(
  command: ServerCommand,
  options: { withToken: boolean; idle: boolean },
): Promise<Idling> {
  const port = await reservePort();
  const stateDir = makeTempDir('clawgate-bench-');
  const env = cleanEnv({
    CLAWGATE_STATE_DIR: stateDir,
    ...(options.withToken ? { CLAWGATE_GATEWAY_TOKEN: TOKEN } : {}),
  });
  const running = spawnNode(command(port), env, REPO_ROOT);
  const stop = async () => {
    await stopChild(running.child);
    removeTempDir(stateDir);
  };
  try {
    const deadline = running.t0 + START_DEADLINE_MS;
    const healthAt = await pollUntilOk(running, port, '/health', deadline);
    const readyzAt = await pollUntilOk(running, port, '/readyz', deadline);
    const readyLine = await withTimeout(running.readyLine, START_DEADLINE_MS, 'no ready line on stdout');
    if (!readyLine.url.endsWith(`:${port}`))
      throw new Error(`ready line names ${readyLine.url}, not port ${port}`);
    const token = options.withToken ? TOKEN : readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
    const handshakeStart = performance.now();
    const helloAt = await handshake(readyLine.url, token, START_DEADLINE_MS);
    const idleUntil = helloAt + (options.idle ? IDLE_BEFORE_RSS_MS : 0);
    return {
      async complete() {
        try {
          await delay(Math.max(0, idleUntil - performance.now()));
          const { rssKiB, hwmKiB } = readRss(running.child.pid!);
          return {
            readyLineMs: readyLine.at - running.t0,
            healthMs: healthAt - running.t0,
            readyzMs: readyzAt - running.t0,
            helloMs: helloAt - running.t0,
            handshakeMs: helloAt - handshakeStart,
            rssMiB: rssKiB / 1024,
            peakRssMiB: hwmKiB / 1024,
          };
        } finally {
          await stop();
        }
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

type StartupJob = {
  command: ServerCommand;
  withToken: boolean;
  /** Warm-up runs are neither idled nor recorded. */
  record?: (sample: StartupSample) => void;
};

/**
 * Runs the jobs in order, each start-up running while the previous server sits out its idle second (an idle
 * server takes no CPU). That one is read and stopped before the next start-up, so no start-up overlaps another
 * or a shutdown; the bench takes half as long as idling in turn.
 */
async function runStartups(jobs: StartupJob[]): Promise<void> {
  let idling: { job: StartupJob; server: Idling } | undefined;
  const settle = async () => {
    if (!idling) return;
    const sample = await idling.server.complete();
    idling.job.record?.(sample);
    idling = undefined;
  };
  for (const [index, job] of jobs.entries()) {
    if (index % 8 === 0) process.stderr.write(`bench: start-up ${index + 1}/${jobs.length}\n`);
    const server = await startServer(job.command, {
      withToken: job.withToken,
      idle: job.record !== undefined,
    });
    await settle();
    idling = { job, server };
  }
  await settle();
}

function startupRows(ours: StartupSample[], floor: StartupSample[] | undefined, floorLabel: string): Row[] {
  const row = (label: string, unit: 'ms' | 'MiB', pick: (s: StartupSample) => number): Row => ({
    label,
    unit,
    ours: stats(ours.map(pick)),
    ...(floor ? { floorLabel, floor: stats(floor.map(pick)) } : {}),
  });
  return [
    row('spawn → /health 200', 'ms', (s) => s.healthMs),
    row('spawn → /readyz 200', 'ms', (s) => s.readyzMs),
    row('spawn → ready line on stdout', 'ms', (s) => s.readyLineMs),
    row('spawn → first hello-ok', 'ms', (s) => s.helloMs),
    row('first handshake (open → hello-ok)', 'ms', (s) => s.handshakeMs),
    row('idle RSS (1 s after the handshake)', 'MiB', (s) => s.rssMiB),
    row('peak RSS (VmHWM)', 'MiB', (s) => s.peakRssMiB),
  ];
}

/** Start-up jobs for each (clawgate, floor) pair, interleaved so drifting machine load hits all alike. */
function startupJobs(pairs: { ours: ServerCommand; floor: ServerCommand }[], runs: number) {
  const samples = pairs.map(() => ({ ours: [] as StartupSample[], floor: [] as StartupSample[] }));
  // Unmeasured first: the first spawn of each pays for a cold page cache.
  const jobs: StartupJob[] = pairs.flatMap((pair) => [
    { command: pair.ours, withToken: true },
    { command: pair.floor, withToken: true },
  ]);
  for (let i = 0; i < runs; i++)
    for (const [index, pair] of pairs.entries())
      jobs.push(
        { command: pair.ours, withToken: true, record: (s) => samples[index].ours.push(s) },
        { command: pair.floor, withToken: true, record: (s) => samples[index].floor.push(s) },
      );
  return { jobs, samples };
}

type CliSubject = { label: string; args: (url: string) => string[]; floor?: string };

async function measureCli(subjects: CliSubject[], runs: number): Promise<Row[]> {
  const stateDir = makeTempDir('clawgate-bench-cli-');
  const port = await reservePort();
  const running = spawnNode(
    gatewayCommand(SRC_CLI)(port),
    cleanEnv({ CLAWGATE_STATE_DIR: stateDir, CLAWGATE_GATEWAY_TOKEN: TOKEN }),
    REPO_ROOT,
  );
  try {
    await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
    const url = `ws://127.0.0.1:${port}`;
    // The clients find the gateway through their flags only; an empty state dir keeps ~/.clawgate out of it.
    const env = cleanEnv({ CLAWGATE_STATE_DIR: stateDir });
    const samples = new Map<string, number[]>(subjects.map((s) => [s.label, []]));
    // One unmeasured round warms the page cache (and the gateway's lazily loaded schema layer).
    for (const subject of subjects) await timeToExit(subject.args(url), env, REPO_ROOT, CLI_TIMEOUT_MS);
    for (let i = 0; i < runs; i++)
      for (const subject of subjects)
        samples.get(subject.label)!.push(await timeToExit(subject.args(url), env, REPO_ROOT, CLI_TIMEOUT_MS));
    return subjects.map((subject) => ({
      label: subject.label,
      unit: 'ms',
      ours: stats(samples.get(subject.label)!),
      ...(subject.floor ? { floorLabel: subject.floor, floor: stats(samples.get(subject.floor)!) } : {}),
    }));
  } finally {
    await stopChild(running.child);
    removeTempDir(stateDir);
  }
}

/**
 * The baselines as plain JavaScript, for the bundle's floor. Written to a temp dir (not the tree, where lint and
 * typecheck would see them) with `ws` pointed at this checkout's copy by absolute URL.
 */
async function writeJsBaselines(
  dir: string,
): Promise<{ server: string; client: string; multiServer: string }> {
  const ws = JSON.stringify(import.meta.resolve('ws'));
  const toJs = (source: string, target: string) => {
    const { code } = transformSync(readFileSync(source, 'utf8'), { loader: 'ts', format: 'esm' });
    const rewritten = code.replace(/ from "ws";/, ` from ${ws};`);
    if (rewritten === code) throw new Error(`no ws import found in ${source}`);
    writeFileSync(target, rewritten);
    return target;
  };
  const paths = {
    server: toJs(BASELINE_SERVER, join(dir, 'baseline-server.mjs')),
    client: toJs(BASELINE_CLIENT, join(dir, 'baseline-client.mjs')),
    multiServer: toJs(BASELINE_MULTI_SERVER, join(dir, 'baseline-multi-server.mjs')),
  };
  await stopEsbuild(); // its service process would otherwise sit beside every measurement
  return paths;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  return newest;
}

const SCENARIOS = [
  'startup',
  'chat',
  'tools',
  'rpc',
  'fanout',
  'connections',
  'soak',
  'cron',
  'telegram',
  'memory',
  'nodes',
  'mcp',
] as const;
type Scenario = (typeof SCENARIOS)[number];
/** What a plain `npm run bench` runs (and what must have run for RESULTS.md to be rewritten). */
const DEFAULT_SCENARIOS: readonly Scenario[] = SCENARIOS;
type Options = { runs: number; only: Set<Scenario>; profile: boolean; bigLevel: boolean };

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: String(DEFAULT_RUNS) },
      only: { type: 'string', multiple: true },
      soak: { type: 'boolean', default: false },
      'no-soak': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-10k': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!/^\d+$/.test(values.runs) || runs < 1 || runs > MAX_RUNS)
    throw new Error(`--runs must be an integer 1-${MAX_RUNS} (the bench must finish within four minutes)`);
  const named = (values.only ?? []).flatMap((v) => v.split(','));
  for (const name of named)
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`--only ${name}: not one of ${SCENARIOS.join(', ')}`);
  const only = new Set<Scenario>(named.length ? (named as Scenario[]) : SCENARIOS);
  if (values['no-soak']) only.delete('soak');
  if (values.soak) only.add('soak');
  return { runs, only, profile: values.profile, bigLevel: !values['no-10k'] };
}

/**
 * Chat throughput ÷ the floor's, read from the chat table's `throughput` row (the one place the figure lives);
 * a table without it gives a target with no figure, which fails the bench rather than passing unseen.
 */
function chatTargets(result: ChatBenchResult): Target[] {
  const table = result.tables.find((t) => t.title === 'Chat turns');
  const row = table && 'values' in table ? table.values.find((r) => r.label === 'throughput') : undefined;
  const ratio =
    typeof row?.ours === 'number' && typeof row.floor === 'number' ? row.ours / row.floor : Number.NaN;
  return [
    {
      label: 'chat turns/s (echo, 16 in flight): clawgate ÷ floor',
      limit: TARGET_CHAT_VS_FLOOR,
      unit: '×',
      actual: ratio,
      atLeast: true,
    },
  ];
}

type ScenarioOutcome = { tables: Table[]; notes: string[]; targets: Target[]; correct: boolean };

/** Runs one scenario; a failure becomes a note (and a non-zero exit), not the end of the bench. */
async function scenario(name: string, run: () => Promise<ScenarioOutcome>): Promise<ScenarioOutcome> {
  try {
    const outcome = await run();
    if (!outcome.correct) process.exitCode = 1;
    return outcome;
  } catch (error) {
    process.stderr.write(`bench: ${name} scenario failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
    return {
      tables: [],
      notes: [`**The ${name} scenario failed**: ${(error as Error).message.split('\n')[0]}`],
      targets: [],
      correct: false,
    };
  }
}

/** Start-up (sources, bundle, first start) and CLI timings, each against its floor. */
async function measureStartup(
  runs: number,
  js: { server: string; client: string },
  withDist: boolean,
): Promise<ScenarioOutcome> {
  const pairs = [{ ours: gatewayCommand(SRC_CLI), floor: baselineCommand(BASELINE_SERVER) }];
  if (withDist) pairs.push({ ours: gatewayCommand(DIST_CLI), floor: baselineCommand(js.server) });
  const { jobs, samples } = startupJobs(pairs, runs);
  const firstStart: StartupSample[] = [];
  // First start (the gateway generates its token), after its own unmeasured warm-up.
  jobs.unshift(
    { command: gatewayCommand(SRC_CLI), withToken: false },
    { command: gatewayCommand(SRC_CLI), withToken: false, record: (s) => firstStart.push(s) },
  );
  process.stderr.write(`bench: ${runs} runs\n`);
  await runStartups(jobs);
  const [src, dist] = samples;

  process.stderr.write('bench: CLI…\n');
  const callArgs = (cli: string) => (url: string) => [cli, 'call', 'health', '--url', url, '--token', TOKEN];
  const clientArgs = (script: string) => (url: string) => [script, '--url', url, '--token', TOKEN];
  const cli = await measureCli(
    [
      { label: 'clawgate call health (src)', args: callArgs(SRC_CLI), floor: 'bare ws client (.ts)' },
      ...(withDist
        ? [{ label: 'clawgate call health (dist)', args: callArgs(DIST_CLI), floor: 'bare ws client (.mjs)' }]
        : []),
      { label: 'bare ws client (.ts)', args: clientArgs(BASELINE_CLIENT), floor: 'node -e 0' },
      { label: 'bare ws client (.mjs)', args: clientArgs(js.client), floor: 'node -e 0' },
      { label: 'node -e 0', args: () => ['-e', '0'] },
    ],
    runs,
  );

  const tables: Table[] = [
    {
      title: 'Gateway start-up from sources',
      description:
        'Spawn of `node src/cli/main.ts gateway run` (token from `CLAWGATE_GATEWAY_TOKEN`, fresh state dir) to each milestone, against `bench/baseline-server.ts` (bare `http` + `ws`, same ready line, also type-stripped) as the floor.',
      rows: startupRows(src.ours, src.floor, 'bare .ts'),
    },
  ];
  if (dist)
    tables.push({
      title: 'Gateway start-up from the bundle',
      description:
        'The same with `node dist/cli.mjs` (what `bin/clawgate.mjs` runs once built), against the baseline compiled to plain `.mjs`.',
      rows: startupRows(dist.ours, dist.floor, 'bare .mjs'),
    });
  tables.push(
    {
      title: 'First start from sources (token generated), one run',
      description:
        'Without `CLAWGATE_GATEWAY_TOKEN`: the gateway writes `gateway.token` into the fresh state dir.',
      rows: startupRows(firstStart, undefined, ''),
    },
    {
      title: 'CLI',
      description: `Spawn to exit, against one running gateway, ${runs} runs each (interleaved).`,
      rows: cli,
    },
  );

  const median = (samples: StartupSample[], pick: (s: StartupSample) => number) =>
    stats(samples.map(pick)).median;
  const targetsFor = (name: string, samples: StartupSample[], callRow: Row | undefined): Target[] => [
    {
      label: `ready, spawn → /readyz 200 (${name})`,
      limit: TARGET_READY_MS,
      unit: 'ms',
      actual: median(samples, (s) => s.readyzMs),
    },
    {
      label: `idle RSS (${name})`,
      limit: TARGET_RSS_MIB,
      unit: 'MiB',
      actual: median(samples, (s) => s.rssMiB),
    },
    {
      label: `\`clawgate call health\` start → exit (${name})`,
      limit: TARGET_CLI_MS,
      unit: 'ms',
      actual: callRow?.ours.median ?? NaN,
    },
  ];
  // Targets apply to what users run: the bundle. Sources are reported in the tables for comparison only.
  const targets = dist ? targetsFor('dist', dist.ours, cli[1]) : targetsFor('src', src.ours, cli[0]);

  return {
    tables,
    targets,
    correct: true,
    notes: [
      'Each server gets a port reserved just before spawn (`--port <free port>`, not `--port 0`), so `/health` and `/readyz` can be polled from the instant of spawn; with port 0 nothing is known before the ready line.',
      `Probes are polled with a fresh HTTP connection per attempt, ${POLL_GAP_MS} ms apart; /readyz polling starts once /health answered.`,
      'RSS is `VmRSS` from `/proc/<pid>/status`, 1 s after one handshake completed; MiB = 1024² bytes.',
      'The CLI floors: `node -e 0` is bare Node start-up; "bare ws client" (`bench/baseline-client.ts`) adds `ws` and the same connect + health exchange, the least any Node CLI making this call can cost.',
    ],
  };
}

async function main({ runs, only, profile }: Options, bigLevel: BigLevel, scratch: string): Promise<void> {
  const started = performance.now();
  if (profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    enableProfiling(PROFILE_DIR);
  }
  const machine = describeMachine(REPO_ROOT);
  const js = await writeJsBaselines(scratch);
  const withDist = existsSync(DIST_CLI);
  const notes: string[] = [];
  if (!withDist) notes.push('`dist/cli.mjs` is missing (run `npm run build`): the bundle was not measured.');
  else if (statSync(DIST_CLI).mtimeMs < newestMtimeMs(join(REPO_ROOT, 'src')))
    notes.push('`dist/` is older than `src/`: the bundle figures are for a stale build (`npm run build`).');
  // The load scenarios are judged like the targets on the bundle (sources only when it is missing).
  const subject = {
    cli: withDist ? DIST_CLI : SRC_CLI,
    cliLabel: withDist ? 'node dist/cli.mjs' : 'node src/cli/main.ts',
    floorLabel: withDist ? 'bare .mjs floor' : 'bare .ts floor',
    token: TOKEN,
  };
  const multiFloor = withDist ? js.multiServer : BASELINE_MULTI_SERVER;
  const outcomes: ScenarioOutcome[] = [];
  if (only.has('startup'))
    outcomes.push(await scenario('start-up', () => measureStartup(runs, js, withDist)));
  if (only.has('chat'))
    outcomes.push(
      await scenario('chat', async () => {
        const result = await measureChatTurns({ ...subject, floorServer: multiFloor });
        return { ...result, targets: chatTargets(result) };
      }),
    );
  if (only.has('tools')) outcomes.push(await scenario('tools', () => measureTools(subject)));
  if (only.has('rpc'))
    outcomes.push(await scenario('rpc', () => measureRpc({ ...subject, floorServer: multiFloor })));
  if (only.has('fanout'))
    outcomes.push(await scenario('fan-out', () => measureFanout({ ...subject, floorServer: multiFloor })));
  if (only.has('connections'))
    outcomes.push(
      await scenario('connections', () =>
        measureConnections({ ...subject, floorServer: multiFloor, bigLevel }),
      ),
    );
  if (only.has('soak')) outcomes.push(await scenario('soak', () => measureSoak(subject)));
  if (only.has('cron'))
    outcomes.push(
      await scenario('cron', () =>
        measureCron({
          ...subject,
          floorServer: withDist ? js.server : BASELINE_SERVER,
          floorLabel: withDist ? 'bare .mjs' : 'bare .ts',
          runs,
        }),
      ),
    );
  if (only.has('telegram')) outcomes.push(await scenario('telegram', () => measureTelegram(subject)));
  if (only.has('memory')) outcomes.push(await scenario('memory', () => measureMemory(subject)));
  if (only.has('nodes'))
    outcomes.push(await scenario('nodes', () => measureNodes({ ...subject, floorServer: multiFloor })));
  if (only.has('mcp')) outcomes.push(await scenario('mcp', () => measureMcp(subject)));

  const tables = outcomes.flatMap((o) => o.tables);
  const targets = outcomes.flatMap((o) => o.targets);
  notes.push(
    ...outcomes.flatMap((o) => o.notes),
    'Other processes on the machine (see the load average) skew every figure; compare ratios to the floors, which ran interleaved with clawgate.',
    `Scenarios run: ${[...only].join(', ')}. Whole bench took ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  );
  const report: Report = { machine, runs, tables, targets, notes };
  process.stdout.write(formatText(report));
  const missed = missedTargets(targets);
  if (missed.length) {
    process.exitCode = 1;
    process.stderr.write(
      `bench: ${missed.length} of ${targets.length} targets missed, not run or without a figure (see Targets)\n`,
    );
  }
  if (profile) {
    const summary = writeProfileSummary(PROFILE_DIR, machine, 'npm run bench');
    process.stdout.write(`${summary}\n`);
    process.stderr.write(
      `bench: profiles and their summary in ${PROFILE_DIR}; RESULTS.md is not written by a profiled run\n`,
    );
  } else if (DEFAULT_SCENARIOS.every((name) => only.has(name))) {
    writeFileSync(RESULTS_PATH, formatMarkdown(report));
    process.stderr.write(`bench: wrote ${RESULTS_PATH}\n`);
  } else process.stderr.write(`bench: a partial run (--only): ${RESULTS_PATH} left as it was\n`);
}

let options: Options;
try {
  options = parseOptions();
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exit(2);
}
let bigLevel: BigLevel = { run: false };
if (options.only.has('connections') && options.bigLevel) {
  const plan = planFileLimit(FDS_FOR_10K, 'the 10 000-socket level');
  if (plan.kind === 'reexec') {
    // Before any handler or child: the re-run is the bench, this process only waits for it.
    process.stderr.write(
      `bench: the 10 000-socket level needs more open files: re-running under \`${plan.command}\`\n`,
    );
    process.exit(await reexecUnder(plan.command));
  }
  if (plan.kind === 'short') process.stderr.write(`bench: ${plan.message}; that level is NOT RUN\n`);
  bigLevel = plan.kind === 'enough' ? { run: true } : { run: false, notRun: plan.message };
}

process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    cleanupAll();
    process.exit(130);
  });
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: gave up after ${WHOLE_BENCH_MS / 1000} s\n`);
  cleanupAll();
  process.exit(1);
}, WHOLE_BENCH_MS);
watchdog.unref();

try {
  await main(options, bigLevel, makeTempDir('clawgate-bench-js-'));
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  cleanupAll();
}
