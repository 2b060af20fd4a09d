import { TEMPLATE_EXPRESSION } from '../config/hooks-check.ts';
import type { HookMappingConfig, HookSessionMode, HookWakeMode } from '../config/types.ts';
import { renderOptional, renderTemplate, type TemplateContext } from './template.ts';

/** Where a session key came from: keys a caller chose (the body, a payload-filled template) need opting in. */
export type SessionKeySource = 'request' | 'mapping-static' | 'mapping-templated';

export type WakeAction = {
  kind: 'wake';
  text: string;
  mode: HookWakeMode;
  agentId?: string;
  sessionKey?: string;
  sessionKeySource?: SessionKeySource;
};

export type AgentAction = {
  kind: 'agent';
  message: string;
  name: string;
  agentId?: string;
  sessionKey?: string;
  sessionKeySource?: SessionKeySource;
  sessionMode: HookSessionMode;
  wakeMode: HookWakeMode;
  /** Queue the result for the agent's main session (OpenClaw's default; only `false` opts out). */
  deliver: boolean;
  timeoutSeconds?: number;
  waitForCompletion: boolean;
  idempotencyKey?: string;
  mappingId?: string;
};

export type HookAction = WakeAction | AgentAction;
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DEFAULT_NAME = 'Hook';
/** OpenClaw's bound on a replay key; a longer one is ignored rather than truncated into a collision. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/** Fields of OpenClaw's agent payload that need what clawgate does not have yet: refused by name, not ignored. */
const UNSUPPORTED_AGENT_FIELDS: Record<string, string> = {
  channel: 'channel delivery needs a messaging channel, and this gateway has none yet',
  to: 'channel delivery needs a messaging channel, and this gateway has none yet',
  accountId: 'channel delivery needs a messaging channel, and this gateway has none yet',
  model: 'per-run model overrides are not supported by clawgate yet',
  thinking: 'per-run thinking overrides are not supported by clawgate yet',
};

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** An optional field that, when present, must be a non-empty string (trimmed). */
function optionalText(payload: Record<string, unknown>, field: string): Parsed<string | undefined> {
  const value = payload[field];
  if (value === undefined) return { ok: true, value: undefined };
  if (typeof value !== 'string' || value.trim() === '') return fail(`${field} must be a non-empty string`);
  return { ok: true, value: value.trim() };
}

function oneOfField<T extends string>(
  payload: Record<string, unknown>,
  field: string,
  values: readonly T[],
  fallback: T,
): Parsed<T> {
  const value = payload[field];
  if (value === undefined) return { ok: true, value: fallback };
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) {
    return { ok: true, value: value as T };
  }
  return fail(`${field} must be ${values.map((v) => `"${v}"`).join(' or ')}`);
}

const WAKE_MODES = ['now', 'next-heartbeat'] as const;
const SESSION_MODES = ['isolated', 'persistent'] as const;

/** `POST <path>/wake`: `{text, mode?, agentId?, sessionKey?}`. */
export function parseWake(payload: Record<string, unknown>): Parsed<WakeAction> {
  const text = typeof payload.text === 'string' ? payload.text.trim() : '';
  if (text === '') return fail('text required');
  const mode = oneOfField(payload, 'mode', WAKE_MODES, 'now');
  if (!mode.ok) return mode;
  const agentId = optionalText(payload, 'agentId');
  if (!agentId.ok) return agentId;
  const sessionKey = optionalText(payload, 'sessionKey');
  if (!sessionKey.ok) return sessionKey;
  // A chosen session's event is only ever consumed by a beat run for it now; the scheduled beat runs the main one.
  if (sessionKey.value && mode.value !== 'now') return fail('sessionKey requires mode=now');
  return {
    ok: true,
    value: {
      kind: 'wake',
      text,
      mode: mode.value,
      ...(agentId.value ? { agentId: agentId.value } : {}),
      ...(sessionKey.value ? { sessionKey: sessionKey.value, sessionKeySource: 'request' as const } : {}),
    },
  };
}

/** The replay key: `Idempotency-Key`, then `X-OpenClaw-Idempotency-Key`, then the payload's (OpenClaw's order). */
function idempotencyKeyOf(
  payload: Record<string, unknown>,
  headers: Record<string, string>,
): string | undefined {
  for (const candidate of [
    headers['idempotency-key'],
    headers['x-openclaw-idempotency-key'],
    payload.idempotencyKey,
  ]) {
    if (typeof candidate !== 'string') continue;
    const key = candidate.trim();
    if (key !== '' && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH) return key;
  }
  return undefined;
}

/** `POST <path>/agent`: OpenClaw's agent payload, less the fields that need channels or model overrides. */
export function parseAgent(
  payload: Record<string, unknown>,
  headers: Record<string, string>,
): Parsed<AgentAction> {
  const message = typeof payload.message === 'string' ? payload.message.trim() : '';
  if (message === '') return fail('message required');
  if (payload.name !== undefined && typeof payload.name !== 'string') return fail('name must be a string');
  const agentId = optionalText(payload, 'agentId');
  if (!agentId.ok) return agentId;
  const sessionKey = optionalText(payload, 'sessionKey');
  if (!sessionKey.ok) return sessionKey;
  const sessionMode = oneOfField(payload, 'sessionMode', SESSION_MODES, 'isolated');
  if (!sessionMode.ok) return fail('sessionMode must be isolated or persistent');
  if (sessionMode.value === 'persistent' && !sessionKey.value) {
    return fail('sessionKey is required when sessionMode is persistent');
  }
  const wakeMode = oneOfField(payload, 'wakeMode', WAKE_MODES, 'now');
  if (!wakeMode.ok) return wakeMode;
  if (payload.deliver !== undefined && typeof payload.deliver !== 'boolean')
    return fail('deliver must be a boolean');
  const deliver = payload.deliver !== false;
  if (payload.waitForCompletion !== undefined && typeof payload.waitForCompletion !== 'boolean') {
    return fail('waitForCompletion must be boolean');
  }
  // With delivery off OpenClaw ignores the destination fields; the overrides are refused either way.
  for (const [field, reason] of Object.entries(UNSUPPORTED_AGENT_FIELDS)) {
    const destination = field === 'channel' || field === 'to' || field === 'accountId';
    if (payload[field] !== undefined && !(destination && !deliver)) return fail(`${field}: ${reason}`);
  }
  const name =
    typeof payload.name === 'string' && payload.name.trim() !== '' ? payload.name.trim() : DEFAULT_NAME;
  const idempotencyKey = idempotencyKeyOf(payload, headers);
  return {
    ok: true,
    value: {
      kind: 'agent',
      message,
      name,
      ...(agentId.value ? { agentId: agentId.value } : {}),
      ...(sessionKey.value ? { sessionKey: sessionKey.value, sessionKeySource: 'request' as const } : {}),
      sessionMode: sessionMode.value,
      wakeMode: wakeMode.value,
      deliver,
      // OpenClaw's contract: a positive number, floored; anything else leaves the agent's own timeout.
      ...(positiveSeconds(payload.timeoutSeconds)
        ? { timeoutSeconds: Math.floor(payload.timeoutSeconds as number) }
        : {}),
      waitForCompletion: payload.waitForCompletion === true,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    },
  };
}

function positiveSeconds(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1;
}

/** The subpath as mappings compare it: no leading or trailing slashes. */
export function normalizeMatchPath(path: string | undefined): string | undefined {
  const trimmed = path?.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? trimmed : undefined;
}

/** The first mapping whose predicates all hold (OpenClaw: order matters, the first match owns the request). */
export function findMapping(
  mappings: readonly HookMappingConfig[],
  subPath: string,
  payload: Record<string, unknown>,
): { mapping: HookMappingConfig; id: string } | undefined {
  for (const [index, mapping] of mappings.entries()) {
    const path = normalizeMatchPath(mapping.match?.path);
    if (path !== undefined && path !== normalizeMatchPath(subPath)) continue;
    const source = mapping.match?.source;
    if (source !== undefined && payload.source !== source) continue;
    return { mapping, id: mapping.id ?? `mapping-${index + 1}` };
  }
  return undefined;
}

/** A mapping's action, its templates rendered against the request. */
export function mappingAction(
  mapping: HookMappingConfig,
  id: string,
  context: TemplateContext,
): Parsed<HookAction> {
  const templated = mapping.sessionKey !== undefined && TEMPLATE_EXPRESSION.test(mapping.sessionKey);
  const sessionKey = renderOptional(mapping.sessionKey, context);
  if (templated && !sessionKey) return fail('hook mapping sessionKey template rendered empty');
  const keyed = sessionKey
    ? {
        sessionKey,
        sessionKeySource: templated ? ('mapping-templated' as const) : ('mapping-static' as const),
      }
    : {};
  const wakeMode = mapping.wakeMode ?? 'now';
  if (mapping.action === 'wake') {
    const text = renderTemplate(mapping.textTemplate ?? '', context).trim();
    if (text === '') return fail('hook mapping requires text');
    if (sessionKey && wakeMode !== 'now') return fail('hook mapping sessionKey requires wakeMode=now');
    return {
      ok: true,
      value: {
        kind: 'wake',
        text,
        mode: wakeMode,
        ...(mapping.agentId ? { agentId: mapping.agentId } : {}),
        ...keyed,
      },
    };
  }
  const message = renderTemplate(mapping.messageTemplate ?? '', context).trim();
  if (message === '') return fail('hook mapping requires message');
  const idempotencyKey = idempotencyKeyOf(context.payload, context.headers);
  return {
    ok: true,
    value: {
      kind: 'agent',
      message,
      name: renderOptional(mapping.name, context) ?? DEFAULT_NAME,
      ...(mapping.agentId ? { agentId: mapping.agentId } : {}),
      ...keyed,
      sessionMode: mapping.sessionMode ?? 'isolated',
      wakeMode,
      deliver: mapping.deliver !== false,
      ...(mapping.timeoutSeconds ? { timeoutSeconds: mapping.timeoutSeconds } : {}),
      // Mappings answer on admission (OpenClaw: waitForCompletion is for direct /agent only).
      waitForCompletion: false,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      mappingId: id,
    },
  };
}
