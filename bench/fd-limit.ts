/**
 * The open-files limit a many-socket scenario needs, checked and (where the system allows it) raised before the
 * bench starts. Node cannot call setrlimit, but at start-up it raises its own soft limit to the hard limit, and
 * its children inherit that; so what decides is the hard limit. A shell's `ulimit` can raise the hard limit only
 * with privilege (CAP_SYS_RESOURCE), which is what re-executing the bench under `sh -c 'ulimit -n …'` is for.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** Set on the re-executed bench, so a raise that did not take is reported instead of retried. */
const REEXEC_MARK = 'CLAWGATE_BENCH_FD_REEXEC';

export type FileLimits = { soft: number; hard: number };

/** `Max open files` of a process, from `/proc/<pid>/limits` ("unlimited" is Infinity). */
export function fileLimits(pid: number | 'self' = 'self'): FileLimits {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const value = (text: string | undefined) => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(line?.[1]), hard: value(line?.[2]) };
}

/** The `ulimit` that gives a shell `needed` open files: the soft limit alone when the hard one allows it. */
function ulimitCommand(needed: number, limits: FileLimits): string {
  return needed <= limits.hard ? `ulimit -Sn ${needed}` : `ulimit -n ${needed}`;
}

/** Whether a shell started from here can set that limit (raising the hard limit needs privilege). */
function canRaise(needed: number, limits: FileLimits): boolean {
  try {
    execFileSync('sh', ['-c', ulimitCommand(needed, limits)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export type FileLimitPlan =
  | { kind: 'enough'; limits: FileLimits }
  | { kind: 'reexec'; command: string }
  | { kind: 'short'; limits: FileLimits; message: string };

/** Whether this process (and so its children) has `needed` open files, can get them by re-executing, or cannot. */
export function planFileLimit(needed: number, what: string): FileLimitPlan {
  const limits = fileLimits();
  if (limits.soft >= needed) return { kind: 'enough', limits };
  if (process.env[REEXEC_MARK] === undefined && canRaise(needed, limits))
    return { kind: 'reexec', command: ulimitCommand(needed, limits) };
  return {
    kind: 'short',
    limits,
    message:
      `${what} needs \`ulimit -Hn\` ≥ ${needed} (open files in each of the bench, gateway and floor processes; here soft ${limits.soft}, hard ${limits.hard}, and raising the hard limit was refused): ` +
      `raise it in /etc/security/limits.conf (\`nofile\`), with systemd \`LimitNOFILE=\` or \`docker run --ulimit nofile=${needed}\`, or run the bench as root` +
      (process.getuid?.() === 0 ? ' with CAP_SYS_RESOURCE (this root lacks it, as in a container)' : ''),
  };
}

/**
 * Runs this same bench again under `sh -c '<ulimit> && exec node …'`, forwarding SIGINT/SIGTERM, and resolves
 * with its exit code. The caller must do nothing else meanwhile: the child is the bench.
 */
export function reexecUnder(ulimit: string): Promise<number> {
  const child = spawn(
    'sh',
    ['-c', `${ulimit} && exec "$@"`, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [REEXEC_MARK]: '1' } },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
