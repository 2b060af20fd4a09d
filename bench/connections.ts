/**
 * Connections (issues 5 and 11): what operators of each kind real deployments have cost to connect and to keep.
 * For each kind — a CLI reader, an admin backend (OpenClaw's reference client's defaults), a read-only backend,
 * OpenClaw's Control UI with its own signed device — the gateway and the floor each get 1 000, then 3 000, then
 * 10 000 sockets (left out with `--no-10k`), 16 handshakes at a time (under the default pre-auth cap of 32 per
 * source), and then all close. Read: connect rate and handshake p99 per level, RSS settled (forced GC + 1 s idle)
 * per socket, and RSS after they all closed. "0" is read after a warm-up round of sockets opened and closed
 * again: what the first connections load once (the schema layer, compiled code, a grown heap) is not a cost of
 * each connection.
 *
 * The 10 000 level needs `FDS_FOR_10K` open files in the bench (which holds every client socket) and in the
 * server under test; bench/run.ts checks, raises or reports that before anything starts (bench/fd-limit.ts) and
 * passes the verdict in as `bigLevel`.
 */

import { TRIM_CHECK_MS } from '../src/server/runtime/memory-trim.ts';
import {
  type BenchClient,
  type ClientKind,
  connectMany,
  type Server,
  startFloor,
  startGateway,
  TRIM_SLACK_MS,
  trimAfter,
  trimsLogged,
} from './bench-client.ts';
import { settle } from './chat-turns.ts';
import { fileLimits } from './fd-limit.ts';
import { readRss } from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';
import type { ScenarioOptions, ScenarioResult } from './rpc.ts';

const WAVE = 16;
/** Sockets opened and closed before the baseline reading. */
const WARM_UP_SOCKETS = 200;
/** Targets (issue 11). */
const MIN_RATE_VS_FLOOR = 0.5;
const MAX_HANDSHAKE_P99_MS = 50;
const MAX_KIB_PER_SOCKET = 16;
const MAX_KIB_PER_SOCKET_AT_10K = 10;
const MAX_RETAINED_MIB = 20;
const BIG_LEVEL = 10_000;
/** File descriptors the 10 000-socket level needs in each process (the sockets, plus the runtime's own). */
export const FDS_FOR_10K = 10_500;

/** The 10 000-socket level: run, left out on request, or not run because the open-files limit is short (why). */
export type BigLevel = { run: true } | { run: false; notRun?: string };

type Kind = { name: string; kind: ClientKind; scopes: string[] };
const KINDS: Kind[] = [
  { name: 'CLI reader (`cli`, operator.read)', kind: 'cli', scopes: ['operator.read'] },
  {
    name: 'admin backend (`gateway-client`/`backend`, operator.admin)',
    kind: 'backend',
    scopes: ['operator.admin'],
  },
  { name: 'read-only backend (operator.read)', kind: 'backend', scopes: ['operator.read'] },
  {
    name: 'Control UI with a device (`openclaw-control-ui`/`webchat`)',
    kind: 'control-ui',
    scopes: ['operator.admin', 'operator.read', 'operator.write'],
  },
];

type Level = { sockets: number; rssKiB: number; connectMs: number; p99Ms: number };
/** `trimmed`: whether the gateway logged its memory trim before the retained reading (undefined: the floor). */
type Run = { baseKiB: number; levels: Level[]; retainedKiB: number; trimmed?: boolean };

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

/** `trims`: the server is the gateway, which trims its memory once the crowd has gone; its reading waits for that. */
async function runSubject(
  server: Server,
  token: string,
  kind: Kind,
  levels: number[],
  trims: boolean,
): Promise<Run> {
  const clients: BenchClient[] = [];
  try {
    const warmUp = await connectMany(server.url, token, kind.kind, WARM_UP_SOCKETS, WAVE, kind.scopes);
    await Promise.all(warmUp.map((c) => c.closeAndWait()));
    await settle(server.running);
    const baseKiB = readRss(server.pid).rssKiB;
    const readings: Level[] = [];
    // Fewer open files than sockets would fail mid-level with EMFILE, read as a refused connect.
    const files = { bench: fileLimits().soft, server: fileLimits(server.pid).soft };
    const sockets = Math.max(...levels);
    if (Math.min(files.bench, files.server) < sockets + (FDS_FOR_10K - BIG_LEVEL))
      throw new Error(
        `for ${sockets} sockets the bench may open ${files.bench} files and the server under test ${files.server}: too few`,
      );
    for (const level of levels) {
      const latencies: number[] = [];
      const start = performance.now();
      clients.push(
        ...(await connectMany(
          server.url,
          token,
          kind.kind,
          level - clients.length,
          WAVE,
          kind.scopes,
          latencies,
        )),
      );
      const connectMs = performance.now() - start;
      await settle(server.running);
      readings.push({ sockets: level, rssKiB: readRss(server.pid).rssKiB, connectMs, p99Ms: p99(latencies) });
    }
    const closed = clients.filter((c) => c.closed);
    if (closed.length)
      throw new Error(`${closed.length} idle sockets were closed (first: ${closed[0].closed?.code})`);
    // What a crowd leaves behind is read once the gateway has had its chance to give it back, as it does at its
    // first check (every TRIM_CHECK_MS) that finds the loop idle: a reading before that reports memory it is
    // about to return.
    const trimsBefore = trims ? trimsLogged(server) : 0;
    await Promise.all(clients.splice(0).map((c) => c.closeAndWait()));
    const trimmed = trims ? await trimAfter(server, trimsBefore) : undefined;
    await settle(server.running);
    return { baseKiB, levels: readings, retainedKiB: readRss(server.pid).rssKiB, trimmed };
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

export async function measureConnections(
  options: ScenarioOptions & { bigLevel: BigLevel },
): Promise<ScenarioResult> {
  const { bigLevel } = options;
  const levels = [1_000, 3_000, ...(bigLevel.run ? [BIG_LEVEL] : [])];
  const own = fileLimits();
  const notes = [
    bigLevel.run
      ? `The ${BIG_LEVEL} level needs ${FDS_FOR_10K} open files in the bench process (it holds every client socket) and in the server under test; here they could open ${own.soft} (hard limit ${own.hard}; Node raises its soft limit to the hard one, and children inherit it).`
      : bigLevel.notRun
        ? `**NOT RUN**: ${bigLevel.notRun}.`
        : `The ${BIG_LEVEL}-socket level was left out (\`--no-10k\`).`,
  ];
  const values: ValueRow[] = [];
  const targets: Target[] = [];
  for (const kind of KINDS) {
    process.stderr.write(`bench: connections, ${kind.name} (${options.cliLabel})…\n`);
    const ours = await runSubject(
      await startGateway(options.cli, options.token, {}, `connections-${kind.kind}`),
      options.token,
      kind,
      levels,
      true,
    );
    if (ours.trimmed === false)
      notes.push(
        `${kind.name}: the gateway logged no memory trim within ${(TRIM_CHECK_MS + TRIM_SLACK_MS) / 1000} s of the last close; its retained RSS was read without it.`,
      );
    process.stderr.write(`bench: connections, ${kind.name}, floor…\n`);
    const floor = await runSubject(await startFloor(options.floorServer), options.token, kind, levels, false);
    const perSocket = (run: Run, i: number) => (run.levels[i].rssKiB - run.baseKiB) / run.levels[i].sockets;
    const rate = (run: Run, i: number) =>
      (run.levels[i].sockets - (run.levels[i - 1]?.sockets ?? 0)) / (run.levels[i].connectMs / 1000);
    levels.forEach((level, i) => {
      const span = i === 0 ? `0 → ${level}` : `${levels[i - 1]} → ${level}`;
      values.push(
        {
          label: `${kind.name}: connect rate ${span}`,
          unit: 'conn/s',
          ours: rate(ours, i),
          floor: rate(floor, i),
        },
        {
          label: `${kind.name}: handshake p99 ${span}`,
          unit: 'ms',
          ours: ours.levels[i].p99Ms,
          floor: floor.levels[i].p99Ms,
        },
        {
          label: `${kind.name}: RSS per socket at ${level}`,
          unit: 'KiB',
          ours: perSocket(ours, i),
          floor: perSocket(floor, i),
        },
      );
      targets.push(
        {
          label: `${kind.name}: connect rate ${span} ÷ floor`,
          limit: MIN_RATE_VS_FLOOR,
          unit: '×',
          actual: rate(ours, i) / rate(floor, i),
          atLeast: true,
        },
        {
          label: `${kind.name}: handshake p99 ${span}`,
          limit: MAX_HANDSHAKE_P99_MS,
          unit: 'ms',
          actual: ours.levels[i].p99Ms,
        },
        {
          label: `${kind.name}: RSS per idle socket at ${level}`,
          limit: level >= BIG_LEVEL ? MAX_KIB_PER_SOCKET_AT_10K : MAX_KIB_PER_SOCKET,
          unit: 'KiB',
          actual: perSocket(ours, i),
        },
      );
    });
    if (!bigLevel.run && bigLevel.notRun) {
      const span = `${levels.at(-1)} → ${BIG_LEVEL}`;
      for (const [metric, unit, target, limit, atLeast] of [
        [`connect rate ${span}`, 'conn/s', `connect rate ${span} ÷ floor`, MIN_RATE_VS_FLOOR, true],
        [`handshake p99 ${span}`, 'ms', `handshake p99 ${span}`, MAX_HANDSHAKE_P99_MS, false],
        [
          `RSS per socket at ${BIG_LEVEL}`,
          'KiB',
          `RSS per idle socket at ${BIG_LEVEL}`,
          MAX_KIB_PER_SOCKET_AT_10K,
          false,
        ],
      ] as const) {
        values.push({ label: `${kind.name}: ${metric}`, unit, ours: 'not run', floor: 'not run' });
        targets.push({
          label: `${kind.name}: ${target}`,
          limit,
          unit: unit === 'conn/s' ? '×' : unit,
          actual: Number.NaN,
          atLeast,
          notRun: true,
        });
      }
    }
    values.push({
      label: `${kind.name}: RSS after all closed − before (settled)`,
      unit: 'MiB',
      ours: (ours.retainedKiB - ours.baseKiB) / 1024,
      floor: (floor.retainedKiB - floor.baseKiB) / 1024,
    });
    targets.push({
      label: `${kind.name}: RSS retained after all closed`,
      limit: MAX_RETAINED_MIB,
      unit: 'MiB',
      actual: (ours.retainedKiB - ours.baseKiB) / 1024,
    });
  }
  const tables: Table[] = [
    {
      title: 'Connections by client kind',
      description:
        `\`${options.cliLabel} gateway run\` (no config; a fresh state dir per kind) and the floor (\`bench/baseline-multi-server.ts\`, same handshake, no state per socket beyond \`ws\`'s), ${WAVE} handshakes at a time from one load process. ` +
        'Per socket = (RSS with N − RSS with 0) ÷ N, settled (SIGUSR2 → full GC, 1 s idle), KiB = 1024 bytes; connect rate = sockets added ÷ time to add them; handshake = socket open → hello-ok. ' +
        `"After all closed" is read, settled, once the gateway has logged its memory trim (it looks every ${TRIM_CHECK_MS / 1000} s and trims once the loop is idle with RSS well above its low point; the floor has none). ` +
        `"0" is read after ${WARM_UP_SOCKETS} sockets were opened and closed. Control UI sockets each sign with a fresh Ed25519 device, so each is paired (direct loopback) and issued a device token, and each is in presence and reads it.`,
      floorLabel: options.floorLabel,
      values,
    },
  ];
  return { tables, notes, targets, correct: true };
}
