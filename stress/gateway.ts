/**
 * A gateway child started from the built bundle (`bin/clawgate.mjs`) on a reserved loopback port, with its own
 * state dir and config file. Children and temp dirs are registered with bench/probes.ts, so `cleanupAll` removes
 * them however the run ends.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS, settle } from '../bench/chat-turns.ts';
import { BIN, gatewayNodeFlags } from '../bench/gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  type RunningChild,
  readRss,
  reservePort,
  spawnNode,
  stopChild,
} from '../bench/probes.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const START_DEADLINE_MS = 15_000;

export type StressGateway = {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  running: RunningChild;
  stateDir: string;
  configPath: string;
  alive(): boolean;
  rssKiB(): number;
  /** A forced full GC (the preload's SIGUSR2), then an idle second: memory as it settles. */
  settle(): Promise<void>;
  /** Lines of the gateway's JSON-lines log whose message matches `pattern`. */
  logLines(pattern: RegExp): string[];
  /** SIGTERM, then SIGKILL after a grace. */
  stop(): Promise<void>;
  /** SIGKILL, resolving once the child is gone. */
  kill(): Promise<void>;
};

export type StartOptions = {
  /** Written to `<stateDir>/clawgate.json` (JSON) before start unless `keepConfig`. */
  config?: Record<string, unknown>;
  /** Passed as `--token`; omit to take the token from the config file (needed for rotation). */
  token?: string;
  /** Reuse this state dir (crash safety restarts on the same one). */
  stateDir?: string;
  keepConfig?: boolean;
  /** Names the gateway's CPU profile under `--profile` (the scenario). */
  label: string;
  /** Run the gateway on these CPUs only (a `taskset -c` list). */
  cpus?: string;
};

export function writeConfig(path: string, config: Record<string, unknown>): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

export async function startGateway(options: StartOptions): Promise<StressGateway> {
  const stateDir = options.stateDir ?? makeTempDir('clawgate-stress-');
  const configPath = join(stateDir, 'clawgate.json');
  if (!options.keepConfig) writeConfig(configPath, options.config ?? {});
  const port = await reservePort();
  const args = [
    ...NODE_FLAGS,
    ...gatewayNodeFlags(options.label),
    BIN,
    'gateway',
    'run',
    '--port',
    String(port),
  ];
  if (options.token !== undefined) args.push('--token', options.token);
  const running = spawnNode(args, cleanEnv({ CLAWGATE_STATE_DIR: stateDir }), REPO_ROOT, {
    cpus: options.cpus,
  });
  const { url } = await running.readyLine;
  await pollUntilOk(running, port, '/readyz', performance.now() + START_DEADLINE_MS);
  const child = running.child;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port,
    pid: child.pid ?? -1,
    child,
    running,
    stateDir,
    configPath,
    alive,
    rssKiB: () => readRss(child.pid ?? -1).rssKiB,
    settle: () => settle(running),
    logLines: (pattern) => {
      let text = '';
      try {
        text = readFileSync(join(stateDir, 'logs', 'gateway.log'), 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').filter((line) => pattern.test(line));
    },
    stop: () => stopChild(child),
    async kill() {
      if (!alive()) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A quick process-level check that the child is still there, for scenarios that must not crash it. */
export function exitDescription(gw: StressGateway): string {
  return `exit ${gw.child.exitCode ?? gw.child.signalCode}; stderr tail:\n${gw.running.stderr().slice(-2_000)}`;
}
