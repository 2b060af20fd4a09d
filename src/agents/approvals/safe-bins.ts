import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SafeBinProfileConfig } from '../../config/types.ts';

/**
 * Safe bins (OpenClaw's `tools.exec.safeBins`): stdin-only stream filters that run in allowlist mode without an
 * allowlist entry, because with their file-reading options refused and no file operands they can only transform
 * the stream piped into them. Validation looks at argv alone (never the file system), fails closed on any flag it
 * does not know, and requires every word to be literal (no `$VAR`, glob or `~` the shell would expand).
 */
export const DEFAULT_SAFE_BINS = ['cut', 'uniq', 'head', 'tail', 'tr', 'wc'] as const;
/** Only these directories (and `tools.exec.safeBinTrustedDirs`) may hold a safe bin; PATH is never trusted. */
export const DEFAULT_SAFE_BIN_DIRS = ['/bin', '/usr/bin'] as const;

/**
 * Never safe bins, even when listed: they evaluate programs (awk, sed, jq, interpreters, shells) or run other
 * commands (env, xargs, find), so no argv check can confine them to the stream.
 */
const NEVER_SAFE = new Set([
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'sed',
  'gsed',
  'jq',
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'fish',
  'python',
  'python3',
  'node',
  'deno',
  'bun',
  'perl',
  'ruby',
  'php',
  'lua',
  'env',
  'xargs',
  'find',
  'busybox',
  'toybox',
]);

type Profile = {
  minPositional?: number;
  maxPositional?: number;
  valueFlags: ReadonlySet<string>;
  /** Undefined for a custom profile: any flag it does not deny is taken as a boolean. */
  booleanFlags?: ReadonlySet<string>;
  deniedFlags: ReadonlySet<string>;
};

const set = (...flags: string[]) => new Set(flags);

/** Read-only flags of the coreutils filters (the same sets OpenClaw ships), plus grep and sort for opt-in use. */
const BUILT_IN: Record<string, Profile> = {
  cut: {
    maxPositional: 0,
    valueFlags: set(
      '--bytes',
      '--characters',
      '--fields',
      '--delimiter',
      '--output-delimiter',
      '-b',
      '-c',
      '-f',
      '-d',
    ),
    booleanFlags: set('--complement', '--only-delimited', '--zero-terminated', '-n', '-s', '-z'),
    deniedFlags: set(),
  },
  uniq: {
    maxPositional: 0,
    valueFlags: set('--skip-fields', '--skip-chars', '--check-chars', '--group', '-f', '-s', '-w'),
    booleanFlags: set(
      '--count',
      '--repeated',
      '--unique',
      '--ignore-case',
      '--zero-terminated',
      '-c',
      '-d',
      '-u',
      '-i',
      '-z',
    ),
    deniedFlags: set(),
  },
  head: {
    maxPositional: 0,
    valueFlags: set('--lines', '--bytes', '-n', '-c'),
    booleanFlags: set('--quiet', '--silent', '--verbose', '--zero-terminated', '-q', '-v', '-z'),
    deniedFlags: set(),
  },
  tail: {
    maxPositional: 0,
    valueFlags: set('--lines', '--bytes', '--sleep-interval', '--max-unchanged-stats', '--pid', '-n', '-c'),
    booleanFlags: set('--quiet', '--silent', '--verbose', '--zero-terminated', '-q', '-v', '-z'),
    deniedFlags: set('--follow', '--retry', '-F', '-f'),
  },
  tr: {
    minPositional: 1,
    maxPositional: 2,
    valueFlags: set(),
    booleanFlags: set(
      '--complement',
      '--delete',
      '--squeeze-repeats',
      '--truncate-set1',
      '-C',
      '-c',
      '-d',
      '-s',
      '-t',
    ),
    deniedFlags: set(),
  },
  wc: {
    maxPositional: 0,
    valueFlags: set(),
    booleanFlags: set(
      '--bytes',
      '--chars',
      '--lines',
      '--max-line-length',
      '--words',
      '-L',
      '-c',
      '-l',
      '-m',
      '-w',
    ),
    deniedFlags: set('--files0-from'),
  },
  // The pattern must come with -e: a positional pattern could not be told from a file operand.
  grep: {
    maxPositional: 0,
    valueFlags: set(
      '--regexp',
      '--max-count',
      '--after-context',
      '--before-context',
      '--context',
      '-e',
      '-m',
      '-A',
      '-B',
      '-C',
    ),
    booleanFlags: set(
      '--count',
      '--ignore-case',
      '--invert-match',
      '--line-number',
      '--only-matching',
      '--quiet',
      '--silent',
      '--word-regexp',
      '--line-regexp',
      '--extended-regexp',
      '--fixed-strings',
      '-c',
      '-i',
      '-v',
      '-n',
      '-o',
      '-q',
      '-s',
      '-w',
      '-x',
      '-E',
      '-F',
    ),
    deniedFlags: set(
      '--file',
      '--exclude-from',
      '--dereference-recursive',
      '--directories',
      '--recursive',
      '-f',
      '-d',
      '-r',
      '-R',
    ),
  },
  sort: {
    maxPositional: 0,
    valueFlags: set('--key', '--field-separator', '--buffer-size', '--parallel', '-k', '-t', '-S'),
    booleanFlags: set(
      '--numeric-sort',
      '--reverse',
      '--unique',
      '--ignore-case',
      '--general-numeric-sort',
      '--human-numeric-sort',
      '--stable',
      '-n',
      '-r',
      '-u',
      '-f',
      '-g',
      '-h',
      '-s',
      '-b',
    ),
    deniedFlags: set(
      '--compress-program',
      '--files0-from',
      '--output',
      '--random-source',
      '--temporary-directory',
      '-T',
      '-o',
    ),
  },
};

function customProfile(config: SafeBinProfileConfig): Profile {
  return {
    minPositional: config.minPositional,
    maxPositional: config.maxPositional,
    valueFlags: new Set(config.allowedValueFlags ?? []),
    deniedFlags: new Set(config.deniedFlags ?? []),
  };
}

export type SafeBinSettings = {
  safeBins?: readonly string[];
  safeBinTrustedDirs: readonly string[];
  safeBinProfiles: Readonly<Record<string, SafeBinProfileConfig>>;
};

const realDirs = new Map<string, string>();

/** Trusted directories by real path (`/bin` is `/usr/bin` on merged-/usr systems); looked up once each. */
function realDir(dir: string): string {
  let real = realDirs.get(dir);
  if (real === undefined) {
    try {
      real = realpathSync(dir);
    } catch {
      real = dir;
    }
    if (realDirs.size < 64) realDirs.set(dir, real);
  }
  return real;
}

/** Does this segment run as a safe bin? `words` is argv, each word with whether the shell leaves it as written. */
export function isSafeBinInvocation(
  words: readonly { text: string; literal: boolean }[],
  resolvedPath: string | undefined,
  settings: SafeBinSettings,
): boolean {
  const name = words[0]?.text;
  if (!name || !resolvedPath || name.includes('/') || NEVER_SAFE.has(name)) return false;
  if (!(settings.safeBins ?? DEFAULT_SAFE_BINS).includes(name)) return false;
  const custom = settings.safeBinProfiles[name];
  const profile = custom ? customProfile(custom) : BUILT_IN[name];
  if (!profile) return false;
  const trusted = [...DEFAULT_SAFE_BIN_DIRS, ...settings.safeBinTrustedDirs].map(realDir);
  if (!trusted.includes(dirname(resolvedPath))) return false;
  if (!words.every((word) => word.literal)) return false;
  return argvAllowed(
    words.slice(1).map((word) => word.text),
    profile,
  );
}

function argvAllowed(args: readonly string[], profile: Profile): boolean {
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positional += args.length - i - 1;
      if (args.slice(i + 1).some(isPathLike)) return false;
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      if (arg !== '-') {
        if (isPathLike(arg)) return false;
        positional += 1;
      }
      continue;
    }
    const consumed = arg.startsWith('--')
      ? longOption(arg, args[i + 1], profile)
      : shortOptions(arg, args[i + 1], profile);
    if (consumed < 0) return false;
    i += consumed;
  }
  if (profile.maxPositional !== undefined && positional > profile.maxPositional) return false;
  return profile.minPositional === undefined || positional >= profile.minPositional;
}

/** Returns how many following args the option consumed (0 or 1), or -1 to refuse. */
function longOption(arg: string, next: string | undefined, profile: Profile): number {
  const eq = arg.indexOf('=');
  const flag = eq < 0 ? arg : arg.slice(0, eq);
  if (profile.deniedFlags.has(flag)) return -1;
  if (profile.valueFlags.has(flag)) {
    if (eq >= 0) return 0;
    return next === undefined ? -1 : 1;
  }
  if (eq >= 0) return -1;
  if (profile.booleanFlags) return profile.booleanFlags.has(flag) ? 0 : -1;
  return 0;
}

function shortOptions(arg: string, next: string | undefined, profile: Profile): number {
  for (let j = 1; j < arg.length; j++) {
    const flag = `-${arg[j]}`;
    if (profile.deniedFlags.has(flag)) return -1;
    if (profile.valueFlags.has(flag)) {
      // The rest of the cluster is the value (`-n5`), else the next argument is (`-n 5`).
      if (j < arg.length - 1) return 0;
      return next === undefined ? -1 : 1;
    }
    if (profile.booleanFlags && !profile.booleanFlags.has(flag)) return -1;
  }
  return 0;
}

function isPathLike(arg: string): boolean {
  return arg.includes('/') || arg.startsWith('.') || arg.startsWith('~');
}
