import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';

export type MachineInfo = {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  kernel: string;
  node: string;
  commit: string;
  date: string;
  /** 1, 5 and 15 minute load averages: other work on the machine skews every figure. */
  loadAvg: string;
};

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (+ uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(repoRoot: string): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    totalMemGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    commit: gitCommit(repoRoot),
    date: new Date().toISOString(),
    loadAvg: loadavg()
      .map((n) => n.toFixed(2))
      .join(' / '),
  };
}
