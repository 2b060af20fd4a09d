/**
 * Nodes (issue 15): what a connected, idle node costs the gateway, and what a `node.invoke` round trip costs.
 *
 * Idle: 1 000 nodes connect as OpenClaw's node host does (role `node`, a fresh signed device each, its 5 caps and
 * 21 commands, `pathEnv`), 16 handshakes at a time, to the gateway and to the floor (`bench/baseline-multi-server`,
 * same handshake answered with a minimal hello-ok, nothing kept per socket beyond `ws`'s). Each node on the gateway
 * is paired on loopback, gets a device token, a node record on disk, a pending surface request and a presence
 * entry. Per node = (RSS with 1 000 − RSS before) ÷ 1 000, settled.
 *
 * Round trip: one admin operator invokes `system.which` on one approved node, one at a time; the node (in this
 * process) answers each `node.invoke.request` at once. Floor: the same operator socket's plain request/response
 * round trip against the floor server (one frame each way, where an invoke is four frames and two hops).
 */
import {
  type BenchClient,
  connectMany,
  type Frame,
  percentile,
  startFloor,
  startGateway,
} from './bench-client.ts';
import { settle } from './chat-turns.ts';
import { readRss } from './probes.ts';
import type { Target, ValueRow } from './report.ts';
import type { ScenarioOptions, ScenarioResult } from './rpc.ts';

const NODES = 1_000;
const WAVE = 16;
const WARM_UP_NODES = 50;
const INVOKES = 2_000;
const WARM_UP_INVOKES = 200;
/** Targets: a node costs about what an operator socket does (connections.ts: 16 KiB), and an invoke stays quick. */
const MAX_KIB_PER_NODE = 24;
const MAX_INVOKE_P99_MS = 5;

type Idle = { baseKiB: number; rssKiB: number; connectMs: number };

async function idleCost(
  server: { url: string; pid: number; running: Parameters<typeof settle>[0]; stop(): Promise<void> },
  token: string,
): Promise<Idle> {
  const nodes: BenchClient[] = [];
  try {
    const warmUp = await connectMany(server.url, token, 'node', WARM_UP_NODES, WAVE);
    await Promise.all(warmUp.map((c) => c.closeAndWait()));
    await settle(server.running);
    const baseKiB = readRss(server.pid).rssKiB;
    const start = performance.now();
    nodes.push(...(await connectMany(server.url, token, 'node', NODES, WAVE)));
    const connectMs = performance.now() - start;
    await settle(server.running);
    const rssKiB = readRss(server.pid).rssKiB;
    const closed = nodes.filter((n) => n.closed);
    if (closed.length)
      throw new Error(`${closed.length} idle nodes were closed (first: ${closed[0].closed?.code})`);
    return { baseKiB, rssKiB, connectMs };
  } finally {
    for (const n of nodes) n.close();
    await server.stop();
  }
}

/** Serial round trips of `call`, after a warm-up; milliseconds each. */
async function serial(count: number, call: (i: number) => Promise<Frame>): Promise<number[]> {
  for (let i = 0; i < WARM_UP_INVOKES; i += 1) {
    const frame = await call(-1 - i);
    if (!frame.ok) throw new Error(`warm-up failed: ${frame.error?.code} ${frame.error?.message}`);
  }
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const frame = await call(i);
    times.push(performance.now() - start);
    if (!frame.ok) throw new Error(`call ${i} failed: ${frame.error?.code} ${frame.error?.message}`);
  }
  return times;
}

async function invokeRoundTrips(options: ScenarioOptions): Promise<number[]> {
  const server = await startGateway(options.cli, options.token, {}, 'nodes-invoke');
  const clients: BenchClient[] = [];
  try {
    const [admin] = await connectMany(server.url, options.token, 'backend', 1, 1, ['operator.admin']);
    clients.push(admin);
    const [node] = await connectMany(server.url, options.token, 'node', 1, 1);
    clients.push(node);
    const pairs = (await admin.request('node.pair.list', {})) as {
      pending: { requestId: string; nodeId: string }[];
    };
    const request = pairs.pending[0];
    await admin.request('node.pair.approve', { requestId: request.requestId });
    node.onEvent = (frame) => {
      if (frame.event !== 'node.invoke.request') return;
      const payload = frame.payload as { id: string; nodeId: string };
      node
        .send('node.invoke.result', {
          id: payload.id,
          nodeId: payload.nodeId,
          ok: true,
          payloadJSON: '{"ok":true}',
        })
        .catch(() => undefined);
    };
    return await serial(INVOKES, (i) =>
      admin.send('node.invoke', {
        nodeId: request.nodeId,
        command: 'system.which',
        idempotencyKey: `k${i}`,
        timeoutMs: 10_000,
      }),
    );
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

async function floorRoundTrips(options: ScenarioOptions): Promise<number[]> {
  const floor = await startFloor(options.floorServer);
  try {
    const [client] = await connectMany(floor.url, options.token, 'backend', 1, 1, ['operator.admin']);
    try {
      return await serial(INVOKES, () => client.send('health', {}));
    } finally {
      client.close();
    }
  } finally {
    await floor.stop();
  }
}

export async function measureNodes(options: ScenarioOptions): Promise<ScenarioResult> {
  process.stderr.write(`bench: nodes, ${NODES} idle nodes (${options.cliLabel})…\n`);
  const ours = await idleCost(
    await startGateway(options.cli, options.token, {}, 'nodes-idle'),
    options.token,
  );
  process.stderr.write(`bench: nodes, ${NODES} idle nodes, floor…\n`);
  const floor = await idleCost(await startFloor(options.floorServer), options.token);
  process.stderr.write('bench: nodes, node.invoke round trips…\n');
  const invokes = await invokeRoundTrips(options);
  const bare = await floorRoundTrips(options);
  const perNode = (run: Idle) => (run.rssKiB - run.baseKiB) / NODES;
  const rate = (run: Idle) => NODES / (run.connectMs / 1000);
  const values: ValueRow[] = [
    { label: `RSS per idle node at ${NODES}`, unit: 'KiB', ours: perNode(ours), floor: perNode(floor) },
    { label: `node connect rate 0 → ${NODES}`, unit: 'conn/s', ours: rate(ours), floor: rate(floor) },
    {
      label: 'node.invoke round trip p50 (floor: bare request/response)',
      unit: 'ms',
      ours: percentile(invokes, 50),
      floor: percentile(bare, 50),
    },
    {
      label: 'node.invoke round trip p99 (floor: bare request/response)',
      unit: 'ms',
      ours: percentile(invokes, 99),
      floor: percentile(bare, 99),
    },
  ];
  const targets: Target[] = [
    { label: `RSS per idle node at ${NODES}`, limit: MAX_KIB_PER_NODE, unit: 'KiB', actual: perNode(ours) },
    {
      label: 'node.invoke round trip p99',
      limit: MAX_INVOKE_P99_MS,
      unit: 'ms',
      actual: percentile(invokes, 99),
    },
  ];
  return {
    tables: [
      {
        title: 'Nodes',
        description:
          `${NODES} nodes connect as OpenClaw's node host does (role \`node\`, a fresh signed Ed25519 device each, 5 caps, 21 commands, \`pathEnv\`), ${WAVE} at a time, to \`${options.cliLabel} gateway run\` and to the floor (\`bench/baseline-multi-server.ts\`: the same handshake, nothing kept per socket beyond \`ws\`'s). ` +
          `On the gateway each is paired on loopback, issued a device token, given a node record and a pending surface request on disk, and listed in presence. Per node = (RSS with ${NODES} − RSS before) ÷ ${NODES}, settled (forced GC, 1 s idle), after ${WARM_UP_NODES} nodes came and went. ` +
          `Round trip: ${INVOKES} serial \`node.invoke\` calls (after ${WARM_UP_INVOKES}) from one admin socket to one approved node answering at once from the bench process (request → \`node.invoke.request\` → \`node.invoke.result\` → answer: four frames, two hops); the floor is the same socket's bare request/response round trip against the floor server.`,
        floorLabel: options.floorLabel,
        values,
      },
    ],
    notes: [],
    targets,
    correct: true,
  };
}
