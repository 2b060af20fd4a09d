import { cwdArgvHash, type MatchTarget, matchAllowlist } from './allowlist.ts';
import type { AllowlistEntry } from './approvals-file.ts';
import { resolveExecutable } from './executable.ts';
import { isSafeBinInvocation, type SafeBinSettings } from './safe-bins.ts';
import { parseShellCommand } from './shell-words.ts';

export type SegmentAnalysis = MatchTarget & {
  /** The allowlist entry covering it, if one does. */
  entry?: AllowlistEntry;
  safeBin: boolean;
};

export type CommandAnalysis = {
  /** Why the command could not be split into simple commands; then nothing about it is trusted. */
  unanalysable?: string;
  segments: SegmentAnalysis[];
  /** Every segment is covered by an allowlist entry or is a safe bin (OpenClaw: every top-level segment). */
  allowlistSatisfied: boolean;
  /**
   * The entries "Always allow" would add: each uncovered segment's real path bound to its exact argv in this
   * directory. Undefined when some segment cannot be bound that way (unresolvable, or expanded by the shell).
   */
  persistable?: { pattern: string; argPattern: string }[];
};

export type AnalysisEnv = { path: string | undefined; home: string };

/** Splits, resolves and matches a command against an agent's allowlist and the safe bins. */
export function analyzeCommand(
  command: string,
  cwd: string,
  allowlist: readonly AllowlistEntry[],
  safeBins: SafeBinSettings,
  env: AnalysisEnv,
): CommandAnalysis {
  const parsed = parseShellCommand(command);
  if (!parsed.ok) return { unanalysable: parsed.reason, segments: [], allowlistSatisfied: false };
  const segments = parsed.segments.map((words): SegmentAnalysis => {
    const argv = words.map((word) => word.text);
    const target: MatchTarget = {
      raw: argv[0],
      argv,
      literal: words.every((word) => word.literal),
      cwd,
    };
    if (words[0].literal) {
      const resolvedPath = resolveExecutable(argv[0], cwd, env.path);
      if (resolvedPath) target.resolvedPath = resolvedPath;
    }
    const entry = matchAllowlist(allowlist, target, env.home);
    const safeBin = !entry && isSafeBinInvocation(words, target.resolvedPath, safeBins);
    return { ...target, ...(entry ? { entry } : {}), safeBin };
  });
  const allowlistSatisfied = segments.every((segment) => segment.entry !== undefined || segment.safeBin);
  const uncovered = segments.filter((segment) => !segment.entry && !segment.safeBin);
  const bindable = uncovered.every((segment) => segment.resolvedPath !== undefined && segment.literal);
  return {
    segments,
    allowlistSatisfied,
    ...(bindable
      ? {
          persistable: uncovered.map((segment) => ({
            pattern: segment.resolvedPath as string,
            argPattern: cwdArgvHash(segment.argv, cwd),
          })),
        }
      : {}),
  };
}
