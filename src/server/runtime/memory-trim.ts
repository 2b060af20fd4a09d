import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../../logging/logger.ts';

/** A crowd this much smaller than its peak (and at most half of it) is worth a trim once it has gone. */
export const TRIM_MIN_DROP = 1_000;
/** Quiet time after the last of the crowd left before the trim runs (a reconnecting crowd cancels it). */
export const TRIM_IDLE_MS = 2_000;

type Collect = () => void;

/**
 * Gives back the memory a crowd of sockets left behind once most of it has gone. V8 keeps the pages it freed in
 * a pool for reuse, still resident, and releases them only in a memory-reducing GC, which its idle heuristics
 * did not start here (measured: 10 000 `cli` sockets opened and closed left RSS 64 MiB up, after any number of
 * ordinary full GCs; one memory-reducing GC brought it to 6 MiB up, in ~50 ms). So after the socket count fell
 * by TRIM_MIN_DROP from its peak, to at most half of it, and TRIM_IDLE_MS passed without another close, one such
 * GC runs. It is obtained at that first need, never at start-up.
 */
export class MemoryTrim {
  readonly #logger: Logger;
  readonly #collect: () => Collect;
  readonly #idleMs: number;
  readonly #minDrop: number;
  #gc: Collect | undefined;
  #peak = 0;
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { logger: Logger; collect?: () => Collect; idleMs?: number; minDrop?: number }) {
    this.#logger = options.logger;
    this.#collect = options.collect ?? memoryReducingGc;
    this.#idleMs = options.idleMs ?? TRIM_IDLE_MS;
    this.#minDrop = options.minDrop ?? TRIM_MIN_DROP;
  }

  /** The socket count went up to `count`. */
  opened(count: number): void {
    this.#count = count;
    if (count > this.#peak) this.#peak = count;
    // The crowd is coming back: what it left is about to be reused.
    if (this.#timer && !this.#worthIt()) this.#cancel();
  }

  /** The socket count went down to `count`. */
  closed(count: number): void {
    this.#count = count;
    if (this.#closed || !this.#worthIt()) return;
    this.#cancel();
    this.#timer = setTimeout(() => this.#trim(), this.#idleMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    this.#cancel();
  }

  #worthIt(): boolean {
    return this.#peak - this.#count >= this.#minDrop && this.#count * 2 <= this.#peak;
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #trim(): void {
    this.#timer = undefined;
    const before = process.memoryUsage.rss();
    const started = performance.now();
    try {
      this.#gc ??= this.#collect();
      this.#gc();
    } catch (error) {
      this.#logger.warn('memory trim failed', { error: (error as Error).message });
    }
    this.#logger.info('memory trimmed after a crowd of sockets left', {
      peakSockets: this.#peak,
      sockets: this.#count,
      rssBeforeMiB: Math.round(before / 1048576),
      rssAfterMiB: Math.round(process.memoryUsage.rss() / 1048576),
      ms: Math.round(performance.now() - started),
    });
    this.#peak = this.#count;
  }
}

/** V8's `gc` with its options, made available at run time (the process does not start with --expose-gc). */
export function memoryReducingGc(): Collect {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: string; execution: string; flavor: string }) => void;
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
