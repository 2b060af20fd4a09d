import { defaultAgentId } from '../agents/registry.ts';
import type { DmScope, GatewayConfig, GroupScope, PeerKind } from '../config/types.ts';
import { GatewayError, invalidParams } from '../protocol/gateway-error.ts';

/** protocol.md §9: `chat.send` takes a `sessionKey` of 1-512 characters; a normalized key keeps that bound. */
export const MAX_SESSION_KEY_LENGTH = 512;
/** The one shared key every conversation uses when `session.scope` is `global`. */
export const GLOBAL_SESSION_KEY = 'global';
/** The key a client sends for "the default agent's main session" (`sessions.resolve {key:"main"}`). */
export const MAIN_ALIAS = 'main';
/** The account a message arrived on when the channel names none (OpenClaw's default account id). */
export const DEFAULT_ACCOUNT_ID = 'default';
/** The config schema's agent-id rule, lowercased because keys are: a letter or digit, then `_`, `-`, ≤ 64. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const AGENT_PREFIX = 'agent:';
const CONTROL_CHARS = /\p{Cc}/u;

export type SessionScope = GatewayConfig['session']['scope'];
/** What a bare or `main` key resolves against: the default agent and the session settings. */
export type SessionKeyDefaults = { agentId: string; mainKey: string; scope: SessionScope };

export function sessionKeyDefaults(config: GatewayConfig): SessionKeyDefaults {
  return { agentId: defaultAgentId(config), mainKey: config.session.mainKey, scope: config.session.scope };
}

/** `agent:<agentId>:<mainKey>`, or `global` when every conversation shares one session. */
export function mainSessionKey(agentId: string, mainKey: string, scope: SessionScope): string {
  if (scope === 'global') return GLOBAL_SESSION_KEY;
  return `${AGENT_PREFIX}${agentId}:${mainKey}`.toLowerCase();
}

export type SessionKeyCheck = { ok: true; key: string } | { ok: false; problem: string };

/**
 * The canonical, lowercased key for what a client sent: a full `agent:<id>:<rest>` key, `main` (the default
 * agent's main session), `global`, or a bare tail such as `cli-test` (→ `agent:<defaultAgent>:cli-test`).
 * A problem is phrased to follow the field name: `sessionKey must be 1-512 characters`.
 */
export function checkSessionKey(input: unknown, defaults: SessionKeyDefaults): SessionKeyCheck {
  if (typeof input !== 'string') return { ok: false, problem: 'must be a string' };
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_SESSION_KEY_LENGTH) {
    return { ok: false, problem: `must be 1-${MAX_SESSION_KEY_LENGTH} characters` };
  }
  if (CONTROL_CHARS.test(trimmed)) return { ok: false, problem: 'must not contain control characters' };
  const lowered = trimmed.toLowerCase();
  if (lowered === GLOBAL_SESSION_KEY) return { ok: true, key: GLOBAL_SESSION_KEY };
  if (lowered === MAIN_ALIAS) {
    return { ok: true, key: mainSessionKey(defaults.agentId, defaults.mainKey, defaults.scope) };
  }
  if (lowered.startsWith(AGENT_PREFIX)) {
    const problem = agentKeyProblem(lowered);
    return problem === undefined ? { ok: true, key: lowered } : { ok: false, problem };
  }
  const key = `${AGENT_PREFIX}${defaults.agentId.toLowerCase()}:${lowered}`;
  if (key.length > MAX_SESSION_KEY_LENGTH) {
    return {
      ok: false,
      problem: `must be 1-${MAX_SESSION_KEY_LENGTH} characters once prefixed with agent:${defaults.agentId}: (got ${key.length})`,
    };
  }
  return { ok: true, key };
}

function agentKeyProblem(key: string): string | undefined {
  const separator = key.indexOf(':', AGENT_PREFIX.length);
  const agentId =
    separator === -1 ? key.slice(AGENT_PREFIX.length) : key.slice(AGENT_PREFIX.length, separator);
  if (agentId === '') return 'has an empty agent id (expected agent:<agentId>:<rest>)';
  if (!AGENT_ID_PATTERN.test(agentId)) {
    return `has an invalid agent id "${agentId}" (letters, digits, _ and -, starting with a letter or digit, at most 64)`;
  }
  if (separator === -1 || separator === key.length - 1) {
    return `has nothing after the agent id (expected agent:${agentId}:<rest>)`;
  }
  return undefined;
}

export type NormalizeContext = {
  /** Named in the error as `invalid <method> params: …`. */
  method?: string;
  /** The parameter's name in the error; `sessionKey` unless given. */
  field?: string;
};

/** `checkSessionKey`, throwing `INVALID_REQUEST` with a message naming the field and the problem. */
export function normalizeSessionKey(
  input: unknown,
  defaults: SessionKeyDefaults,
  context: NormalizeContext = {},
): string {
  const checked = checkSessionKey(input, defaults);
  if (checked.ok) return checked.key;
  const reason = `${context.field ?? 'sessionKey'} ${checked.problem}`;
  throw context.method ? invalidParams(context.method, reason) : new GatewayError('INVALID_REQUEST', reason);
}

/** `{agentId, rest}` of an `agent:<agentId>:<rest>` key (case-insensitive); undefined for `global` or junk. */
export function parseSessionKey(key: string): { agentId: string; rest: string } | undefined {
  const lowered = key.toLowerCase();
  if (!lowered.startsWith(AGENT_PREFIX) || agentKeyProblem(lowered) !== undefined) return undefined;
  const separator = lowered.indexOf(':', AGENT_PREFIX.length);
  return { agentId: lowered.slice(AGENT_PREFIX.length, separator), rest: lowered.slice(separator + 1) };
}

export type PeerSessionKeyInput = {
  agentId: string;
  mainKey: string;
  scope: SessionScope;
  dmScope: DmScope;
  groupScope: GroupScope;
  channel: string;
  accountId?: string;
  peer?: { kind: PeerKind; id: string };
};

/**
 * The session an inbound channel message belongs to. DMs follow `dmScope` (`main` shares the main session;
 * `per-peer` → `agent:<id>:direct:<peer>`; `per-channel-peer` → `agent:<id>:<channel>:direct:<peer>`;
 * `per-account-channel-peer` → `agent:<id>:<channel>:<account>:direct:<peer>`), groups and channels follow
 * `groupScope` (`per-group` → `agent:<id>:<channel>:<kind>:<peer>`, `main`). No peer → the main session.
 */
export function peerSessionKey(input: PeerSessionKeyInput): string {
  const main = mainSessionKey(input.agentId, input.mainKey, input.scope);
  const { peer } = input;
  if (input.scope === 'global' || peer === undefined || peer.id === '') return main;
  const base = `${AGENT_PREFIX}${input.agentId}`;
  const channel = input.channel;
  if (peer.kind === 'direct') {
    switch (input.dmScope) {
      case 'per-peer':
        return `${base}:direct:${peer.id}`.toLowerCase();
      case 'per-channel-peer':
        return `${base}:${channel}:direct:${peer.id}`.toLowerCase();
      case 'per-account-channel-peer':
        return `${base}:${channel}:${input.accountId || DEFAULT_ACCOUNT_ID}:direct:${peer.id}`.toLowerCase();
      default:
        return main;
    }
  }
  if (input.groupScope === 'main') return main;
  return `${base}:${channel}:${peer.kind}:${peer.id}`.toLowerCase();
}
