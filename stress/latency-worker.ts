/**
 * Runs in a worker thread so the flood generator's own event-loop load does not show up as gateway latency:
 * `clients` authenticated sockets each call `health` every `gapMs`, tagging each latency with the current phase.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectAdmin, type StressClient } from './client.ts';

type Data = { url: string; token: string; clients: number; gapMs: number };
const { url, token, clients, gapMs } = workerData as Data;
const port = parentPort;
if (!port) throw new Error('latency-worker must run as a worker thread');

let phase = 'idle';
let running = true;
const samples = new Map<string, number[]>();
const failures: string[] = [];

async function loop(client: StressClient): Promise<void> {
  while (running) {
    const tag = phase;
    const started = performance.now();
    try {
      const frame = await client.call('health', undefined, 10_000);
      if (!frame.ok) failures.push(`health answered ${frame.error?.code}`);
      else if (tag === phase) {
        const list = samples.get(tag) ?? [];
        list.push(performance.now() - started);
        samples.set(tag, list);
      }
    } catch (error) {
      failures.push((error as Error).message);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}

const sockets = await Promise.all(Array.from({ length: clients }, () => connectAdmin(url, token)));
const loops = sockets.map((client) => loop(client));
port.on('message', async (message: { phase?: string; stop?: boolean }) => {
  if (message.phase) phase = message.phase;
  if (message.stop) {
    running = false;
    await Promise.all(loops);
    for (const client of sockets) client.terminate();
    port.postMessage({ samples: Object.fromEntries(samples), failures: failures.slice(0, 20) });
  }
});
port.postMessage({ ready: true });
