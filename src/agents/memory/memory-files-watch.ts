import { type FSWatcher, watch } from 'node:fs';
import { basename, join } from 'node:path';

/** Names at the workspace root whose change can change the memory files (`memory` itself: created, replaced). */
const ROOT_NAMES = new Set(['MEMORY.md', 'memory.md', 'USER.md', 'memory']);
/**
 * However quiet the watchers, a search scans at least this often: a change they cannot report (the workspace
 * itself removed and made again, an event lost to a full inotify queue) is picked up within this bound.
 */
export const MEMORY_RESCAN_MS = 30_000;

/**
 * Tells whether an agent's memory files may have changed since the last scan, so a search stats a year of daily
 * notes only after something was written (measured: a scan of 366 files costs a search several milliseconds).
 * Two watchers: the workspace root (its memory names only) and `memory/` recursively. Until both are in place
 * (a workspace or a `memory/` that does not exist yet), or after one fails (inotify limits), it reports dirty, and
 * every search scans, as it would without it. The watchers never keep the process alive; `close` ends them.
 */
export class MemoryFilesWatch {
  readonly workspaceDir: string;
  readonly #onChange: () => void;
  #root: FSWatcher | undefined;
  #memory: FSWatcher | undefined;
  #dirty = true;
  #closed = false;
  #scannedAt = Number.NEGATIVE_INFINITY;

  constructor(workspaceDir: string, onChange: () => void) {
    this.workspaceDir = workspaceDir;
    this.#onChange = onChange;
  }

  /** True when the files may differ from the last scan, or nothing watches them. */
  get dirty(): boolean {
    return (
      this.#dirty || !this.#root || !this.#memory || performance.now() - this.#scannedAt > MEMORY_RESCAN_MS
    );
  }

  /**
   * Called as a scan starts: from here on a change is noticed again, and the watchers missing (a directory
   * created since) are tried again.
   */
  scanning(): void {
    if (this.#closed) return;
    this.#dirty = false;
    this.#scannedAt = performance.now();
    const self = basename(this.workspaceDir);
    this.#root ??= this.#open(this.workspaceDir, false, (name) => {
      if (name === self) {
        // The workspace itself was moved or removed: watch it again at the next scan.
        this.#root?.close();
        this.#root = undefined;
      }
      if (name === 'memory' || name === self || name === null) {
        // `memory/` (or the workspace) was replaced: its watcher may be watching what is gone.
        this.#memory?.close();
        this.#memory = undefined;
      }
      return name === null || name === self || ROOT_NAMES.has(name);
    });
    this.#memory ??= this.#open(join(this.workspaceDir, 'memory'), true, () => true);
  }

  close(): void {
    this.#closed = true;
    this.#root?.close();
    this.#memory?.close();
    this.#root = undefined;
    this.#memory = undefined;
  }

  #open(dir: string, recursive: boolean, relevant: (name: string | null) => boolean): FSWatcher | undefined {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false, recursive }, (_event, name) => {
        if (!relevant(name === null ? null : String(name))) return;
        this.#dirty = true;
        this.#onChange();
      });
    } catch {
      // Missing (or not watchable): searches scan until a later scan can watch it.
      return undefined;
    }
    watcher.on('error', () => {
      watcher.close();
      if (this.#root === watcher) this.#root = undefined;
      if (this.#memory === watcher) this.#memory = undefined;
      this.#dirty = true;
    });
    return watcher;
  }
}
