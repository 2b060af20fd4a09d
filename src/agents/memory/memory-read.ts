import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  MEMORY_FILE_MAX_BYTES,
  MEMORY_READ_DEFAULT_LINES,
  MEMORY_READ_MAX_CHARS,
} from '../../config/limits.ts';
import { isMemoryPath } from './memory-files.ts';

/** OpenClaw's `memory_get` result: `ok` with the excerpt, `not_found`, or `error` with a code. */
export type MemoryReadResult =
  | {
      status: 'ok';
      path: string;
      text: string;
      from: number;
      lines: number;
      truncated?: true;
      nextFrom?: number;
    }
  | { status: 'not_found'; path: string; text: '' }
  | { status: 'error'; path: string; text: ''; code: string; error: string };

/** A refusal: the path names no memory file of this workspace (an escape, a symlink, another kind of file). */
export class MemoryPathError extends Error {
  readonly code = 'MEMORY_PATH_NOT_ALLOWED';
}

const notAllowed = (why: string) =>
  new MemoryPathError(`path is not an allowed Markdown memory file: ${why}`);

/**
 * Resolves `rawPath` (workspace-relative, or absolute inside the workspace) to a memory file of `workspaceDir`,
 * refusing anything else: a path outside the workspace (`..`, another absolute path), a file that is not one of
 * the memory files (isMemoryPath), or any symlink on the way below the workspace (the workspace itself may be
 * one). Returns the workspace-relative path and the file's real location.
 */
export async function resolveMemoryFile(
  workspaceDir: string,
  rawPath: string,
): Promise<{ relPath: string; absPath: string }> {
  const input = rawPath.trim();
  if (input === '' || input.includes('\0')) throw notAllowed('empty or malformed');
  const root = await realpath(workspaceDir).catch(() => resolve(workspaceDir));
  const target = isAbsolute(input) ? resolve(input) : resolve(workspaceDir, input);
  // An absolute path may name the workspace by its link or by its real location.
  let relPath = relative(resolve(workspaceDir), target);
  if (relPath.startsWith('..') || isAbsolute(relPath)) relPath = relative(root, target);
  relPath = relPath.split(sep).join('/');
  if (relPath === '' || relPath.startsWith('..') || isAbsolute(relPath))
    throw notAllowed('outside the workspace');
  if (!isMemoryPath(relPath)) throw notAllowed('not MEMORY.md, USER.md, DREAMS.md or memory/*.md');
  let at = root;
  for (const segment of relPath.split('/')) {
    at = join(at, segment);
    const stat = await lstat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (!stat) break;
    if (stat.isSymbolicLink()) throw notAllowed('a symlink');
  }
  return { relPath, absPath: join(root, ...relPath.split('/')) };
}

/**
 * The file's bytes, opened without following a final symlink (O_NOFOLLOW: one swapped in after the check fails);
 * undefined when it is missing. A file that is not regular, or is larger than MEMORY_FILE_MAX_BYTES, is refused.
 */
export async function readConfinedFile(
  absPath: string,
): Promise<{ text: string; mtimeMs: number } | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(absPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw notAllowed('a symlink');
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notAllowed('not a regular file');
    if (stat.size > MEMORY_FILE_MAX_BYTES)
      throw notAllowed(`larger than ${MEMORY_FILE_MAX_BYTES} bytes (read it with the read tool)`);
    return { text: await handle.readFile('utf8'), mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

/**
 * `memory_get`: lines `from`… (1-based, default 1) of a memory file, `lines` of them (default
 * MEMORY_READ_DEFAULT_LINES), whole lines up to MEMORY_READ_MAX_CHARS; a cut excerpt says where to continue
 * (`nextFrom`, and a notice in the text, as OpenClaw's does).
 */
export async function readMemoryExcerpt(
  workspaceDir: string,
  rawPath: string,
  range: { from?: number; lines?: number } = {},
): Promise<MemoryReadResult> {
  let resolved: { relPath: string; absPath: string };
  try {
    resolved = await resolveMemoryFile(workspaceDir, rawPath);
  } catch (error) {
    return readError(rawPath.trim(), error);
  }
  const { relPath, absPath } = resolved;
  let file: { text: string } | undefined;
  try {
    file = await readConfinedFile(absPath);
  } catch (error) {
    return readError(relPath, error);
  }
  if (!file) return { status: 'not_found', path: relPath, text: '' };
  const all = file.text.split('\n');
  if (all.at(-1) === '') all.pop();
  const from = Math.max(1, Math.floor(range.from ?? 1));
  const wanted = Math.max(1, Math.floor(range.lines ?? MEMORY_READ_DEFAULT_LINES));
  const selected = all.slice(from - 1, from - 1 + wanted);
  let included = 0;
  let chars = 0;
  for (const line of selected) {
    const next = chars + line.length + (included > 0 ? 1 : 0);
    if (included > 0 && next > MEMORY_READ_MAX_CHARS) break;
    included += 1;
    chars = next;
  }
  let text = selected.slice(0, included).join('\n');
  const cutLine = text.length > MEMORY_READ_MAX_CHARS;
  if (cutLine) text = text.slice(0, MEMORY_READ_MAX_CHARS);
  const more = from - 1 + included < all.length;
  const truncated = cutLine || more;
  const nextFrom = !cutLine && more ? from + included : undefined;
  if (truncated)
    text += nextFrom
      ? `\n\n[More content available. Use from=${nextFrom} to continue.]`
      : '\n\n[More content available: the line is longer than one excerpt. Use the read tool for the whole line.]';
  return {
    status: 'ok',
    path: relPath,
    text,
    from,
    lines: included,
    ...(truncated ? { truncated: true as const } : {}),
    ...(nextFrom ? { nextFrom } : {}),
  };
}

function readError(path: string, error: unknown): MemoryReadResult {
  const code =
    error instanceof MemoryPathError
      ? error.code
      : ((error as NodeJS.ErrnoException).code ?? 'MEMORY_READ_FAILED');
  return { status: 'error', path, text: '', code, error: (error as Error).message };
}

/** OpenClaw's dream diary names, tried in order at the workspace root. */
const DREAM_DIARY_NAMES = ['DREAMS.md', 'dreams.md'];

/** `doctor.memory.dreamDiary`: the workspace's DREAMS.md as OpenClaw reads it (a symlink is not followed). */
export async function readDreamDiary(
  workspaceDir: string,
): Promise<{ found: boolean; path: string; content?: string; updatedAtMs?: number }> {
  for (const name of DREAM_DIARY_NAMES) {
    let file: { text: string; mtimeMs: number } | undefined;
    try {
      file = await readConfinedFile(join(workspaceDir, name));
    } catch {
      return { found: false, path: name };
    }
    if (file) return { found: true, path: name, content: file.text, updatedAtMs: Math.floor(file.mtimeMs) };
  }
  return { found: false, path: DREAM_DIARY_NAMES[0] };
}
