import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/**
 * Makes a WAL-mode SQLite database's commits durable without blocking the event loop. node:sqlite is synchronous:
 * with `synchronous = FULL` every COMMIT waits for its fsync on the main thread. With `synchronous = NORMAL` a
 * COMMIT only writes its frames to the `-wal` file (so it already survives a process crash); `sync()` then
 * fdatasyncs that file on libuv's thread pool, and a caller awaits it before telling anyone the write is stored.
 * The promise to a client is the same as FULL's (on disk before the answer) while the loop serves other sockets.
 *
 * At most one fdatasync is in flight: calls made while it runs share the one that follows it (which covers every
 * frame written before it starts). SQLite still fsyncs the WAL itself before a checkpoint copies it into the
 * database, as it does under NORMAL.
 */
export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #closed = false;
  readonly #fdatasyncImpl: typeof fdatasync;

  /** `fdatasyncImpl` is for tests that count or hold the syncs. */
  constructor(databasePath: string, fdatasyncImpl: typeof fdatasync = fdatasync) {
    this.#walPath = `${databasePath}-wal`;
    this.#fdatasyncImpl = fdatasyncImpl;
  }

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.#walPath}: closed`));
    if (!this.#running) {
      this.#running = this.#fdatasync().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    // The running one may have started before this caller's commit: wait for the next.
    this.#next ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#next = undefined;
        return this.sync();
      });
    return this.#next;
  }

  /** The same, blocking: for a last write at close. */
  syncNow(): void {
    const fd = this.#open();
    if (fd !== undefined) fdatasyncSync(fd);
  }

  /** Closes the file (after `syncNow()` when there may be unsynced commits). Safe to call twice. */
  close(): void {
    this.#closed = true;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #fdatasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      const fd = this.#open();
      if (fd === undefined) return resolve();
      this.#fdatasyncImpl(fd, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** The WAL file SQLite writes, opened once it exists (SQLite creates it at the first write). */
  #open(): number | undefined {
    if (this.#fd === undefined && !this.#closed) {
      try {
        // Read-only is enough: fdatasync flushes the file's data whichever descriptor asks.
        this.#fd = openSync(this.#walPath, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return this.#fd;
  }
}
