import { existsSync, readFileSync, statSync } from 'node:fs';

/**
 * The environment's say over discovery. Each knob has clawgate's spelling and OpenClaw's (`OPENCLAW_…`), so an
 * OpenClaw service file or Docker image keeps meaning the same thing; clawgate's wins when both are set.
 */
export function discoveryEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = (env[`CLAWGATE_${name}`] ?? env[`OPENCLAW_${name}`])?.trim();
  return value ? value : undefined;
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);
const FALSY = new Set(['0', 'false', 'no', 'off']);

/** Container markers OpenClaw checks: Docker/Podman sentinel files, then PID 1's cgroup (containerd, k8s, LXC). */
const CONTAINER_SENTINELS = ['/.dockerenv', '/run/.containerenv', '/var/run/.containerenv'];
const CONTAINER_CGROUP =
  /\/docker\/|cri-containerd-[0-9a-f]|containerd\/[0-9a-f]{64}|\/kubepods[/.]|\blxc\b/u;

export function insideContainer(env: NodeJS.ProcessEnv): boolean {
  if (env.FLY_MACHINE_ID?.trim() && env.FLY_APP_NAME?.trim()) return true;
  if (CONTAINER_SENTINELS.some((path) => existsSync(path))) return true;
  try {
    return CONTAINER_CGROUP.test(readFileSync('/proc/1/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Why LAN multicast advertising is off whatever `discovery.mdns.mode` says, or undefined when it may run.
 * `…_DISABLE_BONJOUR=1` forces it off; `=0` is the explicit opt-in that overrides the container default (Docker
 * bridge networks rarely pass 224.0.0.251:5353, so advertising from inside one seldom reaches the LAN).
 */
export function lanAdvertisingBlocked(env: NodeJS.ProcessEnv): string | undefined {
  const raw = discoveryEnv(env, 'DISABLE_BONJOUR')?.toLowerCase();
  const name = env.CLAWGATE_DISABLE_BONJOUR?.trim() ? 'CLAWGATE_DISABLE_BONJOUR' : 'OPENCLAW_DISABLE_BONJOUR';
  if (raw !== undefined && TRUTHY.has(raw)) return `${name}=${raw}`;
  if (raw !== undefined && FALSY.has(raw)) return undefined;
  if (insideContainer(env))
    return `running inside a container (set ${name}=0 where multicast reaches the LAN)`;
  return undefined;
}

/** The CLI path `full` mode advertises: `…_CLI_PATH`, else the script this process runs, when it is a file. */
export function advertisedCliPath(env: NodeJS.ProcessEnv, argv: readonly string[]): string | undefined {
  const configured = discoveryEnv(env, 'CLI_PATH');
  if (configured) return configured;
  const script = argv[1];
  try {
    return script && statSync(script).isFile() ? script : undefined;
  } catch {
    return undefined;
  }
}
