import { resolveSecretRef } from '../../config/secret-ref.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { mcpSecrets } from '../mcp/mcp-env.ts';

/** Environment variables that carry the gateway's own credentials: never passed to a command `exec` runs. */
export const GATEWAY_SECRET_ENV = [
  'CLAWGATE_GATEWAY_TOKEN',
  'CLAWGATE_GATEWAY_PASSWORD',
  'OPENCLAW_GATEWAY_TOKEN',
  'OPENCLAW_GATEWAY_PASSWORD',
];

/**
 * The secrets tool output must never carry: the shared gateway token and password in force, the hooks token and
 * every provider API key and MCP server env/header value the config resolves (an unresolvable reference is skipped: it cannot leak).
 */
export function gatewaySecrets(
  config: GatewayConfig,
  auth: { token?: string; password?: string },
  env: NodeJS.ProcessEnv,
): string[] {
  const secrets = [auth.token, auth.password, config.hooks.token];
  for (const [id, provider] of Object.entries(config.models.providers)) {
    if (!provider.apiKey) continue;
    try {
      secrets.push(resolveSecretRef(provider.apiKey, `models.providers.${id}.apiKey`, env));
    } catch {
      // Unset: nothing to redact.
    }
  }
  for (const name of GATEWAY_SECRET_ENV) secrets.push(env[name]);
  secrets.push(...mcpSecrets(config.mcp.servers, env));
  return secrets.filter((secret): secret is string => typeof secret === 'string' && secret !== '');
}

/** The env names the config's `env:` references read (provider keys, MCP env and headers): kept from `exec`'s environment too. */
export function referencedEnvNames(config: GatewayConfig): string[] {
  const names: string[] = [];
  for (const provider of Object.values(config.models.providers)) {
    if (provider.apiKey?.startsWith('env:')) names.push(provider.apiKey.slice(4));
  }
  for (const server of Object.values(config.mcp.servers)) {
    for (const value of [...Object.values(server.env ?? {}), ...Object.values(server.headers ?? {})]) {
      if (value.startsWith('env:')) names.push(value.slice(4));
    }
  }
  return names;
}
