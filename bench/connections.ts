/**
 * Connections (issue 5): resident memory per idle authenticated socket. The gateway and the floor each get
 * 1 000 then 5 000 `cli`-mode operator sockets (connected 16 handshakes at a time, under the default pre-auth
 * cap of 32 per source); RSS is read settled (forced GC + 1 s idle) with 0, 1 000 and 5 000 sockets open.
 * "0" is read after a warm-up round of sockets opened and closed again: what the first connections load once (the
 * gateway's schema layer, compiled code, a grown heap) is not a cost of each connection.
 */
import { BenchClient, connectMany, type Server, startFloor, startGateway } from './bench-client.ts';
import { settle } from './chat-turns.ts';
import { readRss } from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';
import type { ScenarioOptions, ScenarioResult } from './rpc.ts';

const LEVELS = [1_000, 5_000] as const;
const WAVE = 16;
/** Sockets opened and closed before the baseline reading. */
const WARM_UP_SOCKETS = 200;
const TARGET_KIB_PER_CONNECTION = 16;

/** `heap*`: the gateway's own JS heap (its `status` method); the floor has none. */
type Reading = {
  sockets: number;
  rssKiB: number;
  connectMs: number;
  heapUsedKiB?: number;
  heapTotalKiB?: number;
};

async function runSubject(server: Server, token: string, gateway: boolean): Promise<Reading[]> {
  const clients: BenchClient[] = [];
  // Connected before the baseline, so it is part of every reading.
  const probe = gateway ? await BenchClient.connect(server.url, token, 'cli', ['operator.read']) : undefined;
  const heap = async () => {
    if (!probe) return {};
    const memory = (await probe.request('status', {}))?.processMemory as
      | { heapUsedBytes: number; heapTotalBytes: number }
      | undefined;
    return memory
      ? { heapUsedKiB: memory.heapUsedBytes / 1024, heapTotalKiB: memory.heapTotalBytes / 1024 }
      : {};
  };
  try {
    const warmUp = await connectMany(server.url, token, 'cli', WARM_UP_SOCKETS, WAVE, ['operator.read']);
    await Promise.all(warmUp.map((c) => c.closeAndWait()));
    await settle(server.running);
    const readings: Reading[] = [
      { sockets: 0, rssKiB: readRss(server.pid).rssKiB, connectMs: 0, ...(await heap()) },
    ];
    for (const level of LEVELS) {
      const start = performance.now();
      clients.push(
        ...(await connectMany(server.url, token, 'cli', level - clients.length, WAVE, ['operator.read'])),
      );
      const connectMs = performance.now() - start;
      await settle(server.running);
      readings.push({ sockets: level, rssKiB: readRss(server.pid).rssKiB, connectMs, ...(await heap()) });
    }
    const closed = clients.filter((c) => c.closed);
    if (closed.length)
      throw new Error(`${closed.length} idle sockets were closed (first: ${closed[0].closed?.code})`);
    return readings;
  } finally {
    probe?.close();
    for (const c of clients) c.close();
    await server.stop();
  }
}

export async function measureConnections(options: ScenarioOptions): Promise<ScenarioResult> {
  process.stderr.write(`bench: connections (${options.cliLabel})…\n`);
  const ours = await runSubject(
    await startGateway(options.cli, options.token, {}, 'connections'),
    options.token,
    true,
  );
  process.stderr.write('bench: connections floor…\n');
  const floor = await runSubject(await startFloor(options.floorServer), options.token, false);
  const perConnection = (r: Reading[], i: number) => (r[i].rssKiB - r[0].rssKiB) / r[i].sockets;
  const marginal = (r: Reading[]) => (r[2].rssKiB - r[1].rssKiB) / (r[2].sockets - r[1].sockets);
  const values: ValueRow[] = [
    {
      label: `RSS with no socket, after ${WARM_UP_SOCKETS} were opened and closed (settled)`,
      unit: 'MiB',
      ours: ours[0].rssKiB / 1024,
      floor: floor[0].rssKiB / 1024,
    },
  ];
  LEVELS.forEach((level, i) => {
    values.push(
      {
        label: `RSS with ${level} idle sockets (settled)`,
        unit: 'MiB',
        ours: ours[i + 1].rssKiB / 1024,
        floor: floor[i + 1].rssKiB / 1024,
      },
      {
        label: `RSS per socket at ${level}`,
        unit: 'KiB',
        ours: perConnection(ours, i + 1),
        floor: perConnection(floor, i + 1),
      },
      {
        label: `time to connect ${i === 0 ? level : `${level - LEVELS[i - 1]} more`} (${WAVE} handshakes at a time)`,
        unit: 's',
        ours: ours[i + 1].connectMs / 1000,
        floor: floor[i + 1].connectMs / 1000,
      },
    );
  });
  const heapPerSocket = (pick: (r: Reading) => number | undefined) =>
    LEVELS.map((level, i) =>
      (((pick(ours[i + 1]) ?? Number.NaN) - (pick(ours[0]) ?? Number.NaN)) / level).toFixed(1),
    ).join(' / ');
  values.push(
    {
      label: `gateway JS heap used per socket at ${LEVELS.join(' / ')} (KiB)`,
      unit: 'count',
      ours: heapPerSocket((r) => r.heapUsedKiB),
    },
    {
      label: `gateway JS heap committed per socket at ${LEVELS.join(' / ')} (KiB)`,
      unit: 'count',
      ours: heapPerSocket((r) => r.heapTotalKiB),
    },
  );
  values.push({
    label: `RSS per socket from ${LEVELS[0]} to ${LEVELS[1]}`,
    unit: 'KiB',
    ours: marginal(ours),
    floor: marginal(floor),
  });
  const targets: Target[] = LEVELS.map((level, i) => ({
    label: `RSS per idle authenticated socket at ${level}`,
    limit: TARGET_KIB_PER_CONNECTION,
    unit: 'KiB',
    actual: perConnection(ours, i + 1),
  }));
  const tables: Table[] = [
    {
      title: 'Idle connections',
      description:
        `\`${options.cliLabel} gateway run\` (no config; default pre-auth cap 32 per source, so ${WAVE} handshakes at a time) and the floor (\`bench/baseline-multi-server.ts\`, same handshake, no state per socket beyond \`ws\`'s). ` +
        '`cli`/`cli` operator sockets with `operator.read` (they stay out of presence), idle once connected. RSS read settled (SIGUSR2 → full GC, 1 s idle); per socket = (RSS with N − RSS with 0) ÷ N, KiB = 1024 bytes. ' +
        `"0" is read after ${WARM_UP_SOCKETS} sockets were opened and closed, so what the first connection loads once (the schema layer, compiled code) is not counted per socket.`,
      floorLabel: options.floorLabel,
      values,
    },
  ];
  return { tables, notes: [], targets, correct: true };
}
