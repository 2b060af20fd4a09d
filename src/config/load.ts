import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import JSON5 from 'json5';
import { listAgents } from '../agents/registry.ts';
import { checkToolsConfig } from '../agents/tools/tools-config.ts';
import { resolveTelegramSecrets } from '../channels/telegram/telegram-secrets.ts';
import { compileSchema, describeIssues, loadSchemas } from '../protocol/validators.ts';
import { checkChannels } from './channels-check.ts';
import { ConfigError } from './config-error.ts';
import { defaultConfig } from './defaults.ts';
import { parseDuration } from './duration.ts';
import { resolveExecPolicy } from './exec-policy-check.ts';
import { checkHooks } from './hooks-check.ts';
import { checkMcpServers } from './mcp-check.ts';
import { resolveStatePaths, type StatePaths } from './paths.ts';
import { isPlaceholderSecret, resolveSecretRef } from './secret-ref.ts';
import {
  AUTH_MODES,
  type AuthMode,
  type GatewayConfig,
  type HeartbeatConfig,
  type Retention,
} from './types.ts';

/** What the command line may set; each beats the config file and the environment. */
export type ConfigOverrides = {
  port?: number;
  bind?: string;
  authMode?: AuthMode;
  token?: string;
  password?: string;
};

export type LoadedConfig = {
  config: GatewayConfig;
  paths: StatePaths;
  /** The file's contents as written (before defaults), `{}` when there is no file. */
  file: Record<string, unknown>;
  fileExists: boolean;
  /** The file's text ('' when absent). */
  text: string;
  /** SHA-256 of the file's bytes, OpenClaw's `baseHash` for optimistic `config.set`. */
  hash: string;
};

export type LoadOptions = { env: NodeJS.ProcessEnv; configFlag?: string; overrides?: ConfigOverrides };

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const paths = resolveStatePaths(options.env, options.configFlag);
  const { text, exists } = readConfigText(paths.configPath);
  const file = parseConfigText(text, paths.configPath);
  // No file means the built-in defaults, valid by construction: skip loading the schema layer at start-up.
  if (Object.keys(file).length > 0) await validateConfigFile(file, paths.configPath);
  const config = buildConfig(file, options.env, options.overrides ?? {});
  return { config, paths, file, fileExists: exists, text, hash: hashConfigText(text) };
}

export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readConfigText(path: string): { text: string; exists: boolean } {
  try {
    return { text: readFileSync(path, 'utf8'), exists: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: '', exists: false };
    throw new ConfigError(
      `cannot read config file ${path} (${code}): fix its permissions, or point --config / CLAWGATE_CONFIG_PATH at a readable file`,
    );
  }
}

export function parseConfigText(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON5: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold one JSON5 object`);
  }
  return parsed as Record<string, unknown>;
}

export async function validateConfigFile(file: Record<string, unknown>, path: string): Promise<void> {
  const schemas = await loadSchemas();
  const validator = compileSchema(schemas, schemas.ConfigFileSchema);
  if (validator.Check(file)) return;
  const problems = await nameOpenClawKeys(describeIssues(validator, file));
  throw new ConfigError(
    `config file ${path} is invalid:\n  - ${problems.join('\n  - ')}\nSee docs/configuration.md for every key.`,
  );
}

const UNKNOWN_KEY = 'unknown key ';

/**
 * An unknown key that is one of OpenClaw's (an OpenClaw user's file, or the Control UI writing `tools`, `mcp`, …)
 * is said to be unsupported, not a typo. The key table loads only when there is an unknown key to name.
 */
async function nameOpenClawKeys(problems: string[]): Promise<string[]> {
  if (!problems.some((line) => line.startsWith(UNKNOWN_KEY))) return problems;
  const { OPENCLAW_CONFIG_KEYS } = await import('./openclaw-keys.ts');
  const known = new Set(OPENCLAW_CONFIG_KEYS.split('\n'));
  return problems.map((line) => {
    if (!line.startsWith(UNKNOWN_KEY)) return line;
    const path = line.slice(UNKNOWN_KEY.length);
    // Array items have no index in OpenClaw's paths.
    const bare = path.replace(/\.\d+(?=\.|$)|\[\d+\]/g, '');
    return known.has(bare) ? `${path} is an OpenClaw setting that clawgate does not support yet` : line;
  });
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function mergeInto(target: Obj, source: Obj): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === '$schema' || value === undefined) continue;
    if (isObj(value) && isObj(target[key])) mergeInto(target[key] as Obj, value);
    else target[key] = structuredClone(value);
  }
}

function modelRef(value: unknown): { primary?: string; fallbacks?: string[] } {
  if (typeof value === 'string') return { primary: value };
  return isObj(value) ? (value as { primary?: string; fallbacks?: string[] }) : {};
}

/** Lays the (already validated) file over the defaults, then env, then flags. */
export function buildConfig(file: Obj, env: NodeJS.ProcessEnv, overrides: ConfigOverrides): GatewayConfig {
  const config = defaultConfig();
  const { agents: fileAgents, ...rest } = file;
  mergeInto(config as unknown as Obj, rest);
  if (isObj(fileAgents)) {
    const defaults = isObj(fileAgents.defaults) ? fileAgents.defaults : {};
    const model = modelRef(defaults.model);
    config.agents.defaults = {
      model: model.primary ?? config.agents.defaults.model,
      fallbacks: model.fallbacks ?? [],
      workspace: defaults.workspace as string | undefined,
      systemPrompt: defaults.systemPrompt as string | undefined,
      ...(isObj(defaults.heartbeat)
        ? { heartbeat: structuredClone(defaults.heartbeat) as HeartbeatConfig }
        : {}),
    };
    if (Array.isArray(fileAgents.list)) {
      config.agents.list = (fileAgents.list as Obj[]).map((agent) => {
        const { model: agentModel, ...agentRest } = agent;
        const ref = modelRef(agentModel);
        return {
          ...(structuredClone(agentRest) as GatewayConfig['agents']['list'][number]),
          model: ref.primary,
          ...(ref.fallbacks !== undefined ? { fallbacks: ref.fallbacks } : {}),
        };
      });
    }
  }
  // For the port alone the environment beats the file, as OpenClaw orders it (--port > env > config).
  const envPort = env.CLAWGATE_GATEWAY_PORT ?? env.OPENCLAW_GATEWAY_PORT;
  if (envPort !== undefined) {
    const name = env.CLAWGATE_GATEWAY_PORT !== undefined ? 'CLAWGATE_GATEWAY_PORT' : 'OPENCLAW_GATEWAY_PORT';
    config.gateway.port = parsePort(envPort, name);
  }
  if (overrides.port !== undefined) config.gateway.port = overrides.port;
  if (overrides.bind !== undefined) config.gateway.bind = overrides.bind;
  const auth = resolveAuth(config.gateway.auth, env, overrides);
  config.gateway.auth.mode = auth.mode;
  config.gateway.auth.token = auth.token;
  config.gateway.auth.password = auth.password;
  parseRetentions(config);
  checkSecurity(config);
  checkBindings(config);
  checkHeartbeats(config);
  checkHooks(config, env);
  resolveTelegramSecrets(config, env);
  checkChannels(config, env);
  resolveExecPolicy(config, file);
  checkToolsConfig(config);
  checkMcpServers(config);
  return config;
}

/** Durations are checked once here, so the scheduler never meets one it cannot read. */
function checkHeartbeats(config: GatewayConfig): void {
  const entries: [string, HeartbeatConfig | undefined][] = [
    ['agents.defaults.heartbeat', config.agents.defaults.heartbeat],
    ...config.agents.list.map((agent, i): [string, HeartbeatConfig | undefined] => [
      `agents.list[${i}].heartbeat`,
      agent.heartbeat,
    ]),
  ];
  for (const [path, heartbeat] of entries) {
    if (heartbeat?.every !== undefined && parseDuration(heartbeat.every) === undefined) {
      throw new ConfigError(
        `${path}.every: "${heartbeat.every}" is not a duration (e.g. "30m", "1h", "0m" to turn it off)`,
      );
    }
    const hours = heartbeat?.activeHours;
    if (hours?.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: hours.timezone });
      } catch {
        throw new ConfigError(`${path}.activeHours.timezone: "${hours.timezone}" is not an IANA time zone`);
      }
    }
  }
}

/** Duration keys arrive as written (`"30d"`, ms, false); the gateway only ever reads them as ms, parsed here. */
function parseRetentions(config: GatewayConfig): void {
  const { maintenance } = config.gateway;
  maintenance.runRetention = retention(maintenance.runRetention, 'gateway.maintenance.runRetention');
  maintenance.logRetention = retention(maintenance.logRetention, 'gateway.maintenance.logRetention');
  maintenance.cronRunRetention = retention(
    maintenance.cronRunRetention,
    'gateway.maintenance.cronRunRetention',
  );
  maintenance.taskRetention = retention(maintenance.taskRetention, 'gateway.maintenance.taskRetention');
  const session = config.session.maintenance;
  session.resetArchiveRetention = retention(
    session.resetArchiveRetention,
    'session.maintenance.resetArchiveRetention',
  );
}

function retention(value: unknown, key: string): Retention {
  if (value === false) return false;
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    throw new ConfigError(
      `${key} must be a duration such as "30d", "12h" or "1h30m", milliseconds, or false`,
    );
  }
  return ms === 0 ? false : ms;
}

export function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${name} must be a port number 0-65535, got "${value}"`);
  }
  return port;
}

export type ResolvedAuth = { mode: AuthMode; token?: string; password?: string };

/** Flags beat the config file, which beats the environment (protocol.md §5). Secret refs are resolved here. */
export function resolveAuth(
  fileAuth: { mode?: AuthMode; token?: string; password?: string },
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides,
): ResolvedAuth {
  const mode = overrides.authMode ?? fileAuth.mode ?? 'token';
  if (!AUTH_MODES.includes(mode))
    throw new ConfigError(`gateway.auth.mode must be one of ${AUTH_MODES.join(', ')}`);
  const token = pickSecret(
    overrides.token,
    '--token',
    fileAuth.token,
    'gateway.auth.token',
    env.CLAWGATE_GATEWAY_TOKEN ?? env.OPENCLAW_GATEWAY_TOKEN,
    env.CLAWGATE_GATEWAY_TOKEN !== undefined ? 'CLAWGATE_GATEWAY_TOKEN' : 'OPENCLAW_GATEWAY_TOKEN',
    env,
  );
  const password = pickSecret(
    overrides.password,
    '--password',
    fileAuth.password,
    'gateway.auth.password',
    env.CLAWGATE_GATEWAY_PASSWORD ?? env.OPENCLAW_GATEWAY_PASSWORD,
    env.CLAWGATE_GATEWAY_PASSWORD !== undefined ? 'CLAWGATE_GATEWAY_PASSWORD' : 'OPENCLAW_GATEWAY_PASSWORD',
    env,
  );
  if (mode === 'password' && password === undefined) {
    throw new ConfigError(
      'gateway.auth.mode is "password" but no password is set: pass --password, set gateway.auth.password, or CLAWGATE_GATEWAY_PASSWORD',
    );
  }
  return { mode, token, password };
}

function pickSecret(
  flag: string | undefined,
  flagName: string,
  fileValue: string | undefined,
  fileKey: string,
  envValue: string | undefined,
  envName: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const [value, name] =
    flag !== undefined
      ? [flag, flagName]
      : fileValue !== undefined
        ? [resolveSecretRef(fileValue, fileKey, env), fileKey]
        : [envValue, envName];
  if (value === undefined) return undefined;
  if (isPlaceholderSecret(value)) {
    throw new ConfigError(
      `${name} is blank or a placeholder ("${value.trim()}"): set a real secret, at least 16 random characters`,
    );
  }
  return value;
}

/** A binding to an agent that does not exist is refused rather than silently routed elsewhere (OpenClaw's advice). */
function checkBindings(config: GatewayConfig): void {
  if (config.bindings.length === 0) return;
  const known = listAgents(config).map((agent) => agent.id);
  config.bindings.forEach((binding, index) => {
    if (known.includes(binding.agentId.toLowerCase())) return;
    throw new ConfigError(
      `bindings[${index}].agentId "${binding.agentId}" is not a configured agent (agents: ${known.join(', ')}): add it to agents.list or fix the binding`,
    );
  });
}

export const LOOPBACK_BINDS = new Set(['loopback', '127.0.0.1', '::1', 'localhost']);

function checkSecurity(config: GatewayConfig): void {
  const { bind, auth } = config.gateway;
  if (auth.mode === 'none' && !LOOPBACK_BINDS.has(bind)) {
    throw new ConfigError(
      `refusing to bind ${bind} without auth: use --auth token (or password) or keep --bind loopback`,
    );
  }
  if (auth.mode === 'trusted-proxy' && config.gateway.trustedProxies.length === 0) {
    throw new ConfigError(
      'gateway.auth.mode is "trusted-proxy" but gateway.trustedProxies lists no proxy address',
    );
  }
  // OpenClaw's rule: a public Funnel never runs on a bare token, which a link or a log line can leak.
  if (config.gateway.tailscale.mode === 'funnel' && auth.mode !== 'password') {
    throw new ConfigError(
      `gateway.tailscale.mode: funnel exposes the gateway publicly and needs gateway.auth.mode "password" (it is "${auth.mode}")`,
    );
  }
  const { tls } = config.gateway;
  if (tls.enabled) {
    // Half a pair is a mistake even with autoGenerate: generating would silently ignore the path given.
    if (tls.certPath && !tls.keyPath)
      throw new ConfigError('gateway.tls.keyPath: required when gateway.tls.certPath is set');
    if (tls.keyPath && !tls.certPath)
      throw new ConfigError('gateway.tls.certPath: required when gateway.tls.keyPath is set');
    if (!tls.certPath && !tls.autoGenerate)
      throw new ConfigError(
        'gateway.tls.certPath: gateway.tls.enabled needs gateway.tls.certPath and gateway.tls.keyPath, or gateway.tls.autoGenerate: true',
      );
  }
}
