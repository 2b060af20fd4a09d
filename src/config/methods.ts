import JSON5 from 'json5';
import { GatewayError } from '../protocol/gateway-error.ts';
import { loadSchemas } from '../protocol/validators.ts';
import { ADMIN, READ } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import { CHANNEL_SECRET_KEYS } from './channels-check.ts';
import { ConfigError } from './config-error.ts';
import { changedPaths, leafPaths } from './diff.ts';
import type { ConfigChange } from './reload.ts';
import { lookupSchema, servedSchema, uiHints } from './schema-view.ts';

/**
 * Stands in for a secret in everything config methods return; sending it back keeps the stored secret. OpenClaw's
 * marker, which its Control UI recognises (it shows the field as set and sends the marker back unchanged).
 */
export const REDACTED = '__OPENCLAW_REDACTED__';
/** `config.patch` may leave out `baseHash` when it changes only these (per-operator UI preferences, last writer wins). */
const HASHLESS_PATCH_PREFIXES = ['ui.prefs'];
const SECRET_PATHS = [
  ['gateway', 'auth', 'token'],
  ['gateway', 'auth', 'password'],
  ['hooks', 'token'],
] as const;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function getPath(obj: Obj, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = isObj(cur) ? cur[key] : undefined;
  return cur;
}

function setPath(obj: Obj, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isObj(cur[key])) return;
    cur = cur[key] as Obj;
  }
  cur[path[path.length - 1] as string] = value;
}

const isSecretRef = (value: string) => value.startsWith('env:') || value.startsWith('file:');

/** Where secrets sit in a config object: the shared secrets, the webhook token and every provider's apiKey. */
function secretPaths(obj: Obj): string[][] {
  const paths: string[][] = SECRET_PATHS.map((path) => [...path]);
  const providers = getPath(obj, ['models', 'providers']);
  if (isObj(providers))
    for (const id of Object.keys(providers)) paths.push(['models', 'providers', id, 'apiKey']);
  // Channel credentials, at a channel's root and in each of its accounts.
  const channels = getPath(obj, ['channels']);
  if (isObj(channels)) {
    for (const [id, block] of Object.entries(channels)) {
      if (!isObj(block)) continue;
      for (const key of CHANNEL_SECRET_KEYS) paths.push(['channels', id, key]);
      if (isObj(block.accounts))
        for (const account of Object.keys(block.accounts))
          for (const key of CHANNEL_SECRET_KEYS) paths.push(['channels', id, 'accounts', account, key]);
    }
    // TELEGRAM_BOT_TOKEN as read at load (channels/telegram/telegram-secrets.ts).
    paths.push(['channels', 'telegram', 'envBotToken']);
  }
  // An MCP server's environment and headers carry its credentials: every value is treated as one.
  const servers = getPath(obj, ['mcp', 'servers']);
  if (isObj(servers)) {
    for (const [name, server] of Object.entries(servers)) {
      if (!isObj(server)) continue;
      for (const field of ['env', 'headers'])
        if (isObj(server[field]))
          for (const entry of Object.keys(server[field])) paths.push(['mcp', 'servers', name, field, entry]);
    }
  }
  return paths;
}

function redact<T>(value: T): T {
  const copy = structuredClone(value) as Obj;
  for (const path of secretPaths(copy)) {
    const secret = getPath(copy, path);
    if (typeof secret === 'string' && !isSecretRef(secret)) setPath(copy, path, REDACTED);
  }
  return copy as T;
}

function redactText(text: string, file: Obj): string {
  let out = text;
  for (const path of secretPaths(file)) {
    const secret = getPath(file, path);
    if (typeof secret === 'string' && secret.length > 0 && !isSecretRef(secret)) {
      out = out.split(secret).join(REDACTED);
    }
  }
  return out;
}

/** A client that echoes a redacted secret back means "keep it". */
function restoreSecrets(next: Obj, current: Obj): void {
  for (const path of secretPaths(next)) {
    if (getPath(next, path) === REDACTED) setPath(next, path, getPath(current, path));
  }
}

/** RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const result: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function parseRaw(method: string, raw: string): Obj {
  let parsed: unknown;
  try {
    parsed = JSON5.parse(raw);
  } catch (error) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `invalid ${method} params: raw is not valid JSON5 (${(error as Error).message})`,
    );
  }
  if (!isObj(parsed))
    throw new GatewayError('INVALID_REQUEST', `invalid ${method} params: raw must be a JSON5 object`);
  return parsed;
}

function checkBaseHash(
  ctx: HandlerContext,
  method: string,
  exists: boolean,
  baseHash: string | undefined,
): void {
  if (!exists) return;
  if (baseHash === undefined) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `${method} needs baseHash: read it from config.get (hash) and send it back`,
      {
        details: { code: 'CONFIG_BASE_HASH_MISMATCH' },
      },
    );
  }
  if (baseHash !== ctx.configState.hash) {
    throw new GatewayError(
      'INVALID_REQUEST',
      'config changed since it was read: call config.get again and retry',
      {
        details: { code: 'CONFIG_BASE_HASH_MISMATCH', expected: ctx.configState.hash },
      },
    );
  }
}

type WriteMethod = 'config.set' | 'config.patch' | 'config.apply';

/** Validates, writes and applies through the live-config path (the same one a file edit takes). */
async function writeConfig(ctx: HandlerContext, method: WriteMethod, next: Obj) {
  restoreSecrets(next, ctx.configState.file);
  const path = ctx.paths.configPath;
  if (changedPaths(ctx.configState.file, next).length === 0)
    return { ok: true, noop: true, changedPaths: [], path, config: redact(next) };
  let change: ConfigChange;
  try {
    change = await ctx.config.write(next, method);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new GatewayError('INVALID_REQUEST', `invalid ${method}: ${error.message}`, {
        details: { code: 'CONFIG_INVALID' },
      });
    }
    throw error;
  }
  return {
    ok: true,
    path,
    hash: ctx.configState.hash,
    config: redact(next),
    changedPaths: change.changedPaths,
    restartRequired: change.restartRequired,
  };
}

/** The config file's schema as plain JSON (TypeBox loads lazily, as for validation). */
async function configSchema() {
  const { ConfigFileSchema } = await loadSchemas();
  return JSON.parse(JSON.stringify(ConfigFileSchema));
}

export const configMethods = defineMethods({
  'config.get': {
    access: READ,
    handler: (_params, { gateway }) => {
      const { file, hash, config, exists, text } = gateway.configState;
      const raw = exists ? redactText(text, file) : null;
      const source = redact(file);
      const effective = redact(config);
      return {
        path: gateway.paths.configPath,
        includedPaths: [],
        exists,
        raw,
        parsed: source,
        // What the file says (the Control UI edits this and saves it back) and what is in force with defaults.
        sourceConfig: source,
        resolved: source,
        valid: true,
        runtimeConfig: effective,
        config: effective,
        hash,
        issues: [],
        warnings: [],
        legacyIssues: [],
        configRevisionHash: hash,
        appliedConfigHash: hash,
        pendingRestart: gateway.config.pendingRestart(),
      };
    },
  },

  'config.schema': {
    access: READ,
    handler: async (_params, { gateway }) => {
      const schema = await configSchema();
      return {
        schema: servedSchema(schema),
        uiHints: uiHints(schema),
        version: gateway.version,
        generatedAt: new Date(gateway.startedAt).toISOString(),
      };
    },
  },

  'config.schema.lookup': {
    access: READ,
    handler: async (params) => lookupSchema(await configSchema(), params.path),
  },

  'config.set': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      checkBaseHash(gateway, 'config.set', gateway.configState.exists, params.baseHash);
      return writeConfig(gateway, 'config.set', parseRaw('config.set', params.raw));
    },
  },

  /** Replaces the whole file (OpenClaw's config.apply); `baseHash` is required once a file exists. */
  'config.apply': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      checkBaseHash(gateway, 'config.apply', gateway.configState.exists, params.baseHash);
      return writeConfig(gateway, 'config.apply', parseRaw('config.apply', params.raw));
    },
  },

  'config.patch': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const patch = parseRaw('config.patch', params.raw);
      const next = mergePatch(gateway.configState.file, patch) as Obj;
      restoreSecrets(next, gateway.configState.file);
      const changed = leafPaths(gateway.configState.file, next);
      const hashless = changed.filter(
        (path) => !HASHLESS_PATCH_PREFIXES.some((p) => path === p || path.startsWith(`${p}.`)),
      );
      if (params.baseHash === undefined && hashless.length > 0 && gateway.configState.exists) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `config.patch needs baseHash for ${hashless.join(', ')}: read it from config.get (hash) and send it back`,
          { details: { code: 'CONFIG_BASE_HASH_MISMATCH' } },
        );
      }
      if (params.baseHash !== undefined && changed.length > 0) {
        checkBaseHash(gateway, 'config.patch', gateway.configState.exists, params.baseHash);
      }
      return writeConfig(gateway, 'config.patch', next);
    },
  },
});
