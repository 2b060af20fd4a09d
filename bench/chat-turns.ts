/**
 * Chat throughput (issue 4): one gateway child on the offline `echo/echo` model with no word delay, driven by a
 * raw `ws` backend client in this process — `chat.send` turns spread over a few sessions with a bounded number
 * in flight, each timed from send to its `chat` final. The same client drives `bench/baseline-multi-server.ts`,
 * which sends the same frames per turn and does nothing else, for the floor.
 *
 * Both servers run with `--expose-gc` and a one-line preload that answers SIGUSR2 with a full GC, so memory can be
 * read settled (after a forced GC and an idle second) as well as raw; nothing else about them changes.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { IDEMPOTENCY_MAX_ENTRIES, IDEMPOTENCY_TTL_MS } from '../src/config/limits.ts';
import { gatewayNodeFlags, SHIPPED_NODE_FLAGS } from './gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  type RunningChild,
  readCpuMs,
  readRss,
  readSchedstat,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
  withTimeout,
} from './probes.ts';
import type { Table, ValueRow } from './report.ts';
import { measureStoreCost, type StoreCost } from './store-cost.ts';

export type ChatLoad = {
  turns: number;
  sessions: number;
  /** Turns sent and not yet final at any moment. */
  inFlight: number;
  /** Unmeasured turns first (JIT, lazily loaded modules, statement caches), on sessions of their own. */
  warmupTurns: number;
};

export const CHAT_LOAD: ChatLoad = { turns: 1_000, sessions: 10, inFlight: 16, warmupTurns: 100 };

const START_DEADLINE_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** 1 000 turns take a few seconds; a run this slow is broken, not slow. */
const RUN_DEADLINE_MS = 60_000;
const IDLE_BEFORE_RSS_MS = 1_000;
/** Idle after the forced GC, so V8's concurrent sweeper has returned freed pages before RSS is read. */
const SETTLE_IDLE_MS = 1_000;
/** Store turns timed in-process for the one-at-a-time store rate. */
const STORE_TURNS = 300;
/** Growth of settled RSS across the run that calls for a look at what grows. */
const RSS_GROWTH_ALERT_MIB = 10;

const GC_DONE = 'bench: gc done';
const GC_PRELOAD = `data:text/javascript,${encodeURIComponent(
  `process.on('SIGUSR2', () => { globalThis.gc(); process.stdout.write('${GC_DONE}\\n'); });`,
)}`;
export const NODE_FLAGS = ['--expose-gc', `--import=${GC_PRELOAD}`];
/** `models.echo.wordDelayMs: 0`: the echo provider still yields to the event loop between words, never sleeps. */
const GATEWAY_CONFIG = { models: { echo: { wordDelayMs: 0 } } };

type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  payload?: Record<string, unknown>;
  error?: { code: string; message: string };
};

type Waiter<T> = { resolve: (value: T) => void; reject: (error: Error) => void };

function finalText(message: unknown): string | undefined {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  return content.map((block: { text?: string }) => block.text ?? '').join('');
}

/** A backend operator socket: requests by id, and each run's terminal `chat` event by runId. */
class LoadClient {
  readonly #ws: WebSocket;
  readonly #requests = new Map<string, Waiter<Frame>>();
  readonly #finals = new Map<string, Waiter<string>>();
  #nextId = 0;
  #closed: Error | undefined;
  frames = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => this.#onFrame(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code, reason) => this.#fail(new Error(`socket closed ${code} ${reason.toString()}`)));
    ws.on('error', (error) => this.#fail(error));
  }

  /** Opens the socket, answers `connect.challenge` with `connect`, resolves with the hello-ok payload. */
  static async connect(url: string, token: string): Promise<{ client: LoadClient; hello: Frame['payload'] }> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const challenge = new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('message', () => resolve());
    });
    const client = new LoadClient(ws);
    await withTimeout(challenge, START_DEADLINE_MS, `no connect.challenge from ${url}`);
    const hello = await client.request('connect', {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: 'gateway-client', mode: 'backend', version: '0.0.0', platform: process.platform },
      role: 'operator',
      scopes: ['operator.admin'],
      auth: { token },
    });
    return { client, hello };
  }

  request(method: string, params: unknown): Promise<Frame['payload']> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = String(++this.#nextId);
    const answer = new Promise<Frame>((resolve, reject) => this.#requests.set(id, { resolve, reject }));
    this.#ws.send(JSON.stringify({ type: 'req', id, method, params }));
    return withTimeout(answer, REQUEST_TIMEOUT_MS, `${method}: no answer`).then((frame) => {
      if (!frame.ok) throw new Error(`${method} failed: ${frame.error?.code} ${frame.error?.message}`);
      return frame.payload;
    });
  }

  /** The text of the run's `final`; rejects if it ends `error` or `aborted`. Call before sending. */
  final(runId: string): Promise<string> {
    return new Promise((resolve, reject) => this.#finals.set(runId, { resolve, reject }));
  }

  forget(runId: string): void {
    this.#finals.delete(runId);
  }

  close(): void {
    this.#ws.removeAllListeners();
    this.#ws.on('error', () => undefined);
    this.#ws.terminate();
  }

  #onFrame(frame: Frame): void {
    this.frames += 1;
    if (frame.type === 'res' && frame.id !== undefined) {
      const waiter = this.#requests.get(frame.id);
      this.#requests.delete(frame.id);
      waiter?.resolve(frame);
      return;
    }
    if (frame.type !== 'event' || frame.event !== 'chat') return;
    const payload = frame.payload ?? {};
    const state = payload.state;
    if (state !== 'final' && state !== 'error' && state !== 'aborted') return;
    const waiter = this.#finals.get(String(payload.runId));
    if (!waiter) return;
    this.#finals.delete(String(payload.runId));
    if (state === 'final') waiter.resolve(finalText(payload.message) ?? '');
    else waiter.reject(new Error(`run ${payload.runId} ended ${state}: ${payload.errorMessage ?? ''}`));
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const waiter of [...this.#requests.values(), ...this.#finals.values()]) waiter.reject(error);
    this.#requests.clear();
    this.#finals.clear();
  }
}

type TurnSpec = { sessionKey: string; message: string; idempotencyKey: string };

function planTurns(name: string, count: number, sessions: number): TurnSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    sessionKey: `${name}-${i % sessions}`,
    message: `bench turn ${i} says hello to session ${i % sessions}`,
    idempotencyKey: `${name}-run-${i}`,
  }));
}

type DriveResult = {
  wallMs: number;
  /** Send → `final`, and send → `res`, per turn. */
  latencies: number[];
  acks: number[];
  /** Turns whose answer or final text was not what was sent (one line each). */
  wrong: string[];
  frames: number;
  clientCpuMs: number;
  /** All the server's threads (V8's GC and compiler threads, libuv's pool included). */
  serverCpuMs: number;
  /** The server's main thread: on a CPU, and runnable but waiting for one. */
  mainCpuMs: number;
  mainWaitMs: number;
};

/** Sends the turns with at most `inFlight` awaiting their final; checks each answer and final text. */
async function driveTurns(
  client: LoadClient,
  turns: TurnSpec[],
  inFlight: number,
  serverPid: number,
): Promise<DriveResult> {
  const latencies: number[] = [];
  const acks: number[] = [];
  const wrong: string[] = [];
  let next = 0;
  const sender = async () => {
    while (next < turns.length) {
      const turn = turns[next++];
      const final = client.final(turn.idempotencyKey);
      final.catch(() => undefined);
      const start = performance.now();
      let ack: Frame['payload'];
      try {
        ack = await client.request('chat.send', turn);
      } catch (error) {
        client.forget(turn.idempotencyKey);
        throw error;
      }
      acks.push(performance.now() - start);
      if (ack?.runId !== turn.idempotencyKey || ack?.status !== 'started')
        wrong.push(`${turn.idempotencyKey}: chat.send answered ${JSON.stringify(ack)}`);
      const text = await final;
      latencies.push(performance.now() - start);
      if (text !== `Echo: ${turn.message}`)
        wrong.push(`${turn.idempotencyKey}: final ${JSON.stringify(text)}`);
    }
  };
  const frames = client.frames;
  const cpu = process.cpuUsage();
  const serverCpu = readCpuMs(serverPid);
  const main = readSchedstat(serverPid);
  const started = performance.now();
  await withTimeout(
    Promise.all(Array.from({ length: inFlight }, sender)),
    RUN_DEADLINE_MS,
    `${turns.length} turns not done within ${RUN_DEADLINE_MS / 1000} s`,
  );
  const wallMs = performance.now() - started;
  const clientCpu = process.cpuUsage(cpu);
  const mainAfter = readSchedstat(serverPid);
  return {
    wallMs,
    latencies,
    acks,
    wrong,
    frames: client.frames - frames,
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
    serverCpuMs: readCpuMs(serverPid) - serverCpu,
    mainCpuMs: mainAfter.cpuMs - main.cpuMs,
    mainWaitMs: mainAfter.waitMs - main.waitMs,
  };
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** SIGUSR2 → the preload's full GC; then an idle second. */
export async function settle(running: RunningChild): Promise<void> {
  const stdout = running.child.stdout!;
  const acknowledged = new Promise<void>((resolve) => {
    let seen = '';
    const onData = (chunk: string) => {
      seen += chunk;
      if (!seen.includes(GC_DONE)) return;
      stdout.off('data', onData);
      resolve();
    };
    stdout.on('data', onData);
  });
  running.child.kill('SIGUSR2');
  await withTimeout(acknowledged, START_DEADLINE_MS, 'no acknowledgement of the forced GC');
  await delay(SETTLE_IDLE_MS);
}

const MIB = 1024 * 1024;
const rssMiB = (pid: number) => readRss(pid).rssKiB / 1024;

type EventLoop = {
  delayP99Ms: number;
  delayMaxMs: number;
  utilization: number;
  cpuCoreRatio: number;
  intervalMs: number;
};

/** What the gateway itself says (methods the floor does not have). */
type Heap = { usedMiB: number; totalMiB: number };

type GatewayView = {
  eventLoop: EventLoop;
  heapBefore: Heap;
  heapAfter: Heap;
  heapSettled: Heap;
  history: { session: string; expected: number; total: number; returned: number; wrong: string[] };
};

type SubjectResult = {
  run: DriveResult;
  warmupWrong: string[];
  rssIdleMiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssSettledMiB: number;
  peakRssMiB: number;
  gateway?: GatewayView;
};

type Subject = {
  args: (port: number) => string[];
  /** Writes the config, returns the env; the state dir is removed with the server. */
  env: (stateDir: string) => NodeJS.ProcessEnv;
  gateway: boolean;
};

/** The gateway's V8 heap, from its `status` method: used, and committed (`heapTotal`). */
async function heapOf(client: LoadClient): Promise<Heap> {
  const status = await client.request('status', {});
  const memory = (status?.processMemory ?? {}) as { heapUsedBytes?: number; heapTotalBytes?: number };
  return { usedMiB: Number(memory.heapUsedBytes) / MIB, totalMiB: Number(memory.heapTotalBytes) / MIB };
}

/** Every message of the session's transcript, each checked against what was sent under its run id. */
async function checkHistory(client: LoadClient, turns: TurnSpec[], sessionKey: string) {
  const sent = new Map(turns.filter((t) => t.sessionKey === sessionKey).map((t) => [t.idempotencyKey, t]));
  const history = await client.request('chat.history', { sessionKey, limit: 1_000 });
  const messages = (history?.messages ?? []) as { role: string; content: unknown; runId?: string }[];
  const wrong: string[] = [];
  const seen = { user: new Set<string>(), assistant: new Set<string>() };
  for (const message of messages) {
    const turn = message.runId ? sent.get(message.runId) : undefined;
    const text = finalText({ content: message.content });
    const expected = message.role === 'user' ? turn?.message : `Echo: ${turn?.message}`;
    if (!turn || (message.role !== 'user' && message.role !== 'assistant') || text !== expected)
      wrong.push(`${message.role} ${message.runId}: ${JSON.stringify(text)}`);
    else seen[message.role].add(turn.idempotencyKey);
  }
  if (seen.user.size !== sent.size || seen.assistant.size !== sent.size)
    wrong.push(`${seen.user.size} user and ${seen.assistant.size} assistant messages for ${sent.size} turns`);
  return {
    session: sessionKey,
    expected: 2 * sent.size,
    total: Number(history?.totalMessages),
    returned: messages.length,
    wrong,
  };
}

async function runSubject(subject: Subject, load: ChatLoad, token: string): Promise<SubjectResult> {
  const port = await reservePort();
  const stateDir = makeTempDir('clawgate-bench-chat-');
  const running = spawnNode([...NODE_FLAGS, ...subject.args(port)], subject.env(stateDir), stateDir);
  let client: LoadClient | undefined;
  try {
    const pid = running.child.pid!;
    await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
    const ready = await withTimeout(running.readyLine, START_DEADLINE_MS, 'no ready line on stdout');
    const connected = await LoadClient.connect(ready.url, token);
    client = connected.client;
    const scopes = (connected.hello?.auth as { scopes?: string[] } | undefined)?.scopes ?? [];
    if (!scopes.includes('operator.admin'))
      throw new Error(`the backend client was granted ${JSON.stringify(scopes)}, not operator.admin`);
    await delay(IDLE_BEFORE_RSS_MS);
    const rssIdleMiB = rssMiB(pid);

    const warmup = await driveTurns(
      client,
      planTurns('warmup', load.warmupTurns, load.sessions),
      load.inFlight,
      pid,
    );
    await settle(running);
    const rssBeforeMiB = rssMiB(pid);
    const heapBefore = subject.gateway ? await heapOf(client) : undefined;

    const turns = planTurns('bench', load.turns, load.sessions);
    // A probe rebuilds the health snapshot and starts a new event-loop window; the one after the run reads it.
    if (subject.gateway) await client.request('health', { probe: true });
    const run = await driveTurns(client, turns, load.inFlight, pid);
    const health = subject.gateway ? await client.request('health', { probe: true }) : undefined;
    const rssAfterMiB = rssMiB(pid);
    const peakRssMiB = readRss(pid).hwmKiB / 1024;

    let gateway: GatewayView | undefined;
    if (subject.gateway) {
      const history = await checkHistory(client, turns, turns[0].sessionKey);
      const heapAfter = await heapOf(client);
      await settle(running);
      gateway = {
        eventLoop: health?.eventLoop as EventLoop,
        heapBefore: heapBefore!,
        heapAfter,
        heapSettled: await heapOf(client),
        history,
      };
    } else await settle(running);
    return {
      run,
      warmupWrong: warmup.wrong,
      rssIdleMiB,
      rssBeforeMiB,
      rssAfterMiB,
      rssSettledMiB: rssMiB(pid),
      peakRssMiB,
      gateway,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver stderr:\n${running.stderr().slice(-2_000)}`);
  } finally {
    client?.close();
    await stopChild(running.child);
    removeTempDir(stateDir);
  }
}

export type ChatBenchOptions = {
  /** The CLI to run `gateway run` from (the bundle, or sources when it is missing). */
  cli: string;
  cliLabel: string;
  /** `bench/baseline-multi-server` as plain `.mjs` (or `.ts` next to sources). */
  floorServer: string;
  floorLabel: string;
  token: string;
  load?: ChatLoad;
};

export type ChatBenchResult = {
  tables: Table[];
  notes: string[];
  /** False when a reply, the transcript or a grant was wrong: the figures are for a broken gateway. */
  correct: boolean;
};

export async function measureChatTurns(options: ChatBenchOptions): Promise<ChatBenchResult> {
  const load = options.load ?? CHAT_LOAD;
  const gatewaySubject: Subject = {
    args: (port) => [
      ...gatewayNodeFlags('chat'),
      options.cli,
      'gateway',
      'run',
      '--port',
      String(port),
      '--token',
      options.token,
    ],
    env: (stateDir) => {
      writeFileSync(join(stateDir, 'clawgate.json'), JSON.stringify(GATEWAY_CONFIG));
      return cleanEnv({ CLAWGATE_STATE_DIR: stateDir });
    },
    gateway: true,
  };
  const floorSubject: Subject = {
    args: (port) => [...SHIPPED_NODE_FLAGS, options.floorServer, '--port', String(port)],
    env: () => cleanEnv({}),
    gateway: false,
  };
  // The disk's fsync latency drifts with whatever else the machine does: the store is timed on both sides of
  // the gateway's run.
  process.stderr.write('bench: SQLite store cost…\n');
  const storeBefore = await measureStoreCost(STORE_TURNS, load.sessions);
  process.stderr.write(`bench: chat, ${load.turns} turns (${options.cliLabel})…\n`);
  const ours = await runSubject(gatewaySubject, load, options.token);
  const storeAfter = await measureStoreCost(STORE_TURNS, load.sessions);
  process.stderr.write('bench: chat floor…\n');
  const floor = await runSubject(floorSubject, load, options.token);
  return report(options, load, ours, floor, [storeBefore, storeAfter]);
}

function report(
  options: ChatBenchOptions,
  load: ChatLoad,
  ours: SubjectResult,
  floor: SubjectResult,
  stores: StoreCost[],
): ChatBenchResult {
  const gw = ours.gateway!;
  const rate = (r: DriveResult) => (r.latencies.length / r.wallMs) * 1000;
  const correctCell = (s: SubjectResult) =>
    `${load.turns - s.run.wrong.length}/${load.turns}${s.run.wrong.length || s.warmupWrong.length ? ' WRONG' : ''}`;
  const both = (
    label: string,
    unit: ValueRow['unit'],
    pick: (r: DriveResult, s: SubjectResult) => number | string,
  ): ValueRow => ({ label, unit, ours: pick(ours.run, ours), floor: pick(floor.run, floor) });
  const throughput: ValueRow[] = [
    both('replies equal "Echo: " + message', 'count', (_, s) => correctCell(s)),
    both('wall time', 's', (r) => r.wallMs / 1000),
    both('throughput', 'turns/s', rate),
    both('turn latency p50 (send → final)', 'ms', (r) => percentile(r.latencies, 50)),
    both('turn latency p90', 'ms', (r) => percentile(r.latencies, 90)),
    both('turn latency p99', 'ms', (r) => percentile(r.latencies, 99)),
    both('turn latency max', 'ms', (r) => percentile(r.latencies, 100)),
    both('ack latency p50 (send → res)', 'ms', (r) => percentile(r.acks, 50)),
    both('ack latency p99', 'ms', (r) => percentile(r.acks, 99)),
    both('frames received per turn', 'count', (r) => r.frames / load.turns),
    both('server CPU time (all threads)', 's', (r) => r.serverCpuMs / 1000),
    both('server CPU per turn', 'ms', (r) => r.serverCpuMs / load.turns),
    both('server main thread on a CPU', '%', (r) => (r.mainCpuMs / r.wallMs) * 100),
    both('server main thread runnable, waiting for a CPU', '%', (r) => (r.mainWaitMs / r.wallMs) * 100),
    both(
      'server main thread blocked in a syscall or idle',
      '%',
      (r) => ((r.wallMs - r.mainCpuMs - r.mainWaitMs) / r.wallMs) * 100,
    ),
    both('load client CPU (this process)', 's', (r) => r.clientCpuMs / 1000),
    both('load client CPU, share of one core', '%', (r) => (r.clientCpuMs / r.wallMs) * 100),
  ];
  const growth = (s: SubjectResult) => s.rssSettledMiB - s.rssBeforeMiB;
  const memory: ValueRow[] = [
    both('RSS idle (1 s after the handshake)', 'MiB', (_, s) => s.rssIdleMiB),
    both(`RSS after ${load.warmupTurns} warm-up turns, settled`, 'MiB', (_, s) => s.rssBeforeMiB),
    both('RSS right after the run', 'MiB', (_, s) => s.rssAfterMiB),
    both('RSS after the run, settled', 'MiB', (_, s) => s.rssSettledMiB),
    both('RSS growth across the run (settled)', 'MiB', (_, s) => growth(s)),
    both('peak RSS (VmHWM)', 'MiB', (_, s) => s.peakRssMiB),
    { label: 'JS heap used: before the run (settled)', unit: 'MiB', ours: gw.heapBefore.usedMiB },
    { label: 'JS heap used: right after the run', unit: 'MiB', ours: gw.heapAfter.usedMiB },
    { label: 'JS heap used: after the run (settled)', unit: 'MiB', ours: gw.heapSettled.usedMiB },
    { label: 'JS heap committed: before the run (settled)', unit: 'MiB', ours: gw.heapBefore.totalMiB },
    { label: 'JS heap committed: after the run (settled)', unit: 'MiB', ours: gw.heapSettled.totalMiB },
  ];
  const loop = gw.eventLoop;
  const eventLoop: ValueRow[] = [
    { label: 'event-loop delay p99', unit: 'ms', ours: loop.delayP99Ms },
    { label: 'event-loop delay max', unit: 'ms', ours: loop.delayMaxMs },
    { label: 'event-loop utilization', unit: '%', ours: loop.utilization * 100 },
    { label: 'CPU, cores busy (cpuCoreRatio)', unit: 'count', ours: loop.cpuCoreRatio },
    { label: 'window sampled (intervalMs)', unit: 'ms', ours: loop.intervalMs },
  ];
  const mean = (pick: (s: StoreCost) => number) =>
    stores.reduce((sum, s) => sum + pick(s), 0) / stores.length;
  const msPerTurn = mean((s) => s.msPerTurn);
  const ceiling = 1000 / msPerTurn;
  const storeRows: ValueRow[] = [
    {
      label: 'commits per turn, one turn at a time (counted in the WAL)',
      unit: 'count',
      ours: mean((s) => s.commitsPerTurn),
    },
    ...stores.map(
      (s, i): ValueRow => ({
        label: `store time per turn, ${i === 0 ? 'before' : 'after'} the gateway's run`,
        unit: 'ms',
        ours: s.msPerTurn,
      }),
    ),
    {
      label: 'store CPU per turn, mean (the rest is waiting on fsync)',
      unit: 'ms',
      ours: mean((s) => s.cpuMsPerTurn),
    },
    { label: 'store time per commit (fsync included), mean', unit: 'ms', ours: mean((s) => s.msPerCommit) },
    {
      label: 'store-bound rate, one turn at a time (1000 / mean ms per turn)',
      unit: 'turns/s',
      ours: ceiling,
    },
    {
      label: 'clawgate throughput (16 in flight, commits shared), relative to that',
      unit: '%',
      ours: (rate(ours.run) / ceiling) * 100,
    },
  ];

  const floorLabel = options.floorLabel;
  const tables: Table[] = [
    {
      title: 'Chat turns',
      description:
        `\`${options.cliLabel} gateway run\` with \`models.echo.wordDelayMs: 0\` (the default agent's offline \`echo/echo\` model), ` +
        `one raw \`ws\` backend client (\`gateway-client\`/\`backend\`, admin) in the bench process: ${load.turns} \`chat.send\` turns over ` +
        `${load.sessions} sessions, at most ${load.inFlight} awaiting their \`chat\` final, after ${load.warmupTurns} unmeasured warm-up turns. ` +
        'One run. The floor (`bench/baseline-multi-server.ts`) answers each `chat.send` with the same frames and nothing else, driven by the same client. ' +
        'Main-thread shares come from `/proc/<pid>/task/<pid>/schedstat`; "blocked or idle" is the wall time left over.',
      floorLabel,
      values: throughput,
    },
    {
      title: 'Chat turns: memory',
      description:
        '"Settled" = after a forced full GC (SIGUSR2 to a `--expose-gc` preload) and 1 s idle. JS heap figures come from the gateway\'s `status` method (`processMemory`); the floor has none. ' +
        "Reading a config file loads the gateway's config-schema layer: idle RSS here is ~4 MiB above the start-up tables', which run without one.",
      floorLabel,
      values: memory,
    },
    {
      title: 'Chat turns: gateway event loop during the run',
      description:
        'From the gateway itself: `health {probe:true}` right before the run starts a window, the same call right after reads it (`eventLoop`; delays sampled by `monitorEventLoopDelay` at 20 ms resolution).',
      values: eventLoop,
    },
    {
      title: 'Chat turns: what the SQLite store costs',
      description: `The store calls of one echo turn (as ChatService makes them) on the real \`SqliteStore\` (WAL, \`synchronous=FULL\`), ${stores[0].turns} turns back to back in the bench process, on the same filesystem as the gateway's state dir, just before and just after the gateway's run. node:sqlite is synchronous: this time, but for the wait on each commit's fsync (the gateway's store makes it on libuv's thread pool), is spent on the gateway's event loop. Turns one at a time commit twice each; in the gateway, writes of concurrent turns requested in the same event-loop turn share one group commit, which is how it passes this rate.`,
      values: storeRows,
    },
  ];

  const problems = [
    ...ours.warmupWrong.map((w) => `warm-up ${w}`),
    ...ours.run.wrong,
    ...gw.history.wrong.map((w) => `history ${w}`),
    ...floor.run.wrong.map((w) => `floor ${w}`),
    ...floor.warmupWrong.map((w) => `floor warm-up ${w}`),
  ];
  if (gw.history.total !== gw.history.expected || gw.history.returned !== gw.history.expected)
    problems.push(
      `chat.history ${gw.history.session}: totalMessages ${gw.history.total}, ${gw.history.returned} returned, expected ${gw.history.expected}`,
    );
  const notes = [
    problems.length === 0
      ? `Chat correctness: all ${load.turns} finals (and the ${load.warmupTurns} warm-up ones) were "Echo: " + the message sent; \`chat.history\` of \`${gw.history.session}\` returned ${gw.history.returned} messages (totalMessages ${gw.history.total}) = 2 × its ${gw.history.expected / 2} turns, each matching what was sent under its runId.`
      : `**Chat correctness FAILED** (${problems.length}): ${problems.slice(0, 5).join('; ')}`,
  ];
  if (loop.intervalMs + 1 < ours.run.wallMs)
    notes.push(
      `The event-loop window (${loop.intervalMs} ms) is shorter than the run (${ours.run.wallMs.toFixed(0)} ms): a periodic health refresh reset it mid-run.`,
    );
  const grew = growth(ours);
  const heapUsedGrowth = gw.heapSettled.usedMiB - gw.heapBefore.usedMiB;
  const heapTotalGrowth = gw.heapSettled.totalMiB - gw.heapBefore.totalMiB;
  const ttlMinutes = IDEMPOTENCY_TTL_MS / 60_000;
  // What the finished-run map holds once full: it keeps at most IDEMPOTENCY_MAX_ENTRIES runs (older keys are
  // answered from the store), so the bound is that many runs × bytes per run.
  const steadyMiB =
    Math.min((rate(ours.run) * IDEMPOTENCY_TTL_MS) / 1000, IDEMPOTENCY_MAX_ENTRIES) *
    (heapUsedGrowth / load.turns);
  const over = grew > RSS_GROWTH_ALERT_MIB ? ` (over the ${RSS_GROWTH_ALERT_MIB} MiB mark)` : '';
  notes.push(
    `Chat memory: settled RSS grew ${grew.toFixed(1)} MiB across ${load.turns} turns${over}; the V8 heap's ` +
      `committed size grew ${heapTotalGrowth.toFixed(1)} MiB of it, its used size ${heapUsedGrowth.toFixed(2)} MiB ` +
      `(${((heapUsedGrowth * MIB) / load.turns).toFixed(0)} B per turn). Committed-but-unused growth is V8 sizing its ` +
      'young generation up under the allocation rate (bounded by `--max-semi-space-size`, not per turn); the used ' +
      `growth is \`ChatService.#finished\`, which keeps each run's outcome and assistant message for ${ttlMinutes} min ` +
      `(at most ${IDEMPOTENCY_MAX_ENTRIES} runs) to answer a repeated idempotency key (expected): full, it holds ` +
      `~${steadyMiB.toFixed(1)} MiB with replies as short as these.`,
  );
  return { tables, notes, correct: problems.length === 0 };
}
