/**
 * Soak (issue 5): 10 000 echo turns on one gateway (`wordDelayMs: 0`, 16 in flight over 10 sessions), with
 * RSS and the V8 heap read settled before and after, and the event loop read in ~1 s windows through
 * `health {probe:true}` from a second socket (each probe reads the window since the previous one).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { BenchClient, cpuMsSince, startGateway } from './bench-client.ts';
import { settle } from './chat-turns.ts';
import { readCpuMs, readRss } from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';

const TURNS = 10_000;
const WARMUP_TURNS = 200;
const IN_FLIGHT = 16;
const SESSIONS = 10;
const WINDOW_MS = 1_000;
const TARGET_LOOP_P99_MS = 50;
const MIB = 1024 * 1024;

export type SoakOptions = { cli: string; cliLabel: string; token: string };

type Heap = { usedMiB: number; totalMiB: number };

async function heapOf(client: BenchClient): Promise<Heap> {
  const status = await client.request('status', {});
  const memory = (status?.processMemory ?? {}) as { heapUsedBytes?: number; heapTotalBytes?: number };
  return { usedMiB: Number(memory.heapUsedBytes) / MIB, totalMiB: Number(memory.heapTotalBytes) / MIB };
}

async function drive(driver: BenchClient, prefix: string, turns: number): Promise<{ wrong: number }> {
  const finals = new Map<string, (text: string) => void>();
  driver.onEvent = (frame) => {
    if (frame.event !== 'chat' || frame.payload?.state !== 'final') return;
    const content = (frame.payload.message as { content?: { text?: string }[] } | undefined)?.content ?? [];
    finals.get(String(frame.payload.runId))?.(content.map((c) => c.text ?? '').join(''));
  };
  let next = 0;
  let wrong = 0;
  const sender = async () => {
    while (next < turns) {
      const i = next++;
      const key = `${prefix}-${i}`;
      const message = `soak turn ${i} of session ${i % SESSIONS}`;
      const done = new Promise<string>((resolve) => finals.set(key, resolve));
      await driver.request('chat.send', {
        sessionKey: `${prefix}-${i % SESSIONS}`,
        message,
        idempotencyKey: key,
      });
      if ((await done) !== `Echo: ${message}`) wrong += 1;
      finals.delete(key);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
  return { wrong };
}

export async function measureSoak(options: SoakOptions) {
  process.stderr.write(`bench: soak, ${TURNS} turns (${options.cliLabel})…\n`);
  const server = await startGateway(
    options.cli,
    options.token,
    { models: { echo: { wordDelayMs: 0 } } },
    'soak',
  );
  const clients: BenchClient[] = [];
  try {
    const driver = await BenchClient.connect(server.url, options.token, 'backend');
    const probe = await BenchClient.connect(server.url, options.token, 'cli');
    clients.push(driver, probe);
    await drive(driver, 'soak-warm', WARMUP_TURNS);
    await settle(server.running);
    const rssStart = readRss(server.pid).rssKiB / 1024;
    const heapStart = await heapOf(probe);
    const windows: { p99: number; max: number; utilization: number }[] = [];
    let running = true;
    const sampler = (async () => {
      await probe.request('health', { probe: true });
      while (running) {
        await delay(WINDOW_MS);
        const health = await probe.request('health', { probe: true });
        const loop = health?.eventLoop as { delayP99Ms: number; delayMaxMs: number; utilization: number };
        windows.push({ p99: loop.delayP99Ms, max: loop.delayMaxMs, utilization: loop.utilization });
      }
    })();
    const cpu = process.cpuUsage();
    const serverCpu = readCpuMs(server.pid);
    const start = performance.now();
    const { wrong } = await drive(driver, 'soak', TURNS);
    const wallMs = performance.now() - start;
    const clientCpuMs = cpuMsSince(cpu);
    const serverCpuMs = readCpuMs(server.pid) - serverCpu;
    running = false;
    await sampler;
    const peakMiB = readRss(server.pid).hwmKiB / 1024;
    await settle(server.running);
    const rssEnd = readRss(server.pid).rssKiB / 1024;
    const heapEnd = await heapOf(probe);
    const worst = { p99: Math.max(...windows.map((w) => w.p99)) };
    const maxDelay = Math.max(...windows.map((w) => w.max));
    const values: ValueRow[] = [
      { label: 'finals equal "Echo: " + message', unit: 'count', ours: `${TURNS - wrong}/${TURNS}` },
      { label: 'wall time', unit: 's', ours: wallMs / 1000 },
      { label: 'throughput', unit: 'turns/s', ours: (TURNS / wallMs) * 1000 },
      { label: 'RSS at start (settled, after warm-up)', unit: 'MiB', ours: rssStart },
      { label: 'RSS at end (settled)', unit: 'MiB', ours: rssEnd },
      { label: 'peak RSS (VmHWM)', unit: 'MiB', ours: peakMiB },
      {
        label: 'JS heap used at start / end (settled)',
        unit: 'MiB',
        ours: `${heapStart.usedMiB.toFixed(1)} / ${heapEnd.usedMiB.toFixed(1)} MiB`,
      },
      {
        label: 'JS heap committed at start / end (settled)',
        unit: 'MiB',
        ours: `${heapStart.totalMiB.toFixed(1)} / ${heapEnd.totalMiB.toFixed(1)} MiB`,
      },
      { label: `event-loop windows (~${WINDOW_MS / 1000} s each)`, unit: 'count', ours: windows.length },
      { label: 'event-loop delay p99, worst window', unit: 'ms', ours: worst.p99 },
      { label: 'event-loop delay max, any window', unit: 'ms', ours: maxDelay },
      {
        label: 'event-loop utilization, mean of windows',
        unit: '%',
        ours: (windows.reduce((s, w) => s + w.utilization, 0) / windows.length) * 100,
      },
      { label: 'server CPU per turn (all threads)', unit: 'ms', ours: serverCpuMs / TURNS },
      { label: 'load client CPU, share of one core', unit: '%', ours: (clientCpuMs / wallMs) * 100 },
    ];
    const tables: Table[] = [
      {
        title: 'Soak',
        description: `\`${options.cliLabel} gateway run\` with \`models.echo.wordDelayMs: 0\`: ${TURNS} \`chat.send\` echo turns (${IN_FLIGHT} in flight, ${SESSIONS} sessions) from one backend socket after ${WARMUP_TURNS} warm-up turns; a second socket calls \`health {probe:true}\` every ${WINDOW_MS / 1000} s, each answer's \`eventLoop\` covering the window since the previous probe. Settled = forced GC + 1 s idle.`,
        values,
      },
    ];
    const targets: Target[] = [
      {
        label: 'soak: event-loop delay p99 (worst ~1 s window)',
        limit: TARGET_LOOP_P99_MS,
        unit: 'ms',
        actual: worst.p99,
      },
    ];
    const notes = [
      `Soak: settled RSS went ${rssStart.toFixed(1)} → ${rssEnd.toFixed(1)} MiB over ${TURNS} turns while the JS heap in use went ${heapStart.usedMiB.toFixed(1)} → ${heapEnd.usedMiB.toFixed(1)} MiB and the committed heap ${heapStart.totalMiB.toFixed(1)} → ${heapEnd.totalMiB.toFixed(1)} MiB: growth in committed-but-unused V8 heap, not live objects (the finished-run map is capped at 1 000 runs).`,
    ];
    return { tables, notes, targets, correct: wrong === 0 };
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}
