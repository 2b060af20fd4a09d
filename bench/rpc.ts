/**
 * RPC (issue 5): one authenticated client sending `health` serially (latency), then pipelined `health` requests
 * (throughput) in three shapes — 64 in flight on one socket, 16 sockets × 16, 100 sockets × 4 — against the
 * gateway (bundle) and `bench/baseline-multi-server.ts`, which answers every request with a cached `res` carrying
 * the payload of the gateway's own `health` answer: the load client, which parses every answer and is usually the
 * bottleneck, then does the same work for both (a padded string of the same size parses several times faster).
 */
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

const SERIAL = 5_000;
const WARMUP = 1_000;
const PIPELINED_PER_SHAPE = 40_000;
const SHAPE_DEADLINE_MS = 60_000;
const SHAPES = [
  { label: '1 socket × 64 in flight', sockets: 1, inFlight: 64 },
  { label: '16 sockets × 16 in flight', sockets: 16, inFlight: 16 },
  { label: '100 sockets × 4 in flight', sockets: 100, inFlight: 4 },
] as const;
const TARGET_PIPELINED_RATIO = 0.7;
const TARGET_SERIAL_P99_MS = 1;

export type ScenarioOptions = {
  cli: string;
  cliLabel: string;
  floorServer: string;
  floorLabel: string;
  token: string;
};

export type ScenarioResult = { tables: Table[]; notes: string[]; targets: Target[]; correct: boolean };

type Pipelined = { rate: number; clientCpuMs: number; serverCpuMs: number; wallMs: number; failed: number };
type SubjectResult = {
  serial: number[];
  serialFailed: number;
  pipelined: Pipelined[];
  resBytes: number;
  payload: unknown;
};

async function serial(client: BenchClient, count: number): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const frame = await client.send('health', {});
    latencies.push(performance.now() - start);
    if (!frame.ok) failed += 1;
  }
  return { latencies, failed };
}

async function pipelined(clients: BenchClient[], inFlight: number, total: number, pid: number) {
  let sent = 0;
  let failed = 0;
  const worker = async (client: BenchClient) => {
    while (sent < total) {
      sent += 1;
      const frame = await client.send('health', {});
      if (!frame.ok) failed += 1;
    }
  };
  const cpu = process.cpuUsage();
  const serverCpu = readCpuMs(pid);
  const start = performance.now();
  await withTimeout(
    Promise.all(clients.flatMap((client) => Array.from({ length: inFlight }, () => worker(client)))),
    SHAPE_DEADLINE_MS,
    `${total} pipelined requests not answered within ${SHAPE_DEADLINE_MS / 1000} s`,
  );
  const wallMs = performance.now() - start;
  return {
    rate: (total / wallMs) * 1000,
    wallMs,
    clientCpuMs: cpuMsSince(cpu),
    serverCpuMs: readCpuMs(pid) - serverCpu,
    failed,
  };
}

async function runSubject(server: Server, token: string): Promise<SubjectResult> {
  const clients: BenchClient[] = [];
  try {
    const first = await BenchClient.connect(server.url, token, 'cli');
    clients.push(first);
    let resBytes = 0;
    first.ws.once('message', (data) => {
      resBytes = (data as Buffer).length;
    });
    const { payload } = await first.send('health', {});
    await serial(first, WARMUP);
    const serialRun = await serial(first, SERIAL);
    const results: Pipelined[] = [];
    for (const shape of SHAPES) {
      while (clients.length < shape.sockets)
        clients.push(...(await connectMany(server.url, token, 'cli', shape.sockets - clients.length, 16)));
      const using = clients.slice(0, shape.sockets);
      await pipelined(using, shape.inFlight, PIPELINED_PER_SHAPE / 4, server.pid); // warm-up
      results.push(await pipelined(using, shape.inFlight, PIPELINED_PER_SHAPE, server.pid));
    }
    return {
      serial: serialRun.latencies,
      serialFailed: serialRun.failed,
      pipelined: results,
      resBytes,
      payload,
    };
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
}

export async function measureRpc(options: ScenarioOptions): Promise<ScenarioResult> {
  process.stderr.write(`bench: rpc (${options.cliLabel})…\n`);
  const ours = await runSubject(await startGateway(options.cli, options.token, {}, 'rpc'), options.token);
  process.stderr.write('bench: rpc floor…\n');
  const floor = await runSubject(
    await startFloor(options.floorServer, ['--res-payload', JSON.stringify(ours.payload)]),
    options.token,
  );
  const both = (label: string, unit: ValueRow['unit'], pick: (s: SubjectResult) => number): ValueRow => ({
    label,
    unit,
    ours: pick(ours),
    floor: pick(floor),
  });
  const values: ValueRow[] = [
    both('`health` answer size', 'count', (s) => s.resBytes),
    both(`serial \`health\` p50 (${SERIAL} requests)`, 'ms', (s) => percentile(s.serial, 50)),
    both('serial `health` p90', 'ms', (s) => percentile(s.serial, 90)),
    both('serial `health` p99', 'ms', (s) => percentile(s.serial, 99)),
    both('serial `health` max', 'ms', (s) => percentile(s.serial, 100)),
  ];
  SHAPES.forEach((shape, i) => {
    values.push(
      both(`pipelined, ${shape.label}`, 'req/s', (s) => s.pipelined[i].rate),
      both(`  server CPU per request`, 'ms', (s) => s.pipelined[i].serverCpuMs / PIPELINED_PER_SHAPE),
      both(
        `  load client CPU, share of one core`,
        '%',
        (s) => (s.pipelined[i].clientCpuMs / s.pipelined[i].wallMs) * 100,
      ),
    );
  });
  const failed = ours.serialFailed + ours.pipelined.reduce((sum, p) => sum + p.failed, 0);
  const targets: Target[] = [
    {
      label: 'serial `health` p99',
      limit: TARGET_SERIAL_P99_MS,
      unit: 'ms',
      actual: percentile(ours.serial, 99),
    },
    ...SHAPES.map(
      (shape, i): Target => ({
        label: `pipelined \`health\`, ${shape.label}: clawgate ÷ floor`,
        limit: TARGET_PIPELINED_RATIO,
        unit: '×',
        atLeast: true,
        actual: ours.pipelined[i].rate / floor.pipelined[i].rate,
      }),
    ),
  ];
  const tables: Table[] = [
    {
      title: 'RPC',
      description:
        `\`${options.cliLabel} gateway run\` (no config), raw \`ws\` \`cli\`-mode operator clients in the bench process. ` +
        `Serial: one socket, one \`health\` at a time, ${SERIAL} timed after ${WARMUP} unmeasured. Pipelined: ${PIPELINED_PER_SHAPE} \`health\` requests per shape ` +
        "with a fixed number outstanding per socket (after a quarter as many unmeasured). The floor (`bench/baseline-multi-server.ts`) answers every request with a cached `res` carrying the payload of the gateway's own `health` answer, so the load client parses the same JSON from both. " +
        'Server CPU is all its threads (`/proc/<pid>/stat`); the load client shares the machine with the server.',
      floorLabel: options.floorLabel,
      values,
    },
  ];
  const notes = [
    failed === 0
      ? `RPC correctness: all ${SERIAL + WARMUP + 1 + SHAPES.length * PIPELINED_PER_SHAPE * 1.25} \`health\` requests answered ok.`
      : `**RPC: ${failed} \`health\` requests answered an error.**`,
  ];
  const bound = clientBoundNote(
    'RPC',
    SHAPES.flatMap((shape, i) =>
      (
        [
          ['clawgate', ours],
          ['floor', floor],
        ] as const
      ).map(([who, s]): [string, number] => [
        `${shape.label} (${who})`,
        s.pipelined[i].clientCpuMs / s.pipelined[i].wallMs,
      ]),
    ),
  );
  if (bound) notes.push(bound);
  return { tables, notes, targets, correct: failed === 0 };
}
