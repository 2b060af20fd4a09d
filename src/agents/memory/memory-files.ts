import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MEMORY_FILE_MAX_BYTES, MEMORY_MAX_FILES } from '../../config/limits.ts';

/** One memory file found in a workspace: its workspace-relative path and what `lstat` said. */
export type MemoryFileEntry = { path: string; absPath: string; size: number; mtimeMs: number };

export type MemoryFileListing = {
  files: MemoryFileEntry[];
  /** Files left out: over MEMORY_FILE_MAX_BYTES, or past MEMORY_MAX_FILES. */
  skipped: number;
};

/** The workspace's curated root files, indexed before the `memory/` tree (OpenClaw's layout). */
const ROOT_FILES = ['MEMORY.md', 'USER.md'] as const;
/** The dream diary is readable with `memory_get` (OpenClaw's `isMemoryPath`) but, like OpenClaw, not indexed. */
const READABLE_ROOT_FILES = new Set(['memory.md', 'user.md', 'dreams.md']);

/**
 * Is `relPath` (workspace-relative, `/`-separated) a memory file `memory_get` may read: `MEMORY.md`, `USER.md`,
 * `DREAMS.md` or a Markdown file under `memory/`. Segments must be plain names: no `..`, `.` or empty ones.
 */
export function isMemoryPath(relPath: string): boolean {
  const segments = relPath.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return false;
  if (!relPath.endsWith('.md')) return false;
  if (segments.length === 1) return READABLE_ROOT_FILES.has(relPath.toLowerCase());
  return segments[0] === 'memory';
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return null;
    throw error;
  }
}

/**
 * The memory files of one workspace: `MEMORY.md` (or a lowercase `memory.md`), `USER.md`, and every `*.md` under
 * `memory/` at any depth. Symlinks (files or directories) and dot-entries are skipped, so nothing outside the
 * workspace is indexed through a link; a missing workspace has none.
 */
export async function listMemoryFiles(workspaceDir: string): Promise<MemoryFileListing> {
  const listing: MemoryFileListing = { files: [], skipped: 0 };
  const add = (path: string, absPath: string, stat: { size: number; mtimeMs: number }) => {
    if (stat.size > MEMORY_FILE_MAX_BYTES || listing.files.length >= MEMORY_MAX_FILES) listing.skipped += 1;
    else listing.files.push({ path, absPath, size: stat.size, mtimeMs: stat.mtimeMs });
  };
  for (const name of ROOT_FILES) {
    let found = name as string;
    let stat = await lstatOrNull(join(workspaceDir, name));
    if (!stat && name === 'MEMORY.md') {
      found = 'memory.md';
      stat = await lstatOrNull(join(workspaceDir, found));
    }
    if (stat?.isFile()) add(found, join(workspaceDir, found), stat);
  }
  const memoryDir = join(workspaceDir, 'memory');
  const root = await lstatOrNull(memoryDir);
  if (root?.isDirectory()) await walk(memoryDir, 'memory', listing, add);
  return listing;
}

async function walk(
  dir: string,
  rel: string,
  listing: MemoryFileListing,
  add: (path: string, absPath: string, stat: { size: number; mtimeMs: number }) => void,
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    // Removed while we walked: the next scan sees it gone.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const visible = entries.filter((entry) => !entry.name.startsWith('.') && !entry.isSymbolicLink());
  // A directory's files are stat'ed together (a year of daily notes is one directory), in name order.
  const files = visible.filter((entry) => entry.isFile() && entry.name.endsWith('.md'));
  const stats = await Promise.all(files.map((entry) => lstatOrNull(join(dir, entry.name))));
  files.forEach((entry, i) => {
    const stat = stats[i];
    if (stat?.isFile()) add(`${rel}/${entry.name}`, join(dir, entry.name), stat);
  });
  for (const entry of visible)
    if (entry.isDirectory()) await walk(join(dir, entry.name), `${rel}/${entry.name}`, listing, add);
}
