import { constants, type FileHandle, open } from 'node:fs/promises';
import type { PathScope } from '../path-guard.ts';
import { ToolAuthorizationError, ToolInputError } from '../tool-errors.ts';
import type { ToolContext } from '../tool-types.ts';
import { fsWorkspaceOnly } from '../tools-config.ts';
import type { BuiltinDeps } from './builtin-deps.ts';

/** Where this turn's file tools may go. */
export function fileScope(deps: BuiltinDeps, ctx: ToolContext): PathScope {
  return {
    workspaceDir: ctx.workspaceDir,
    workspaceOnly: fsWorkspaceOnly(ctx.config, ctx.agentId),
    stateDir: deps.stateDir,
    configPath: deps.configPath,
  };
}

/**
 * Opens a checked real path without following a symlink at its last component (one planted after the check), and
 * makes sure it is a regular file; for writing, also one with a single link (a hard link may be a file outside).
 * Never pass O_TRUNC: truncate through the handle once these checks passed.
 */
export async function openChecked(
  path: string,
  flags: number,
  shown: string,
  mode?: number,
): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang the tool (it is then refused as not a regular file).
    handle = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new ToolAuthorizationError(`${shown} is a symlink, which file tools do not follow here`);
    if (code === 'ENOENT') throw new ToolInputError(`File not found: ${shown}`);
    if (code === 'EISDIR') throw new ToolInputError(`${shown} is a directory`);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ToolInputError(`${shown} is not a regular file`);
    const writing = (flags & (constants.O_WRONLY | constants.O_RDWR)) !== 0;
    if (writing && stat.nlink > 1) {
      throw new ToolAuthorizationError(
        `${shown} has other hard links, so it may be a file outside the workspace`,
      );
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
