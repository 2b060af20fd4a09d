/**
 * Scenario 2: a pre-auth flood. While authenticated clients (in a worker thread) time `health`, waves of idle
 * sockets, oversize first frames, bad-token connects (each wave paced over its second) and slowloris upgrades hit
 * the gateway. Authenticated p99 must stay within 2× its quiet value (measured before and after the flood), every
 * flood socket must be closed by the server once the handshake timeout has passed, and so must the slowloris
 * sockets (the HTTP server's header timeout, which the gateway sets to the handshake timeout).
 */
import { once } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { connectAdmin, fmt, percentile, type ScenarioResult, StressClient } from './client.ts';
import { exitDescription, startGateway } from './gateway.ts';

const TOKEN = 'stress-flood-token-0123456789abcdef';
const HANDSHAKE_TIMEOUT_MS = 2_000;
const CLOSE_GRACE_MS = 1_000;
/** Slack on top of timeout + grace for the gateway's timers and this process's own load. */
const REAP_SLACK_MS = 2_000;
/** How often the HTTP server checks for requests past their header timeout (HTTP_CONNECTIONS_CHECK_MS). */
const SLOWLORIS_CHECK_MS = 1_000;
const LATENCY_CLIENTS = 10;
const LATENCY_GAP_MS = 5;
/** Flood sockets are opened in groups this far apart, spreading each wave over its second. */
const PACE_STEP_MS = 10;

type FloodSocket = {
  kind: string;
  openedAt: number;
  closedAt?: number;
  code?: number;
  refused?: boolean;
  error?: string;
};

function openFloodSocket(url: string, kind: 'idle' | 'oversize' | 'bad-token', sockets: FloodSocket[]): void {
  const record: FloodSocket = { kind, openedAt: performance.now() };
  sockets.push(record);
  const client = new StressClient(url);
  client.opened.catch((error: Error) => {
    record.refused = true;
    record.error = error.message;
  });
  client.closed.then((info) => {
    record.closedAt = info.at;
    record.code = info.code;
  });
  if (kind === 'idle') return;
  client.challenge.then(() => {
    if (kind === 'oversize')
      client.sendRaw(`{"type":"req","id":"x","method":"connect","params":"${'x'.repeat(70_000)}"}`);
    else
      void client.connect({ token: 'wrong-token-for-the-storm', timeoutMs: 30_000 }).catch(() => undefined);
  });
}

type Slowloris = { socket: Socket; openedAt: number; closedAt?: number; bytes: number; response: string };

function openSlowloris(port: number, list: Slowloris[]): void {
  const socket = tcpConnect(port, '127.0.0.1');
  const entry: Slowloris = { socket, openedAt: performance.now(), bytes: 0, response: '' };
  list.push(entry);
  socket.on('error', () => undefined);
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    entry.response += chunk.slice(0, 200);
  });
  socket.on('close', () => {
    entry.closedAt = performance.now();
  });
  socket.once('connect', () => {
    const head = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
    socket.write(head);
    entry.bytes += head.length;
  });
}

function trickle(list: Slowloris[]): void {
  for (const entry of list) {
    if (entry.closedAt !== undefined || entry.socket.destroyed) continue;
    entry.socket.write('X');
    entry.bytes++;
  }
}

export async function floodScenario(quick: boolean): Promise<ScenarioResult> {
  const figures: string[] = [];
  const failures: string[] = [];
  const quietMs = quick ? 3_000 : 8_000;
  const waves = quick ? 6 : 20;
  const waveGapMs = 1_000;
  const perWave = { idle: quick ? 300 : 700, oversize: quick ? 20 : 50, badToken: quick ? 30 : 80 };
  const slowlorisCount = quick ? 50 : 200;
  const slowlorisWaitMs = HANDSHAKE_TIMEOUT_MS + SLOWLORIS_CHECK_MS + REAP_SLACK_MS;
  const gw = await startGateway({
    label: 'flood',
    token: TOKEN,
    config: {
      gateway: { limits: { maxPreauthConnectionsPerIp: 5_000, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } },
    },
  });
  const worker = new Worker(new URL('./latency-worker.ts', import.meta.url), {
    workerData: { url: gw.url, token: TOKEN, clients: LATENCY_CLIENTS, gapMs: LATENCY_GAP_MS },
  });
  const slowloris: Slowloris[] = [];
  let trickleTimer: NodeJS.Timeout | undefined;
  try {
    const [ready] = (await once(worker, 'message')) as [{ ready?: boolean }];
    if (!ready.ready) throw new Error('latency worker did not start');
    const admin = await connectAdmin(gw.url, TOKEN);
    worker.postMessage({ phase: 'warm' });
    await delay(1_000);
    worker.postMessage({ phase: 'quiet' });
    await delay(quietMs);

    // A probe opens the gateway's own event-loop window; the one after the flood reads it.
    await admin.call('health', { probe: true });
    worker.postMessage({ phase: 'flood' });
    const sockets: FloodSocket[] = [];
    for (let i = 0; i < slowlorisCount; i++) openSlowloris(gw.port, slowloris);
    trickleTimer = setInterval(() => trickle(slowloris), 1_000);
    const floodStarted = performance.now();
    // Each wave's sockets are spread over its second in steps of PACE_STEP_MS, as arrivals from a network are;
    // opened all at once they are a micro-burst that Node accepts and parses in one go (see docs/operations.md).
    const steps = waveGapMs / PACE_STEP_MS;
    const share = (n: number, step: number) =>
      Math.floor(((step + 1) * n) / steps) - Math.floor((step * n) / steps);
    for (let wave = 0; wave < waves; wave++) {
      const waveStart = performance.now();
      for (let step = 0; step < steps; step++) {
        for (let i = 0; i < share(perWave.idle, step); i++) openFloodSocket(gw.url, 'idle', sockets);
        for (let i = 0; i < share(perWave.oversize, step); i++) openFloodSocket(gw.url, 'oversize', sockets);
        for (let i = 0; i < share(perWave.badToken, step); i++) openFloodSocket(gw.url, 'bad-token', sockets);
        await delay(Math.max(0, waveStart + (step + 1) * PACE_STEP_MS - performance.now()));
      }
    }
    const floodMs = performance.now() - floodStarted;
    // Keep measuring while the last waves are reaped, then stop the clock.
    const lastOpened = Math.max(...sockets.map((s) => s.openedAt));
    const reapDeadline = lastOpened + HANDSHAKE_TIMEOUT_MS + CLOSE_GRACE_MS + REAP_SLACK_MS;
    while (performance.now() < reapDeadline && sockets.some((s) => s.closedAt === undefined && !s.refused))
      await delay(100);
    const loop = (await admin.call('health', { probe: true })).payload?.eventLoop as
      | { delayP99Ms: number; delayMaxMs: number; utilization: number; cpuCoreRatio: number }
      | undefined;
    if (loop)
      figures.push(
        `gateway's own event loop over the flood: delay p99 ${fmt(loop.delayP99Ms)} ms, max ${fmt(loop.delayMaxMs)} ms, utilization ${(loop.utilization * 100).toFixed(0)} %, CPU ${loop.cpuCoreRatio.toFixed(2)} cores`,
      );
    const status = await admin.call('status');
    const total = (status.payload?.connections as { total?: number } | undefined)?.total;
    // Quiet again, as long as before: the baseline is both windows, so a drift of the machine over the run
    // (other load, CPU frequency) does not pass for the flood's effect.
    worker.postMessage({ phase: 'quiet-after' });
    await delay(quietMs);
    worker.postMessage({ phase: 'after' });
    worker.postMessage({ stop: true });
    const [result] = (await once(worker, 'message')) as [
      { samples: Record<string, number[]>; failures: string[] },
    ];

    const quiet = [...(result.samples.quiet ?? []), ...(result.samples['quiet-after'] ?? [])].sort(
      (a, b) => a - b,
    );
    const flood = (result.samples.flood ?? []).sort((a, b) => a - b);
    const quietP99 = percentile(quiet, 99);
    const floodP99 = percentile(flood, 99);
    figures.push(
      `authenticated health latency (${LATENCY_CLIENTS} clients, worker thread): quiet (before and after) p50 ${fmt(percentile(quiet, 50))} ms p99 ${fmt(quietP99)} ms (n=${quiet.length}); during flood p50 ${fmt(percentile(flood, 50))} ms p99 ${fmt(floodP99)} ms max ${fmt(flood.at(-1) ?? Number.NaN)} ms (n=${flood.length}); ratio p99 ${(floodP99 / quietP99).toFixed(2)}×`,
    );
    if (!(floodP99 <= 2 * quietP99))
      failures.push(`flood p99 ${fmt(floodP99)} ms > 2 × quiet p99 ${fmt(quietP99)} ms`);
    if (result.failures.length > 0) failures.push(`latency clients: ${result.failures.join('; ')}`);

    const byKind = new Map<
      string,
      { n: number; refused: number; open: number; late: number; codes: Map<number, number>; maxLife: number }
    >();
    for (const s of sockets) {
      const k = byKind.get(s.kind) ?? { n: 0, refused: 0, open: 0, late: 0, codes: new Map(), maxLife: 0 };
      byKind.set(s.kind, k);
      k.n++;
      if (s.refused) {
        k.refused++;
        continue;
      }
      if (s.closedAt === undefined) {
        k.open++;
        continue;
      }
      const life = s.closedAt - s.openedAt;
      k.maxLife = Math.max(k.maxLife, life);
      if (life > HANDSHAKE_TIMEOUT_MS + CLOSE_GRACE_MS + REAP_SLACK_MS) k.late++;
      k.codes.set(s.code ?? -1, (k.codes.get(s.code ?? -1) ?? 0) + 1);
    }
    figures.push(
      `flood: ${sockets.length} sockets in ${waves} waves over ${(floodMs / 1000).toFixed(1)} s, each wave paced over its second in groups every ${PACE_STEP_MS} ms (handshakeTimeoutMs ${HANDSHAKE_TIMEOUT_MS}, maxPreauthConnectionsPerIp 5000)`,
    );
    for (const [kind, k] of byKind) {
      figures.push(
        `  ${kind}: ${k.n} opened, ${k.refused} refused at upgrade, closes ${[...k.codes].map(([c, n]) => `${c}×${n}`).join(', ')}, longest life ${fmt(k.maxLife)} ms, still open ${k.open}`,
      );
      if (k.open > 0)
        failures.push(`${kind}: ${k.open} flood sockets still open after the handshake timeout`);
      if (k.late > 0)
        failures.push(
          `${kind}: ${k.late} flood sockets closed later than timeout + grace + ${REAP_SLACK_MS} ms`,
        );
      if (k.refused > 0)
        failures.push(`${kind}: ${k.refused} refused (the pre-auth cap should have admitted them)`);
    }
    figures.push(
      `status connections.total after the flood: ${total} (expected ${LATENCY_CLIENTS + 1} while the latency clients were still connected)`,
    );
    if (total !== LATENCY_CLIENTS + 1 && total !== 1)
      failures.push(`connections.total ${total} after the flood`);

    // Slowloris: the HTTP server closes a request whose headers never complete after `headersTimeout`, which the
    // gateway sets to the handshake timeout, checked every second (`connectionsCheckingInterval`).
    const slowDeadline = floodStarted + slowlorisWaitMs;
    while (performance.now() < slowDeadline && slowloris.some((s) => s.closedAt === undefined))
      await delay(250);
    const slowClosed = slowloris.filter((s) => s.closedAt !== undefined);
    const lives = slowClosed.map((s) => (s.closedAt as number) - s.openedAt).sort((a, b) => a - b);
    const responses = [...new Set(slowClosed.map((s) => s.response.split('\r\n')[0] || '(no response)'))];
    figures.push(
      `slowloris: ${slowloris.length} partial upgrades trickling 1 byte/s; closed by the server ${slowClosed.length} (life min ${fmt(lives[0] ?? Number.NaN)} ms, max ${fmt(lives.at(-1) ?? Number.NaN)} ms, answer ${responses.join(' / ')}); still open after ${(slowlorisWaitMs / 1000).toFixed(0)} s: ${slowloris.length - slowClosed.length}`,
    );
    if (slowClosed.length < slowloris.length) {
      failures.push(
        `${slowloris.length - slowClosed.length} slowloris sockets still open ${(slowlorisWaitMs / 1000).toFixed(0)} s after they started (headers timeout ${HANDSHAKE_TIMEOUT_MS} ms)`,
      );
    }
    if (!gw.alive()) failures.push(`gateway died: ${exitDescription(gw)}`);
    admin.terminate();
  } finally {
    clearInterval(trickleTimer);
    for (const entry of slowloris) entry.socket.destroy();
    await worker.terminate();
    await gw.stop();
  }
  return { name: 'flood', pass: failures.length === 0, figures, failures };
}
