/**
 * A process of its own (started by flood.ts with an IPC channel), so neither the flood generator's event loop nor
 * its CPU shows up as gateway latency, and so it can be placed on a CPU apart from the generator: `clients`
 * authenticated sockets each call `health` every `gapMs`, tagging each latency with the phase the parent last sent.
 */
import { connectAdmin, type StressClient } from './client.ts';

export type LatencyClientsData = { url: string; token: string; clients: number; gapMs: number };
/** Parent → child: a phase to tag the samples that start from now on, or stop and report. */
export type LatencyCommand = { phase?: string; stop?: boolean };
/** Child → parent: ready once every socket is connected, then the samples by phase. */
export type LatencyReport = { ready: true } | { samples: Record<string, number[]>; failures: string[] };

if (!process.send) throw new Error('latency-clients must run as a child process with an IPC channel');
const send = (message: LatencyReport, then?: () => void) => process.send?.(message, undefined, {}, then);
const { url, token, clients, gapMs } = JSON.parse(process.argv[2] ?? '{}') as LatencyClientsData;

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
process.on('message', async (message: LatencyCommand) => {
  if (message.phase) phase = message.phase;
  if (message.stop) {
    running = false;
    await Promise.all(loops);
    for (const client of sockets) client.terminate();
    // The report can be a megabyte of samples: the channel closes once it is written, not before.
    send({ samples: Object.fromEntries(samples), failures: failures.slice(0, 20) }, () =>
      process.disconnect(),
    );
  }
});
send({ ready: true });
