import { ConfigError } from '../../config/config-error.ts';
import type { AgentConfig, GatewayConfig } from '../../config/types.ts';

/** Model steps one turn may take when `tools.maxSteps` is not set: each step that calls tools is one. */
export const DEFAULT_MAX_TOOL_STEPS = 32;
/** The built-in tools' defaults (OpenClaw's where it has the key). */
export const EXEC_DEFAULT_TIMEOUT_SECONDS = 1800;
export const EXEC_DEFAULT_BACKGROUND_MS = 10_000;
export const EXEC_DEFAULT_CLEANUP_MS = 1_800_000;
export const WEB_FETCH_DEFAULTS = {
  maxChars: 20_000,
  maxCharsCap: 20_000,
  maxResponseBytes: 750_000,
  timeoutSeconds: 30,
  maxRedirects: 3,
} as const;
/** `maxResponseBytes` is clamped into this range, as OpenClaw clamps it. */
export const WEB_FETCH_RESPONSE_BYTES_RANGE = [32_000, 10_000_000] as const;

function agentEntry(config: GatewayConfig, agentId: string): AgentConfig | undefined {
  return config.agents.list.find((agent) => agent.id.toLowerCase() === agentId);
}

export function maxToolSteps(config: GatewayConfig): number {
  return config.tools?.maxSteps ?? DEFAULT_MAX_TOOL_STEPS;
}

/** `tools.fs.workspaceOnly`, the agent's override first; clawgate's default is true (OpenClaw's is false). */
export function fsWorkspaceOnly(config: GatewayConfig, agentId: string): boolean {
  return agentEntry(config, agentId)?.tools?.fs?.workspaceOnly ?? config.tools?.fs?.workspaceOnly ?? true;
}

export type ExecLimits = { timeoutSeconds: number; backgroundMs: number; cleanupMs: number };

export function execLimits(config: GatewayConfig, agentId: string): ExecLimits {
  const own = agentEntry(config, agentId)?.tools?.exec;
  const global = config.tools?.exec;
  return {
    timeoutSeconds: own?.timeoutSeconds ?? global?.timeoutSeconds ?? EXEC_DEFAULT_TIMEOUT_SECONDS,
    backgroundMs: own?.backgroundMs ?? global?.backgroundMs ?? EXEC_DEFAULT_BACKGROUND_MS,
    cleanupMs: own?.cleanupMs ?? global?.cleanupMs ?? EXEC_DEFAULT_CLEANUP_MS,
  };
}

export type WebFetchLimits = {
  enabled: boolean;
  maxChars: number;
  maxCharsCap: number;
  maxResponseBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  userAgent: string | undefined;
  allowPrivateNetwork: boolean;
  allowedHostnames: string[];
  blockedHostnames: string[];
  allowRfc2544BenchmarkRange: boolean;
  allowIpv6UniqueLocalRange: boolean;
};

export function webFetchLimits(config: GatewayConfig): WebFetchLimits {
  const fetch = config.tools?.web?.fetch ?? {};
  const ssrf = fetch.ssrfPolicy ?? {};
  const maxCharsCap = fetch.maxCharsCap ?? WEB_FETCH_DEFAULTS.maxCharsCap;
  const [minBytes, maxBytes] = WEB_FETCH_RESPONSE_BYTES_RANGE;
  return {
    enabled: fetch.enabled ?? true,
    maxChars: Math.min(fetch.maxChars ?? WEB_FETCH_DEFAULTS.maxChars, maxCharsCap),
    maxCharsCap,
    maxResponseBytes: Math.min(
      Math.max(fetch.maxResponseBytes ?? WEB_FETCH_DEFAULTS.maxResponseBytes, minBytes),
      maxBytes,
    ),
    timeoutMs: (fetch.timeoutSeconds ?? WEB_FETCH_DEFAULTS.timeoutSeconds) * 1000,
    maxRedirects: fetch.maxRedirects ?? WEB_FETCH_DEFAULTS.maxRedirects,
    userAgent: fetch.userAgent,
    allowPrivateNetwork: ssrf.dangerouslyAllowPrivateNetwork === true,
    allowedHostnames: (ssrf.allowedHostnames ?? []).map(normalizeHost),
    blockedHostnames: (ssrf.blockedHostnames ?? []).map(normalizeHost),
    allowRfc2544BenchmarkRange: ssrf.allowRfc2544BenchmarkRange === true,
    allowIpv6UniqueLocalRange: ssrf.allowIpv6UniqueLocalRange === true,
  };
}

/** Lower case, one trailing dot dropped: how OpenClaw compares host names. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** Load-time checks the schema cannot express; each error names the key. */
export function checkToolsConfig(config: GatewayConfig): void {
  const scopes: [string, { allow?: string[]; alsoAllow?: string[] } | undefined][] = [
    ['tools', config.tools],
    ...config.agents.list.map((agent, i): [string, AgentConfig['tools']] => [
      `agents.list[${i}].tools`,
      agent.tools,
    ]),
  ];
  for (const [path, policy] of scopes) {
    if (policy?.allow && policy.alsoAllow) {
      throw new ConfigError(
        `${path}.allow and ${path}.alsoAllow cannot both be set: merge alsoAllow into allow, or drop allow and use profile + alsoAllow`,
      );
    }
  }
}
