/**
 * Measuring one child process: spawn it, poll its probes, read its RSS, time a handshake, stop it. Every child
 * and temp dir is registered here so `cleanupAll` can remove them however the bench ends.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';

/** Gap between probe attempts: short enough to resolve start-up to ~1 ms, long enough not to starve the child. */
export const POLL_GAP_MS = 1;
const STOP_GRACE_MS = 5_000;
const STDERR_KEEP_CHARS = 8_000;

/** Inherited variables that would change what is measured: gateway config, Node flags, Node's compile cache. */
const ENV_EXCLUDED = /^(CLAWGATE_|OPENCLAW_|NODE_OPTIONS$|NODE_COMPILE_CACHE$)/;

/**
 * The inherited environment minus anything that would change how the gateway starts. The update check is off:
 * a measured gateway must not reach for the network (there is none here) or log a failed check mid-run.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!ENV_EXCLUDED.test(key)) env[key] = value;
  return { ...env, CLAWGATE_NO_AUTO_UPDATE: '1', ...extra };
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A fresh directory, removed by `removeTempDir` or `cleanupAll`; a relative prefix goes under the OS temp dir. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(isAbsolute(prefix) ? prefix : join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Synchronous so it also works from `process.on('exit')`: SIGKILL what is left, delete what is left. */
export function cleanupAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A port that was free a moment ago, so probes can be polled from the instant of spawn. */
export async function reservePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type RunningChild = {
  child: ChildProcess;
  /** `performance.now()` just before `spawn`. */
  t0: number;
  /** Resolves with `performance.now()` when the `clawgate ready: <url>` line arrives; rejects if the child exits. */
  readyLine: Promise<{ at: number; url: string }>;
  stderr(): string;
};

export type SpawnOptions = {
  /** Run on these CPUs only (`taskset -c <cpus>`, which execs node: the pid is node's). */
  cpus?: string;
  /** An IPC channel to the child (`child.send`, its `process.send`). */
  ipc?: boolean;
};

export function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  options: SpawnOptions = {},
): RunningChild {
  const t0 = performance.now();
  const [command, argv] =
    options.cpus === undefined
      ? [process.execPath, args]
      : ['taskset', ['-c', options.cpus, process.execPath, ...args]];
  const child = spawn(command, argv, {
    env,
    cwd,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err = (err + chunk).slice(-STDERR_KEEP_CHARS);
  });
  const readyLine = new Promise<{ at: number; url: string }>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /clawgate ready: (\S+)\n/.exec(out);
      if (match) resolve({ at: performance.now(), url: match[1] });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) before its ready line; stderr:\n${err}`)),
    );
    child.once('error', reject);
  });
  readyLine.catch(() => undefined);
  return { child, t0, readyLine, stderr: () => err };
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

/** Polls `path` until it answers 200; returns `performance.now()` at that answer. */
export async function pollUntilOk(
  running: RunningChild,
  port: number,
  path: string,
  deadline: number,
): Promise<number> {
  for (;;) {
    const status = await httpStatus(port, path);
    if (status === 200) return performance.now();
    if (running.child.exitCode !== null || running.child.signalCode !== null)
      throw new Error(`child exited while polling ${path}; stderr:\n${running.stderr()}`);
    if (performance.now() > deadline) throw new Error(`${path} not 200 by the deadline (last ${status})`);
    await delay(POLL_GAP_MS);
  }
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resident and peak resident set, in KiB, from `/proc/<pid>/status`. */
export function readRss(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

let clockTicksPerSecond: number | undefined;

/** User + system CPU time a process has used so far, in ms, from `/proc/<pid>/stat` (clock-tick resolution). */
export function readCpuMs(pid: number): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after it start at 3 (state), so utime (14) is index 11.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond) * 1000;
}

/**
 * The main thread's scheduler times, in ms, from `/proc/<pid>/task/<pid>/schedstat`: on a CPU, and runnable but
 * waiting for one. The rest of the wall time it was blocked in a syscall (fsync, a sleep) or idle in epoll.
 */
export function readSchedstat(pid: number): { cpuMs: number; waitMs: number } {
  const [cpuNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
    .trim()
    .split(' ')
    .map(Number);
  return { cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6 };
}

type Frame = { type: string; event?: string; id?: string; ok?: boolean; payload?: { type?: string } };

/**
 * Opens a raw socket, waits for `connect.challenge`, sends `connect`, waits for hello-ok, then closes.
 * Returns `performance.now()` at the hello-ok.
 */
export function handshake(url: string, token: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(
      () => finish(new Error(`no hello-ok from ${url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error: Error | undefined, at = 0) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      if (error) reject(error);
      else resolve(at);
    };
    ws.on('error', (error) => finish(error));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'event' && frame.event === 'connect.challenge') {
        const client = { id: 'cli', version: '0.0.0', platform: process.platform, mode: 'cli' };
        const params = {
          minProtocol: 4,
          maxProtocol: 4,
          client,
          role: 'operator',
          scopes: ['operator.read'],
        };
        ws.send(
          JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { ...params, auth: { token } } }),
        );
      } else if (frame.type === 'res' && frame.id === 'c') {
        const at = performance.now();
        if (frame.ok && frame.payload?.type === 'hello-ok') finish(undefined, at);
        else finish(new Error(`connect refused: ${data.toString().slice(0, 500)}`));
      }
    });
  });
}

/** SIGTERM, then SIGKILL after a grace; resolves once the child is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Spawns `node <args>` and times it to exit; throws on a non-zero exit or after `timeoutMs`. */
export async function timeToExit(args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number) {
  const running = spawnNode(args, env, cwd);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(running.child, 'exit')) as [number | null, NodeJS.Signals | null];
  const ms = performance.now() - running.t0;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`node ${args.join(' ')} exited with ${code ?? signal}; stderr:\n${running.stderr()}`);
  return ms;
}
