import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../../logging/logger.ts';
import type { ServiceDefinition } from '../registry.ts';

/** How often the trim looks at the process: a read of RSS and of the loop's utilization, microseconds each. */
export const TRIM_CHECK_MS = 2_000;
/** RSS this far above its low point since the last trim is worth a trim. */
export const TRIM_GROWTH_BYTES = 24 * 1024 * 1024;
/** The loop was busy at most this share of a check's window: nobody is waiting on it. */
const IDLE_UTILIZATION = 0.05;
/**
 * Windows in a row that must be idle: one idle window is also the pause between two bursts (a benchmark's, or a
 * client's), and the GC's pause would land on the next burst's first requests.
 */
const IDLE_WINDOWS = 2;
/** A memory-reducing GC's pause grows with the live heap: past this, the trim is left to V8. */
const MAX_HEAP_BYTES = 128 * 1024 * 1024;

type Collect = () => void;

export type MemoryTrimProbe = {
  rss(): number;
  heapUsed(): number;
  /** The loop's utilization since the previous call (0–1). */
  utilization(): number;
};

/**
 * Gives back memory a burst of work left behind once the gateway is idle again. V8 keeps the pages it freed in a
 * pool for reuse, still resident, and returns them only in a memory-reducing GC, which its own heuristics did not
 * start here. Measured: 10 000 `cli` sockets opened and closed left RSS 64 MiB up after any number of ordinary
 * full GCs, 10 000 `cron.add` calls ~40 MiB; one memory-reducing GC (~50 ms) brought the sockets' to 8 MiB. So
 * every TRIM_CHECK_MS: when RSS is TRIM_GROWTH_BYTES above its low point since the last trim and the loop was
 * idle over the last two windows, one such GC runs. Memory that is really in use stays, and the low point moves up to it,
 * so a gateway holding more data is not trimmed again for it. The GC is obtained at that first need.
 */
export class MemoryTrim {
  readonly #logger: Logger;
  readonly #probe: MemoryTrimProbe;
  readonly #collect: () => Collect;
  #gc: Collect | undefined;
  #low = Number.POSITIVE_INFINITY;
  #idleWindows = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { logger: Logger; probe?: MemoryTrimProbe; collect?: () => Collect }) {
    this.#logger = options.logger;
    this.#probe = options.probe ?? processProbe();
    this.#collect = options.collect ?? memoryReducingGc;
  }

  start(): void {
    this.#probe.utilization();
    this.#timer = setInterval(() => this.check(), TRIM_CHECK_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One look (what the interval runs); returns whether it trimmed. */
  check(): boolean {
    const utilization = this.#probe.utilization();
    const rss = this.#probe.rss();
    this.#low = Math.min(this.#low, rss);
    this.#idleWindows = utilization > IDLE_UTILIZATION ? 0 : this.#idleWindows + 1;
    if (rss - this.#low < TRIM_GROWTH_BYTES || this.#idleWindows < IDLE_WINDOWS) return false;
    if (this.#probe.heapUsed() > MAX_HEAP_BYTES) return false;
    const started = performance.now();
    try {
      this.#gc ??= this.#collect();
      this.#gc();
    } catch (error) {
      this.#logger.warn('memory trim failed', { error: (error as Error).message });
      return false;
    } finally {
      // Whatever is left is in use: the next trim waits for growth past it.
      this.#low = this.#probe.rss();
    }
    this.#logger.info('memory trimmed', {
      rssBeforeMiB: Math.round(rss / 1048576),
      rssAfterMiB: Math.round(this.#low / 1048576),
      ms: Math.round(performance.now() - started),
    });
    return true;
  }
}

function processProbe(): MemoryTrimProbe {
  let last: EventLoopUtilization | undefined;
  return {
    rss: () => process.memoryUsage.rss(),
    heapUsed: () => process.memoryUsage().heapUsed,
    utilization() {
      const now = performance.eventLoopUtilization();
      const window = last ? performance.eventLoopUtilization(now, last) : now;
      last = now;
      return window.utilization;
    },
  };
}

/** V8's `gc` with its options, made available at run time (the process does not start with --expose-gc). */
export function memoryReducingGc(): Collect {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: string; execution: string; flavor: string }) => void;
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** The trim as a gateway service: one unref'd interval, stopped with the gateway. */
export function memoryTrimService(): ServiceDefinition {
  let trim: MemoryTrim | undefined;
  return {
    name: 'memory-trim',
    phase: 'early-runtime',
    start(ctx) {
      trim = new MemoryTrim({ logger: ctx.logger });
      trim.start();
    },
    stop() {
      trim?.stop();
    },
  };
}
