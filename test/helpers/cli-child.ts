import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_MAIN = join(ROOT, 'src/cli/main.ts');
export const CLI_BIN = join(ROOT, 'bin/clawgate.mjs');
/** A child that has not finished by then is killed, so a hang fails the test instead of stalling the suite. */
const CHILD_DEADLINE_MS = 15_000;
const COMPILE_CACHE_DIR = join(tmpdir(), 'clawgate-test-compile-cache');

type TestContext = { after(fn: () => unknown): void };
export type CliResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The environment a child sees: ours minus anything that would point it at another gateway or test run. */
export function childEnv(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('CLAWGATE_') || key.startsWith('OPENCLAW_') || key.startsWith('NODE_TEST')) continue;
    env[key] = value;
  }
  // Children re-parse the same TypeScript on every spawn; Node's compile cache (keyed on content, so never
  // stale) more than halves their start-up CPU, which is most of what these tests cost.
  env.NODE_COMPILE_CACHE ??= COMPILE_CACHE_DIR;
  // A gateway child never asks the real registry for a newer clawgate (tests have no network to wait on).
  return { ...env, CLAWGATE_STATE_DIR: stateDir, CLAWGATE_NO_AUTO_UPDATE: '1', ...extra };
}

export function tempDir(t: TestContext, prefix = 'clawgate-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves with the exit, or rejects once `ms` pass (the child is left running for the caller to kill). */
export function exitedWithin(child: ChildProcess, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`child still running after ${ms} ms`)), ms);
  });
  return Promise.race([exited(child), deadline]).finally(() => clearTimeout(timer));
}

/** Runs the CLI (Node 24: `process.execPath` under `npm test` / `npx node`) to completion. */
export async function runCli(
  t: TestContext,
  args: string[],
  stateDir: string,
  extraEnv: Record<string, string> = {},
  entry = CLI_MAIN,
): Promise<CliResult> {
  const child = spawn(process.execPath, [entry, ...args], {
    env: childEnv(stateDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), CHILD_DEADLINE_MS);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const { code, signal } = await exited(child);
  await closed;
  clearTimeout(deadline);
  return { code, signal, stdout, stderr };
}

export type GatewayChild = {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves once the stream's output so far matches (event-driven, with a deadline). */
  output(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<string>;
};

/** Starts `clawgate gateway run …` and resolves once it prints its URL; killed after the test if still up. */
export async function startGatewayChild(
  t: TestContext,
  args: string[],
  stateDir: string,
  extraEnv: Record<string, string> = {},
): Promise<GatewayChild> {
  const child = spawn(process.execPath, [CLI_MAIN, 'gateway', 'run', ...args], {
    env: childEnv(stateDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });
  const text = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
  });

  let closed = false;
  child.once('close', () => {
    closed = true;
  });

  const output = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = CHILD_DEADLINE_MS) =>
    new Promise<string>((resolve, reject) => {
      const source = child[stream];
      const finish = (error?: Error) => {
        clearTimeout(timer);
        source?.off('data', onData);
        child.off('close', onClose);
        if (error) reject(error);
        else resolve(text[stream]);
      };
      // Registered after the collector above, so the text already holds the chunk when this runs.
      const onData = () => {
        if (pattern.test(text[stream])) finish();
      };
      // 'close' comes after the pipes drained, so output written just before exit is in by then.
      const onClose = () =>
        finish(
          pattern.test(text[stream])
            ? undefined
            : new Error(`exited before ${stream} matched ${pattern}; stderr: ${text.stderr}`),
        );
      const timer = setTimeout(
        () => finish(new Error(`${stream} did not match ${pattern} in ${timeoutMs} ms: ${text[stream]}`)),
        timeoutMs,
      );
      if (pattern.test(text[stream])) finish();
      else if (closed) onClose();
      else {
        source?.on('data', onData);
        child.once('close', onClose);
      }
    });

  const ready = await output('stdout', /clawgate ready: wss?:\/\/\S+\n/);
  const url = /clawgate ready: (wss?:\/\/\S+)/.exec(ready)?.[1] as string;
  return { child, url, stdout: () => text.stdout, stderr: () => text.stderr, output };
}
