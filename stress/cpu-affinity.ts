/**
 * Placing processes on CPUs with util-linux's `taskset`, so a load generator and the gateway it loads can run on
 * separate cores of a small machine instead of taking turns on both.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `0-2,5` → [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  return list
    .trim()
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
}

/** The CPUs each thread of `pid` may run on (`Cpus_allowed_list` of every `/proc/<pid>/task/<tid>`). */
export function threadCpus(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      return []; // the thread ended since the listing
    }
    return [/^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? '?'];
  });
}

/** The CPUs this process may run on. */
export function ownCpus(): number[] {
  return parseCpuList(threadCpus(process.pid)[0] ?? '');
}

/** Why processes cannot be placed here, or undefined when they can. */
export function tasksetMissing(): string | undefined {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return '`taskset` is not installed (Debian/Ubuntu: `apt-get install util-linux`)';
  }
}

/** Every thread of `pid` onto `cpus` (a `taskset -c` list); threads started later inherit it from theirs. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  const off = threadsOff(pid, cpus);
  if (off.length) throw new Error(`taskset left ${off.length} threads of ${pid} on CPUs ${off.join(' ')}`);
}

/** The CPU lists of those threads of `pid` that may run anywhere but exactly on `cpus`. */
export function threadsOff(pid: number, cpus: string): string[] {
  const want = parseCpuList(cpus).join(',');
  return threadCpus(pid).filter((list) => parseCpuList(list).join(',') !== want);
}
