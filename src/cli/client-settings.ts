import { DEFAULT_PORT } from '../config/defaults.ts';
import { readGatewayTokenFile } from '../config/gateway-token.ts';
import { parseConfigText, readConfigText } from '../config/load.ts';
import { resolveStatePaths } from '../config/paths.ts';
import { resolveSecretRef } from '../config/secret-ref.ts';

export type ClientFlags = { url?: string; token?: string; password?: string; config?: string };

/**
 * Where a CLI client connects and with what secret: flags, then env, then the local config file, then the
 * generated token file, so `clawgate call health` works on the same machine with no flags at all. Reads the
 * config file without validating it (no schema layer): only the port, TLS switch and secrets are needed.
 */
export function resolveClientSettings(flags: ClientFlags, env: NodeJS.ProcessEnv) {
  const paths = resolveStatePaths(env, flags.config);
  const file = parseConfigText(readConfigText(paths.configPath).text, paths.configPath);
  const gateway = (file.gateway ?? {}) as {
    port?: number;
    tls?: { enabled?: boolean };
    auth?: { token?: string; password?: string };
  };
  const port = Number(env.CLAWGATE_GATEWAY_PORT ?? env.OPENCLAW_GATEWAY_PORT ?? gateway.port ?? DEFAULT_PORT);
  const url = flags.url ?? `${gateway.tls?.enabled ? 'wss' : 'ws'}://127.0.0.1:${port}`;
  const fileToken = gateway.auth?.token
    ? resolveSecretRef(gateway.auth.token, 'gateway.auth.token', env)
    : undefined;
  const filePassword = gateway.auth?.password
    ? resolveSecretRef(gateway.auth.password, 'gateway.auth.password', env)
    : undefined;
  const password =
    flags.password ?? env.CLAWGATE_GATEWAY_PASSWORD ?? env.OPENCLAW_GATEWAY_PASSWORD ?? filePassword;
  const token =
    flags.token ??
    env.CLAWGATE_GATEWAY_TOKEN ??
    env.OPENCLAW_GATEWAY_TOKEN ??
    fileToken ??
    (password === undefined ? readGatewayTokenFile(paths.tokenPath) : undefined);
  return { url, token, password };
}
