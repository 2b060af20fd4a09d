/** How the failed-auth backoff waits before answering; a test injects one that records instead of waiting. */
export type AuthDelay = (ms: number) => Promise<void>;

/**
 * Real timers for answers held back on purpose. close() clears them and settles their waits at once: no timer
 * outlives the gateway, and a handshake still waiting finishes (its socket is already being closed).
 */
export class TimerAuthDelay {
  #pending = new Map<NodeJS.Timeout, () => void>();
  #closed = false;

  readonly wait: AuthDelay = (ms) => {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve();
      }, ms);
      // A held-back answer is no reason to keep the process alive.
      timer.unref();
      this.#pending.set(timer, resolve);
    });
  };

  get pending(): number {
    return this.#pending.size;
  }

  close(): void {
    this.#closed = true;
    for (const [timer, resolve] of this.#pending) {
      clearTimeout(timer);
      resolve();
    }
    this.#pending.clear();
  }
}
