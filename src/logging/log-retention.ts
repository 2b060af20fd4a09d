import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { logArchivePath } from './logger.ts';

/**
 * Removes the rotated archives of `file` (`<file>.1`, `<file>.2`, … as logger.ts names them) last written before
 * `before` (ms since the epoch) and returns how many; with `dryRun`, only counts them. The live file, and
 * anything else in its directory, is never touched. A missing directory (nothing logged yet) is no archives.
 *
 * Synchronous on purpose: the logger rotates synchronously in this process, so no rotation can rename a newer
 * archive onto a name between its stat and its unlink. There are at most `logging.maxFiles` (≤ 100) archives.
 */
export function pruneLogArchives(file: string, before: number, dryRun = false): number {
  const directory = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const suffix = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (!/^[1-9]\d*$/.test(suffix)) continue;
    const path = logArchivePath(file, Number(suffix));
    if (basename(path) !== name) continue;
    try {
      if (statSync(path).mtimeMs >= before) continue;
      if (!dryRun) unlinkSync(path);
      removed += 1;
    } catch (error) {
      // Gone since the directory was read (removed by hand): nothing left to prune.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
