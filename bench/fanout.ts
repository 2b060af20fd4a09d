/**
 * Fan-out (issue 5): N read-scoped receivers (10 / 100 / 1 000) get the `chat` and `agent` events of echo turns
 * driven by one extra backend client; delivered frames/s across all receivers and delivery latency (the message
 * carries `t=<hrtime ns>`, its echo comes back as a `chat` delta, the receiver computes now − t — one clock, the
 * bench process). Then 100 receivers of which 10 % never read (socket paused): the others' latency and `seq`
 * continuity, and what the stalled ones see once resumed (gaps, or a 1008 slow-consumer close). Floor:
 * `bench/baseline-multi-server.ts` broadcasting the same frames to the same receivers.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  BenchClient,
  clientBoundNote,
  connectMany,
  cpuMsSince,
  percentile,
  type Server,
  startFloor,
  startGateway,
} from './bench-client.ts';
import { readCpuMs, withTimeout } from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';
import type { ScenarioOptions, ScenarioResult } from './rpc.ts';

const LEVELS = [
  { receivers: 10, turns: 200 },
  { receivers: 100, turns: 40 },
  { receivers: 1_000, turns: 6 },
] as const;
/**
 * The stalled receivers must be owed more than the kernel absorbs for them (loopback: a send buffer that grows to
 * 4 MiB plus the receive queue) before `maxBufferedBytes` counts at all, hence longer replies and more turns.
 */
const STALLED_RUN = { receivers: 100, turns: 400, stalledShare: 0.1, fillerRepeat: 4 };
const IN_FLIGHT = 16;
/** Stalled clients must not move the others' delivery p99 beyond run-to-run noise. */
const STALLED_P99_LIMIT = 1.25;
const SESSIONS = 8;
const MAX_BUFFERED_BYTES = 256 * 1024;
const FILLER = 'one two three four five six seven eight nine ten';
const DRAIN_DEADLINE_MS = 60_000;
const TARGET_RATIO = 0.8;
const GATEWAY_CONFIG = {
  models: { echo: { wordDelayMs: 0 } },
  gateway: { limits: { maxBufferedBytes: MAX_BUFFERED_BYTES } },
};

/** A receiver reads raw frames with string operations (its CPU is shared with the server). */
type Receiver = {
  client: BenchClient;
  frames: number;
  bytes: number;
  lastSeq: number;
  gaps: number;
  finals: number;
  lastFinalAt: number;
  latencies: number[];
  stalled: boolean;
};

const STAMP = '"deltaText":" t=';

function receive(client: BenchClient, stalled = false): Receiver {
  const r: Receiver = {
    client,
    frames: 0,
    bytes: 0,
    lastSeq: -1,
    gaps: 0,
    finals: 0,
    lastFinalAt: 0,
    latencies: [],
    stalled,
  };
  client.ws.removeAllListeners('message');
  client.ws.on('message', (data: Buffer) => {
    const raw = data.toString();
    r.frames += 1;
    r.bytes += data.length;
    const seqAt = raw.lastIndexOf('"seq":');
    if (seqAt !== -1 && raw.startsWith('{"type":"event"')) {
      const seq = Number(raw.slice(seqAt + 6, -1));
      if (r.lastSeq !== -1 && seq !== r.lastSeq + 1) r.gaps += 1;
      r.lastSeq = seq;
    }
    if (!raw.startsWith('{"type":"event","event":"chat"')) return;
    const stampAt = raw.indexOf(STAMP);
    if (stampAt !== -1) {
      const start = stampAt + STAMP.length;
      const t = BigInt(raw.slice(start, raw.indexOf('"', start)));
      r.latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    } else if (raw.includes('"state":"final"')) {
      r.finals += 1;
      r.lastFinalAt = performance.now();
    }
  });
  return r;
}

type Run = {
  receivers: number;
  turns: number;
  frames: number;
  wallMs: number;
  framesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  gaps: number;
  clientCpuMs: number;
  serverCpuMs: number;
  stalled?: {
    count: number;
    closed1008: number;
    withGaps: number;
    framesBeforeResume: number;
    framesAfter: number;
  };
};

/** Turns with at most IN_FLIGHT running, each acked by `chat.send` and finished when the driver sees its final. */
async function drive(driver: BenchClient, prefix: string, turns: number, filler = FILLER): Promise<void> {
  const finals = new Map<string, () => void>();
  driver.onEvent = (frame) => {
    if (frame.event !== 'chat' || frame.payload?.state !== 'final') return;
    finals.get(String(frame.payload.runId))?.();
  };
  let next = 0;
  const sender = async () => {
    while (next < turns) {
      const i = next++;
      const key = `${prefix}-${i}`;
      const done = new Promise<void>((resolve) => finals.set(key, resolve));
      await driver.request('chat.send', {
        sessionKey: `${prefix}-${i % SESSIONS}`,
        message: `t=${process.hrtime.bigint()} ${filler}`,
        idempotencyKey: key,
      });
      await withTimeout(done, DRAIN_DEADLINE_MS, `fan-out: no final for ${key} at the driver`);
      finals.delete(key);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + DRAIN_DEADLINE_MS;
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`fan-out: ${what} not within ${DRAIN_DEADLINE_MS / 1000} s`);
    await delay(2);
  }
}

let runCount = 0;

async function runLevel(
  server: Server,
  token: string,
  driver: BenchClient,
  level: { receivers: number; turns: number; fillerRepeat?: number },
  stalledShare = 0,
): Promise<Run> {
  const clients = await connectMany(server.url, token, 'cli', level.receivers, 16, ['operator.read']);
  const stalledCount = Math.round(level.receivers * stalledShare);
  const receivers = clients.map((c, i) => receive(c, i < stalledCount));
  try {
    const live = receivers.filter((r) => !r.stalled);
    // Warm-up (unmeasured), then the counters start from zero.
    // Idempotency keys must never repeat on one gateway: a repeated key is answered from its first run.
    const id = `${level.receivers}-${stalledCount}-${++runCount}`;
    await drive(driver, `warm-${id}`, 10);
    await waitUntil(() => live.every((r) => r.finals >= 10), 'warm-up finals');
    for (const r of receivers) {
      r.frames = 0;
      r.latencies = [];
      r.finals = 0;
      r.gaps = 0;
    }
    for (const r of receivers.filter((r) => r.stalled))
      (r.client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const cpu = process.cpuUsage();
    const serverCpu = readCpuMs(server.pid);
    const start = performance.now();
    const filler = Array.from({ length: level.fillerRepeat ?? 1 }, () => FILLER).join(' ');
    await drive(driver, `run-${id}`, level.turns, filler);
    await waitUntil(() => live.every((r) => r.finals >= level.turns), 'every final at every receiver');
    const end = Math.max(...live.map((r) => r.lastFinalAt));
    const clientCpuMs = cpuMsSince(cpu);
    const serverCpuMs = readCpuMs(server.pid) - serverCpu;
    const frames = live.reduce((sum, r) => sum + r.frames, 0);
    const latencies = live.flatMap((r) => r.latencies);
    const run: Run = {
      receivers: level.receivers,
      turns: level.turns,
      frames,
      wallMs: end - start,
      framesPerSecond: (frames / (end - start)) * 1000,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      samples: latencies.length,
      gaps: live.reduce((sum, r) => sum + r.gaps, 0),
      clientCpuMs,
      serverCpuMs,
    };
    if (stalledCount > 0) {
      const stalled = receivers.filter((r) => r.stalled);
      const before = stalled.reduce((sum, r) => sum + r.frames, 0);
      for (const r of stalled) (r.client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Resumed: each either drains to the last final or was closed.
      await waitUntil(
        () => stalled.every((r) => r.client.closed !== undefined || r.finals >= level.turns || r.gaps > 0),
        'the resumed receivers to drain',
      );
      await delay(200);
      run.stalled = {
        count: stalledCount,
        closed1008: stalled.filter((r) => r.client.closed?.code === 1008).length,
        withGaps: stalled.filter((r) => r.gaps > 0).length,
        framesBeforeResume: before,
        framesAfter: stalled.reduce((sum, r) => sum + r.frames, 0),
      };
    }
    return run;
  } finally {
    for (const c of clients) c.close();
  }
}

async function runSubject(server: Server, token: string, withStalled: boolean) {
  let driver: BenchClient | undefined;
  try {
    driver = await BenchClient.connect(server.url, token, 'backend');
    const runs: Run[] = [];
    for (const level of LEVELS) {
      process.stderr.write(`bench: fan-out, ${level.receivers} receivers…\n`);
      runs.push(await runLevel(server, token, driver, level));
    }
    let stalled: Run | undefined;
    let sameLoad: Run | undefined;
    if (withStalled) {
      // The same turns to the same number of reading receivers, without the stalled ones beside them.
      const readers = STALLED_RUN.receivers - Math.round(STALLED_RUN.receivers * STALLED_RUN.stalledShare);
      process.stderr.write(`bench: fan-out, ${readers} receivers, the stalled run's turns, none stalled…\n`);
      sameLoad = await runLevel(server, token, driver, { ...STALLED_RUN, receivers: readers });
      process.stderr.write(`bench: fan-out, ${STALLED_RUN.receivers} receivers, 10 % stalled…\n`);
      stalled = await runLevel(server, token, driver, STALLED_RUN, STALLED_RUN.stalledShare);
    }
    return { runs, stalled, sameLoad };
  } finally {
    driver?.close();
    await server.stop();
  }
}

export async function measureFanout(options: ScenarioOptions): Promise<ScenarioResult> {
  const ours = await runSubject(
    await startGateway(options.cli, options.token, GATEWAY_CONFIG, 'fanout'),
    options.token,
    true,
  );
  process.stderr.write('bench: fan-out floor…\n');
  const floor = await runSubject(await startFloor(options.floorServer), options.token, false);
  const values: ValueRow[] = [];
  LEVELS.forEach((level, i) => {
    const o = ours.runs[i];
    const f = floor.runs[i];
    const row = (label: string, unit: ValueRow['unit'], pick: (r: Run) => number): ValueRow => ({
      label: `${level.receivers} receivers: ${label}`,
      unit,
      ours: pick(o),
      floor: pick(f),
    });
    values.push(
      row(`frames delivered/s (${level.turns} turns)`, 'frames/s', (r) => r.framesPerSecond),
      row('frames per turn per receiver', 'count', (r) => r.frames / r.turns / r.receivers),
      row('delivery latency p50', 'ms', (r) => r.p50),
      row('delivery latency p99', 'ms', (r) => r.p99),
      row('seq gaps', 'count', (r) => r.gaps),
      row('server CPU per delivered frame', 'ms', (r) => r.serverCpuMs / r.frames),
      row('load client CPU, share of one core', '%', (r) => (r.clientCpuMs / r.wallMs) * 100),
    );
  });
  const s = ours.stalled!;
  const same = ours.sameLoad!;
  const stalledValues: ValueRow[] = [
    { label: 'turns', unit: 'count', ours: s.turns },
    { label: 'frames delivered/s to the 90 reading receivers', unit: 'frames/s', ours: s.framesPerSecond },
    { label: 'delivery latency p50 (reading receivers)', unit: 'ms', ours: s.p50 },
    { label: 'delivery latency p99 (reading receivers)', unit: 'ms', ours: s.p99 },
    {
      label: `delivery latency p99, the same turns to ${same.receivers} receivers, none stalled`,
      unit: 'ms',
      ours: same.p99,
    },
    {
      label: `frames delivered/s, the same turns to ${same.receivers} receivers, none stalled`,
      unit: 'frames/s',
      ours: same.framesPerSecond,
    },
    { label: 'seq gaps at the reading receivers', unit: 'count', ours: s.gaps },
    { label: 'stalled receivers', unit: 'count', ours: s.stalled!.count },
    { label: 'stalled: frames read before resuming', unit: 'count', ours: s.stalled!.framesBeforeResume },
    { label: 'stalled: frames read in all', unit: 'count', ours: s.stalled!.framesAfter },
    { label: 'stalled: closed 1008 (slow consumer)', unit: 'count', ours: s.stalled!.closed1008 },
    { label: 'stalled: saw a seq gap (deltas dropped)', unit: 'count', ours: s.stalled!.withGaps },
  ];
  const targets: Target[] = LEVELS.map((level, i) => ({
    label: `fan-out frames/s, ${level.receivers} receivers: clawgate ÷ floor`,
    limit: TARGET_RATIO,
    unit: '×',
    atLeast: true,
    actual: ours.runs[i].framesPerSecond / floor.runs[i].framesPerSecond,
  }));
  targets.push({
    label: `fan-out delivery p99 of ${same.receivers} reading receivers with ${s.stalled!.count} stalled beside them ÷ without`,
    limit: STALLED_P99_LIMIT,
    unit: '×',
    actual: s.p99 / same.p99,
  });
  const tables: Table[] = [
    {
      title: 'Fan-out',
      description:
        `\`${options.cliLabel} gateway run\` with \`models.echo.wordDelayMs: 0\` and \`gateway.limits.maxBufferedBytes: ${MAX_BUFFERED_BYTES}\` (256 KiB, so the stalled run below trips it). ` +
        `One \`gateway-client\`/\`backend\` admin socket drives echo turns (${IN_FLIGHT} in flight, ${SESSIONS} sessions, message \`t=<hrtime ns> ${FILLER}\`); ` +
        'N `cli`-mode receivers with `operator.read` get every `chat` and `agent` event. Latency = receipt of the `chat` delta carrying the stamp − the stamp (one clock: all sockets live in the bench process, which also parses every frame — see its CPU). ' +
        'Frames/s = frames the receivers read ÷ time from the first send to the last final read. The floor broadcasts the same frames per turn to every socket.',
      floorLabel: options.floorLabel,
      values,
    },
    {
      title: 'Fan-out with stalled receivers',
      description: `${STALLED_RUN.receivers} receivers, ${STALLED_RUN.stalledShare * 100} % of them paused (\`ws._socket.pause()\`) for the whole run, then resumed; ${STALLED_RUN.turns} turns whose message repeats the filler ${STALLED_RUN.fillerRepeat}×, so the stalled sockets are owed more than the kernel's buffers hold. The same turns also run to the reading receivers alone (none stalled beside them): their delivery p99 is the baseline the stalled run is held to. Past \`maxBufferedBytes\` (plus what the kernel's socket buffers absorb first) a droppable event (\`chat\` delta/status, \`agent\` assistant/run_status) is skipped for that socket, leaving a \`seq\` gap; any other event closes it 1008 "slow consumer".`,
      values: stalledValues,
    },
  ];
  const problems: string[] = [];
  for (const r of [...ours.runs, s, ...floor.runs])
    if (r.gaps > 0) problems.push(`${r.gaps} seq gaps at ${r.receivers} reading receivers`);
  for (const r of [...ours.runs, s])
    if (r.samples !== r.turns * (r.receivers - (r.stalled?.count ?? 0)))
      problems.push(`${r.samples} latency samples for ${r.turns} turns × receivers`);
  const notes = [
    problems.length === 0
      ? "Fan-out correctness: every reading receiver got every turn's stamped delta and final with no `seq` gap."
      : `**Fan-out problems**: ${problems.join('; ')}`,
    'Receivers connect as `cli`/`cli`, not `gateway-client`/`backend`: a backend client joins presence, whose (coalesced) broadcasts would add frames unrelated to the turns. See docs/operations.md.',
  ];
  if (s.stalled!.closed1008 === 0 && s.stalled!.withGaps === 0)
    notes.push(
      `Fan-out, stalled receivers: each stalled socket was owed ${(s.stalled!.framesAfter / s.stalled!.count).toFixed(0)} frames and got them all once resumed — neither a drop nor a 1008: the kernel's loopback socket buffers (several MiB each way) absorbed the backlog before \`bufferedAmount\` reached ${MAX_BUFFERED_BYTES / 1024} KiB. Tripping it takes more turns than fit the bench's time budget.`,
    );
  const bound = clientBoundNote('Fan-out', [
    ...ours.runs.map((r): [string, number] => [
      `${r.receivers} receivers (clawgate)`,
      r.clientCpuMs / r.wallMs,
    ]),
    ...floor.runs.map((r): [string, number] => [
      `${r.receivers} receivers (floor)`,
      r.clientCpuMs / r.wallMs,
    ]),
  ]);
  if (bound) notes.push(bound);
  return { tables, notes, targets, correct: problems.length === 0 };
}
