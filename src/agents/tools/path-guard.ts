import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ToolAuthorizationError, ToolInputError } from './tool-errors.ts';

/** Where file tools may go: the workspace (or, without `workspaceOnly`, anywhere but the protected paths). */
export type PathScope = {
  workspaceDir: string;
  /** `tools.fs.workspaceOnly`. */
  workspaceOnly: boolean;
  /** The gateway's state dir: its token, database, device keys. Refused, except the workspace inside it. */
  stateDir: string;
  /** The config file (it holds secrets and the tool policy itself). Always refused. */
  configPath: string;
};

export type ResolvedPath = {
  /** The real path: every symlink resolved, so it is where the bytes are. */
  path: string;
  /** Whether something exists there now. */
  exists: boolean;
};

/** `inner` is `outer` or below it. Both must be real paths. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function realpathOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/** The workspace's real path, creating the directory on first use. */
export async function realWorkspace(workspaceDir: string): Promise<string> {
  try {
    return await realpath(workspaceDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(workspaceDir, { recursive: true, mode: 0o700 });
    return realpath(workspaceDir);
  }
}

/**
 * Resolves a path a model gave a file tool, and refuses it unless it stays where it may: relative paths are taken
 * from the workspace; the result is the real path (`../`, absolute paths and symlinks all resolved first), which
 * must lie inside the workspace when `workspaceOnly`, and never in the state dir (bar the workspace itself, when it
 * lives there) or at the config file. A path that does not exist yet is judged by its nearest existing ancestor
 * (whose symlinks are resolved) plus the rest. The caller opens `path` with O_NOFOLLOW, so a symlink planted after
 * this check is not followed either.
 */
export async function resolveToolPath(scope: PathScope, requested: unknown): Promise<ResolvedPath> {
  if (typeof requested !== 'string' || requested.trim() === '') {
    throw new ToolInputError('path must be a non-empty string');
  }
  if (requested.includes('\0')) throw new ToolInputError('path must not contain NUL bytes');
  const root = await realWorkspace(scope.workspaceDir);
  const wanted = resolve(root, requested);
  let existing = wanted;
  const rest: string[] = [];
  let exists = true;
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      exists = false;
      rest.unshift(basename(existing));
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  const real = join(await realpath(existing), ...rest);
  const state = await realpathOrSelf(scope.stateDir);
  const config = await realpathOrSelf(scope.configPath);
  const shown = JSON.stringify(requested);
  if (scope.workspaceOnly && !isWithin(real, root)) {
    throw new ToolAuthorizationError(
      `${shown} is outside the agent workspace (${root}); file tools are confined to it (tools.fs.workspaceOnly)`,
    );
  }
  if (real === config || real === resolve(scope.configPath)) {
    throw new ToolAuthorizationError(`${shown} is the gateway's config file, which tools may not touch`);
  }
  // A workspace that is the state dir itself exempts nothing.
  const workspaceInState = root !== state && isWithin(root, state) && isWithin(real, root);
  if (isWithin(real, state) && !workspaceInState) {
    throw new ToolAuthorizationError(
      `${shown} is inside the gateway's state directory, which tools may not touch`,
    );
  }
  return { path: real, exists };
}
