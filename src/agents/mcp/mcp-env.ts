import type { McpServerConfig } from '../../config/mcp-types.ts';
import { resolveSecretRef } from '../../config/secret-ref.ts';

/**
 * What a server definition's environment and headers resolve to: `env:`/`file:` references read, and environment
 * keys that would let the definition take over the interpreter or the dynamic linker of the child dropped (as
 * OpenClaw drops them), with the names of those dropped.
 */
export type ResolvedSecrets = {
  env: Record<string, string>;
  headers: Record<string, string>;
  dropped: string[];
};

/** Interpreter start-up hooks and loader controls: an `env` block never sets these for a stdio server. */
const BLOCKED = new Set([
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_REPL_EXTERNAL_MODULE',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'BASH_ENV',
  'ENV',
  'BASHOPTS',
  'SHELLOPTS',
  'KSH_ENV',
  'ZDOTDIR',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
]);
const BLOCKED_PREFIXES = ['LD_', 'DYLD_', 'BASH_FUNC_'];

export function isBlockedEnvKey(name: string): boolean {
  const upper = name.toUpperCase();
  return BLOCKED.has(upper) || BLOCKED_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

export function resolveServerSecrets(
  name: string,
  server: McpServerConfig,
  env: NodeJS.ProcessEnv,
): ResolvedSecrets {
  const out: ResolvedSecrets = { env: {}, headers: {}, dropped: [] };
  for (const [key, value] of Object.entries(server.env ?? {})) {
    if (isBlockedEnvKey(key)) {
      out.dropped.push(key);
      continue;
    }
    out.env[key] = resolveSecretRef(value, `mcp.servers.${name}.env.${key}`, env);
  }
  for (const [key, value] of Object.entries(server.headers ?? {})) {
    out.headers[key] = resolveSecretRef(value, `mcp.servers.${name}.headers.${key}`, env);
  }
  return out;
}

/** Every MCP env and header value the config resolves: what no tool result or log line may carry. */
export function mcpSecrets(servers: Record<string, McpServerConfig>, env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const [name, server] of Object.entries(servers)) {
    for (const [field, values] of [
      ['env', server.env],
      ['headers', server.headers],
    ] as const) {
      for (const [key, value] of Object.entries(values ?? {})) {
        try {
          secrets.push(resolveSecretRef(value, `mcp.servers.${name}.${field}.${key}`, env));
        } catch {
          // Unresolvable: nothing to leak.
        }
      }
    }
  }
  return secrets.filter((secret) => secret !== '');
}
