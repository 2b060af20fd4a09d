import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, posix } from 'node:path';
import type { AllowlistEntry } from './approvals-file.ts';

/**
 * Allowlist matching, with OpenClaw's semantics: a pattern holding a path selector (`/` or `~`) is a glob over the
 * executable's resolved real path (`*` within one path segment, `**` across them, `?` one character); a bare
 * pattern matches the command name, and only when the command was invoked by bare name through PATH (`rg` covers
 * `rg`, never `./rg` or `/tmp/rg`). `argPattern` narrows an entry to arguments an ECMAScript regex accepts, tested
 * against the arguments (argv without argv[0]) joined by single spaces. Entries minted by "Always allow" carry an
 * exact argv+cwd hash instead, so they cover that one command in that one directory.
 */

/** OpenClaw's prefix for generated argv+cwd hashes, so documents carry over between the two. */
export const CWD_ARGV_HASH_PREFIX = 'sha256:cwd-argv:v1:';
/** OpenClaw's older, directory-less hash: inactive (OpenClaw's doctor removes them). */
const LEGACY_ARGV_HASH_PREFIX = 'sha256:argv:';

export function isGeneratedArgPattern(value: string): boolean {
  return value.startsWith(CWD_ARGV_HASH_PREFIX) || value.startsWith(LEGACY_ARGV_HASH_PREFIX);
}

/** Length-prefixed fields, so no two different argv/cwd pairs hash the same subject. */
export function cwdArgvHash(argv: readonly string[], cwd: string): string {
  const dir = posix.normalize(cwd);
  const args = argv.slice(1);
  const subject =
    `${Buffer.byteLength(dir)}\0${dir}\0${args.length}\0` +
    args.map((arg) => `${Buffer.byteLength(arg)}\0${arg}\0`).join('');
  return `${CWD_ARGV_HASH_PREFIX}${createHash('sha256').update(subject).digest('hex')}`;
}

const globCache = new Map<string, RegExp>();
const GLOB_CACHE_MAX = 512;

function globRegex(pattern: string): RegExp {
  let regex = globCache.get(pattern);
  if (regex) return regex;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  regex = new RegExp(`${source}$`);
  if (globCache.size >= GLOB_CACHE_MAX) globCache.clear();
  globCache.set(pattern, regex);
  return regex;
}

function expandHome(pattern: string, home: string): string {
  if (pattern === '~') return home;
  return pattern.startsWith('~/') ? `${home}${pattern.slice(1)}` : pattern;
}

function hasPathSelector(value: string): boolean {
  return value.includes('/') || value.includes('~');
}

/** One command segment as the allowlist sees it. */
export type MatchTarget = {
  /** argv[0] as written. */
  raw: string;
  /** The executable's real path, when it resolved to one. */
  resolvedPath?: string;
  argv: readonly string[];
  /**
   * Whether argv is exactly what will run: false when a word is expanded by the shell (`$VAR`, a glob, `~`), which
   * only a path-only entry may cover.
   */
  literal: boolean;
  cwd: string;
};

function patternMatches(pattern: string, target: MatchTarget, home: string): boolean {
  if (!target.resolvedPath) return false;
  if (hasPathSelector(pattern)) return globRegex(expandHome(pattern, home)).test(target.resolvedPath);
  if (hasPathSelector(target.raw)) return false;
  const regex = globRegex(pattern);
  return regex.test(target.raw) || regex.test(basename(target.resolvedPath));
}

function argPatternMatches(argPattern: string, argv: readonly string[]): boolean {
  try {
    return new RegExp(argPattern).test(argv.slice(1).join(' '));
  } catch {
    return false;
  }
}

/**
 * The entry that lets this segment run, if any. An argument-bound entry that matches wins over a path-only one;
 * a path-only entry still covers arguments the bound one refuses (OpenClaw's fallback, documented there: omit
 * the path-only entry to restrict the binary). Generated entries never act path-only.
 */
export function matchAllowlist(
  entries: readonly AllowlistEntry[],
  target: MatchTarget,
  home: string = homedir(),
): AllowlistEntry | undefined {
  // A lone `*` without arguments trusts every command, builtins included (an operator's explicit choice).
  const wildcard = entries.find(
    (entry) =>
      entry.pattern.trim() === '*' && entry.argPattern === undefined && entry.source !== 'allow-always',
  );
  if (wildcard) return wildcard;
  if (!target.resolvedPath) return undefined;
  let pathOnly: AllowlistEntry | undefined;
  let hash: string | undefined;
  for (const entry of entries) {
    const pattern = entry.pattern.trim();
    if (pattern === '' || pattern === '*' || !patternMatches(pattern, target, home)) continue;
    if (entry.argPattern === undefined) {
      if (entry.source !== 'allow-always') pathOnly ??= entry;
      continue;
    }
    if (!target.literal) continue;
    if (entry.argPattern.startsWith(CWD_ARGV_HASH_PREFIX)) {
      hash ??= cwdArgvHash(target.argv, target.cwd);
      if (entry.argPattern === hash) return entry;
    } else if (
      !isGeneratedArgPattern(entry.argPattern) &&
      entry.source !== 'allow-always' &&
      argPatternMatches(entry.argPattern, target.argv)
    ) {
      return entry;
    }
  }
  return pathOnly;
}
