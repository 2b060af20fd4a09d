/**
 * Work for sockets that have not authenticated (completing an upgrade, answering its `connect`, closing it at
 * the handshake timeout) runs from this queue, in slices of at most `sliceMs` with one slice per event-loop
 * turn. Between slices the loop polls for I/O, so authenticated clients' requests are read and answered while
 * a flood of new sockets waits its turn: a burst of 800 upgrades otherwise runs back to back (~0.3 ms each)
 * and stalls every authenticated request behind it.
 */
export class PreAuthWork {
  #jobs: (() => void)[] = [];
  #next = 0;
  #scheduled: NodeJS.Immediate | undefined;
  #sliceMs: () => number;
  #onError: (error: unknown) => void;
  #closed = false;

  constructor(sliceMs: () => number, onError: (error: unknown) => void) {
    this.#sliceMs = sliceMs;
    this.#onError = onError;
  }

  get pending(): number {
    return this.#jobs.length - this.#next;
  }

  /** Runs `job` in a later slice, in arrival order; with a slice of 0 it runs now. */
  run(job: () => void): void {
    if (this.#closed) return;
    if (this.#sliceMs() <= 0 && this.pending === 0) {
      job();
      return;
    }
    this.#jobs.push(job);
    this.#scheduled ??= setImmediate(this.#slice);
  }

  #slice = (): void => {
    this.#scheduled = undefined;
    const deadline = performance.now() + this.#sliceMs();
    // At least one job per slice, so a zero or tiny budget still drains the queue.
    do {
      const job = this.#jobs[this.#next] as () => void;
      this.#jobs[this.#next++] = noop;
      try {
        job();
      } catch (error) {
        this.#onError(error);
      }
    } while (this.#next < this.#jobs.length && performance.now() < deadline);
    if (this.#next === this.#jobs.length) {
      this.#jobs = [];
      this.#next = 0;
    } else {
      if (this.#next > 1024) {
        this.#jobs = this.#jobs.slice(this.#next);
        this.#next = 0;
      }
      this.#scheduled = setImmediate(this.#slice);
    }
  };

  /** Drops what is queued: the sockets it was for are being closed anyway. */
  close(): void {
    this.#closed = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#jobs = [];
    this.#next = 0;
  }
}

function noop(): void {}
