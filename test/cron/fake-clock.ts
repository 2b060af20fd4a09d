import type { CronClock, Timer } from '../../src/cron/cron-service.ts';

type Pending = { at: number; callback: () => void; timer: Timer };

/** A hand-driven clock for the scheduler: `advance` runs the timers that came due, in time order. */
export class FakeClock implements CronClock {
  #now: number;
  #pending: Pending[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: Timer = {};
    this.#pending.push({ at: this.#now + ms, callback, timer });
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.#pending = this.#pending.filter((entry) => entry.timer !== timer);
  }

  get pendingTimers(): number {
    return this.#pending.length;
  }

  /** Moves time to `now + ms`, firing each timer due on the way (and the ones they set, if due). */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      this.#pending.sort((a, b) => a.at - b.at);
      const next = this.#pending[0];
      if (!next || next.at > target) break;
      this.#pending.shift();
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      // Let the store's group commit and the scheduler's awaits run before the next timer.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = target;
  }
}
