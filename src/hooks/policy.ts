import { randomUUID } from 'node:crypto';
import { defaultAgentId, isKnownAgent } from '../agents/registry.ts';
import { hasSessionKeyPrefix, sessionKeyPrefixes } from '../config/hooks-check.ts';
import type { GatewayConfig, HooksConfig } from '../config/types.ts';
import { isolatedSessionKey } from '../cron/job-runner.ts';
import { checkSessionKey, mainSessionKey, parseSessionKey } from '../routing/session-key.ts';
import type { AgentAction, Parsed, SessionKeySource, WakeAction } from './actions.ts';

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/**
 * The agent a webhook runs: the one it names (which must be configured; a mapping's was checked at load), else
 * the default agent, and in either case one `hooks.allowedAgentIds` admits (absent or `*`: all, `[]`: none).
 */
export function targetAgent(config: GatewayConfig, requested: string | undefined): Parsed<string> {
  const agentId = requested?.trim().toLowerCase() ?? defaultAgentId(config);
  if (requested !== undefined && !isKnownAgent(config, agentId))
    return fail(`unknown agentId "${requested}"`);
  const allowed = config.hooks.allowedAgentIds;
  if (allowed && !allowed.includes('*') && !allowed.some((id) => id.trim().toLowerCase() === agentId)) {
    return fail('agentId is not allowed by hooks.allowedAgentIds');
  }
  return { ok: true, value: agentId };
}

function prefixProblem(key: string, hooks: HooksConfig): string | undefined {
  const prefixes = sessionKeyPrefixes(hooks);
  return prefixes && !hasSessionKeyPrefix(key, prefixes)
    ? `sessionKey must start with one of: ${prefixes.join(', ')}`
    : undefined;
}

/**
 * OpenClaw's logical session key: the requested one (a caller's only with `hooks.allowRequestSessionKey`), then
 * `hooks.defaultSessionKey`, then a fresh `hook:<uuid>`; each must pass the prefix allowlist. An agent-prefixed
 * key is re-scoped to the target agent, so a payload cannot reach another agent's sessions through it.
 */
export function logicalSessionKey(
  hooks: HooksConfig,
  agentId: string,
  requested: string | undefined,
  source: SessionKeySource | undefined,
): Parsed<string> {
  let key: string;
  if (requested) {
    if ((source === 'request' || source === 'mapping-templated') && !hooks.allowRequestSessionKey) {
      return fail(
        'sessionKey is disabled for externally supplied hook payload values; set hooks.allowRequestSessionKey=true to enable',
      );
    }
    key = requested;
  } else key = hooks.defaultSessionKey ?? `hook:${randomUUID()}`;
  const parsed = parseSessionKey(key);
  if (parsed) key = `agent:${agentId}:${parsed.rest}`;
  const problem = prefixProblem(key, hooks);
  return problem ? fail(problem) : { ok: true, value: key };
}

/** The stored key a logical key names for `agentId`: a bare tail lands under `agent:<agentId>:`. */
function storedKey(config: GatewayConfig, agentId: string, logical: string): Parsed<string> {
  const checked = checkSessionKey(logical, {
    agentId,
    mainKey: config.session.mainKey,
    scope: config.session.scope,
  });
  return checked.ok ? { ok: true, value: checked.key } : fail(`sessionKey ${checked.problem}`);
}

export type WakeTarget = { agentId: string; sessionKey: string };

/** A wake goes to the chosen session (with opt-in), else the agent's main session. */
export function wakeTarget(config: GatewayConfig, action: WakeAction): Parsed<WakeTarget> {
  const agent = targetAgent(config, action.agentId);
  if (!agent.ok) return agent;
  if (!action.sessionKey) {
    const { mainKey, scope } = config.session;
    return {
      ok: true,
      value: { agentId: agent.value, sessionKey: mainSessionKey(agent.value, mainKey, scope) },
    };
  }
  const logical = logicalSessionKey(config.hooks, agent.value, action.sessionKey, action.sessionKeySource);
  if (!logical.ok) return logical;
  const stored = storedKey(config, agent.value, logical.value);
  return stored.ok ? { ok: true, value: { agentId: agent.value, sessionKey: stored.value } } : stored;
}

export type AgentTarget = {
  agentId: string;
  /** OpenClaw's logical key (`hook:<uuid>` by default): in logs, and part of a replay key's scope. */
  logicalKey: string;
  /** The transcript's key: `agent:<agentId>:cron:<jobId>` when isolated, the logical key's session when persistent. */
  sessionKey: string;
  jobId: string;
};

/**
 * Where an agent run lands, as OpenClaw places it (observed on 2026.9.6): an isolated run (the default) gets a
 * fresh `agent:<agentId>:cron:<jobId>` session with a new job id per request, whatever its logical key; a
 * persistent one runs in the logical key's own session (`hook:github:42` → `agent:main:hook:github:42`).
 */
export function agentTarget(config: GatewayConfig, action: AgentAction): Parsed<AgentTarget> {
  const agent = targetAgent(config, action.agentId);
  if (!agent.ok) return agent;
  const logical = logicalSessionKey(config.hooks, agent.value, action.sessionKey, action.sessionKeySource);
  if (!logical.ok) return logical;
  // A caller keeping a session alive across requests must be fenced into a prefix (OpenClaw's rule).
  if (
    action.sessionMode === 'persistent' &&
    action.sessionKeySource === 'request' &&
    !sessionKeyPrefixes(config.hooks)
  ) {
    return fail('hooks.allowedSessionKeyPrefixes is required when direct hook sessionMode is persistent');
  }
  const jobId = randomUUID();
  if (action.sessionMode === 'isolated') {
    return {
      ok: true,
      value: {
        agentId: agent.value,
        logicalKey: logical.value,
        sessionKey: isolatedSessionKey(agent.value, jobId),
        jobId,
      },
    };
  }
  const stored = storedKey(config, agent.value, logical.value);
  if (!stored.ok) return stored;
  return {
    ok: true,
    value: { agentId: agent.value, logicalKey: logical.value, sessionKey: stored.value, jobId },
  };
}
