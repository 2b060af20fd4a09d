import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Where a command word leads, as the shell would find it: a word with a `/` names a file (relative to the working
 * directory), a bare word is looked up along PATH. The allowlist is matched against the real path (symlinks
 * resolved), so a link in a trusted directory pointing elsewhere is judged by its target. Undefined when nothing
 * executable is found (a shell builtin, a typo): such a command can only be approved by an operator.
 */
export function resolveExecutable(
  word: string,
  cwd: string,
  pathEnv: string | undefined,
): string | undefined {
  if (word === '') return undefined;
  if (word.includes('/')) return executableAt(isAbsolute(word) ? word : resolve(cwd, word));
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    // An empty PATH entry means the working directory (POSIX); so does `.`.
    const base = dir === '' || dir === '.' ? cwd : isAbsolute(dir) ? dir : resolve(cwd, dir);
    const found = executableAt(join(base, word));
    if (found) return found;
  }
  return undefined;
}

function executableAt(path: string): string | undefined {
  // Most PATH entries do not hold the command: look without throwing (an exception per miss costs more than the
  // lookup itself).
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  try {
    const real = realpathSync(path);
    accessSync(real, constants.X_OK);
    return real;
  } catch {
    return undefined;
  }
}
