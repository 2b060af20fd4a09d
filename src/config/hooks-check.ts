import { listAgents } from '../agents/registry.ts';
import { ConfigError } from './config-error.ts';
import { isPlaceholderSecret, resolveSecretRef } from './secret-ref.ts';
import type { GatewayConfig, HooksConfig } from './types.ts';

/** A value holding a `{{…}}` expression is a template (OpenClaw's test for "templated" session keys). */
export const TEMPLATE_EXPRESSION = /\{\{\s*[^}]+\s*\}\}/;

/** OpenClaw's normalization: a leading slash added, trailing ones removed; `/` would swallow every route. */
export function normalizeHooksPath(raw: string): string {
  const trimmed = raw.trim();
  const withSlash = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  const path = withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
  if (path === '/' || path === '') {
    throw new ConfigError('hooks.path may not be "/": give the webhooks a path of their own, e.g. "/hooks"');
  }
  if (/[?#\s]/.test(path)) {
    throw new ConfigError(`hooks.path "${raw}" must be a plain path (no query, fragment or whitespace)`);
  }
  return path;
}

/** `hooks.allowedSessionKeyPrefixes`, lowercased without blanks; undefined when it restricts nothing. */
export function sessionKeyPrefixes(hooks: HooksConfig): string[] | undefined {
  const prefixes = (hooks.allowedSessionKeyPrefixes ?? [])
    .map((prefix) => prefix.trim().toLowerCase())
    .filter((prefix) => prefix !== '');
  return prefixes.length > 0 ? [...new Set(prefixes)] : undefined;
}

export function hasSessionKeyPrefix(key: string, prefixes: readonly string[]): boolean {
  const lowered = key.trim().toLowerCase();
  return lowered !== '' && prefixes.some((prefix) => lowered.startsWith(prefix));
}

/**
 * The webhook settings, checked once per load (start-up and every reload), so a request never meets a policy it
 * cannot apply. Only an enabled section is held to them: a disabled one may be half written.
 */
export function checkHooks(config: GatewayConfig, env: NodeJS.ProcessEnv): void {
  const hooks = config.hooks;
  hooks.path = normalizeHooksPath(hooks.path);
  if (!hooks.enabled) return;
  if (hooks.token === undefined || hooks.token.trim() === '') {
    throw new ConfigError(
      'hooks.token: required when hooks.enabled is true: set a long random secret of its own (not the gateway token)',
    );
  }
  hooks.token = resolveSecretRef(hooks.token, 'hooks.token', env);
  if (isPlaceholderSecret(hooks.token)) {
    throw new ConfigError(
      `hooks.token is blank or a placeholder ("${hooks.token.trim()}"): set a long random secret`,
    );
  }
  checkHookTokenReuse(config);
  const prefixes = sessionKeyPrefixes(hooks);
  if (prefixes && hooks.defaultSessionKey && !hasSessionKeyPrefix(hooks.defaultSessionKey, prefixes)) {
    throw new ConfigError(
      `hooks.defaultSessionKey "${hooks.defaultSessionKey}" must start with one of hooks.allowedSessionKeyPrefixes (${prefixes.join(', ')})`,
    );
  }
  if (prefixes && !hooks.defaultSessionKey && !hasSessionKeyPrefix('hook:', prefixes)) {
    throw new ConfigError(
      `hooks.allowedSessionKeyPrefixes must include "hook:" while hooks.defaultSessionKey is unset: a run that names no session gets a generated hook:<uuid> key`,
    );
  }
  const agents = listAgents(config).map((agent) => agent.id);
  hooks.mappings.forEach((mapping, index) => {
    const at = `hooks.mappings[${index}]`;
    if (mapping.agentId !== undefined && !agents.includes(mapping.agentId.toLowerCase())) {
      throw new ConfigError(
        `${at}.agentId "${mapping.agentId}" is not a configured agent (agents: ${agents.join(', ')}): add it to agents.list or fix the mapping`,
      );
    }
    if (mapping.sessionKey !== undefined && TEMPLATE_EXPRESSION.test(mapping.sessionKey) && !prefixes) {
      throw new ConfigError(
        `${at}.sessionKey is a template: set hooks.allowedSessionKeyPrefixes, so a payload cannot pick any session`,
      );
    }
    const agentAction = (mapping.action ?? 'agent') === 'agent';
    if (
      agentAction &&
      mapping.sessionMode === 'persistent' &&
      !mapping.sessionKey &&
      !hooks.defaultSessionKey
    ) {
      throw new ConfigError(
        `${at}.sessionKey: required when sessionMode is "persistent" (or set hooks.defaultSessionKey)`,
      );
    }
  });
}

/**
 * A webhook token equal to the gateway's shared secret would hand every webhook sender operator access (OpenClaw
 * only warns). Called again once a generated gateway token is known, which is after the file is built.
 */
export function checkHookTokenReuse(config: GatewayConfig): void {
  const { hooks } = config;
  const { auth } = config.gateway;
  if (!hooks.enabled || hooks.token === undefined) return;
  const reused =
    hooks.token === auth.token ? 'token' : hooks.token === auth.password ? 'password' : undefined;
  if (reused) {
    throw new ConfigError(
      `hooks.token must not equal the gateway ${reused}: a webhook sender would hold operator access; set hooks.token to a separate long random secret`,
    );
  }
}
