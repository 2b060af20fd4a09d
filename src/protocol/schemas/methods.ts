import { type TProperties, type TSchema, Type } from 'typebox';
import { APPROVALS_PARAM_SCHEMAS } from './approvals.ts';
import { CHANNEL_PARAM_SCHEMAS } from './channels.ts';
import { CHAT_PARAM_SCHEMAS } from './chat.ts';
import { CRON_PARAM_SCHEMAS } from './cron.ts';
import { MEMORY_PARAM_SCHEMAS } from './memory.ts';
import { NODE_PARAM_SCHEMAS } from './nodes.ts';
import { SYSTEM_PARAM_SCHEMAS } from './system.ts';
import { TOOLS_PARAM_SCHEMAS } from './tools.ts';
import { UPDATE_PARAM_SCHEMAS } from './update.ts';
import { USAGE_PARAM_SCHEMAS } from './usage.ts';

const NonEmpty = Type.String({ minLength: 1 });
const Empty = Type.Object({}, { additionalProperties: false });
/** For methods whose params OpenClaw leaves unschematised: known fields typed, extras tolerated. */
const open = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: true });

/** Params schema of every method in the core; shapes follow OpenClaw's where it publishes one. */
/** What config.patch and config.apply (OpenClaw's shapes) both take; the restart fields are accepted, unused. */
const CONFIG_WRITE = {
  raw: NonEmpty,
  baseHash: Type.Optional(NonEmpty),
  sessionKey: Type.Optional(Type.String()),
  deliveryContext: Type.Optional(Type.Unknown()),
  note: Type.Optional(Type.String()),
  restartDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
};

export const METHOD_PARAM_SCHEMAS = {
  health: open({ probe: Type.Optional(Type.Boolean()) }),
  status: open({}),
  'system-presence': open({}),
  'system-event': open({
    text: NonEmpty,
    deviceId: Type.Optional(NonEmpty),
    instanceId: Type.Optional(NonEmpty),
    host: Type.Optional(NonEmpty),
    ip: Type.Optional(NonEmpty),
    mode: Type.Optional(NonEmpty),
    version: Type.Optional(NonEmpty),
    platform: Type.Optional(NonEmpty),
    deviceFamily: Type.Optional(NonEmpty),
    modelIdentifier: Type.Optional(NonEmpty),
    lastInputSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: Type.Optional(NonEmpty),
    tags: Type.Optional(Type.Array(NonEmpty)),
  }),
  'last-heartbeat': open({}),
  // OpenClaw's HooksStatusParams, closed as published.
  'hooks.status': Type.Object({ agentId: Type.Optional(NonEmpty) }, { additionalProperties: false }),
  'logs.tail': Type.Object(
    {
      cursor: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    },
    { additionalProperties: false },
  ),
  'config.get': Empty,
  'config.schema': Empty,
  'config.schema.lookup': Type.Object(
    { path: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_./\\[\\]\\-*]+$' }) },
    { additionalProperties: false },
  ),
  'config.set': Type.Object(
    { raw: NonEmpty, baseHash: Type.Optional(NonEmpty) },
    { additionalProperties: false },
  ),
  'config.patch': Type.Object(
    { ...CONFIG_WRITE, replacePaths: Type.Optional(Type.Array(NonEmpty, { maxItems: 256 })) },
    { additionalProperties: false },
  ),
  'config.apply': Type.Object(CONFIG_WRITE, { additionalProperties: false }),
  'agents.list': Empty,
  'models.list': Type.Object(
    {
      agentId: Type.Optional(NonEmpty),
      // The 2026.9.6 Control UI sends the session it asks for (beyond the pinned schema).
      sessionKey: Type.Optional(NonEmpty),
      includeProviderCapabilities: Type.Optional(Type.Boolean()),
      // The published-model-catalog contract (2026.9.6 `openclaw models list`): a provider filter and detailed rows.
      provider: Type.Optional(NonEmpty),
      includeDetails: Type.Optional(Type.Boolean()),
      preparedOnly: Type.Optional(Type.Boolean()),
      refresh: Type.Optional(Type.Boolean()),
      view: Type.Optional(
        Type.Union([
          Type.Literal('default'),
          Type.Literal('configured'),
          Type.Literal('provider-config'),
          Type.Literal('all'),
        ]),
      ),
    },
    { additionalProperties: false },
  ),
  'gateway.identity.get': open({}),
  'device.pair.list': Empty,
  'device.pair.approve': Type.Object({ requestId: NonEmpty }, { additionalProperties: false }),
  'device.pair.reject': Type.Object({ requestId: NonEmpty }, { additionalProperties: false }),
  'device.pair.remove': Type.Object({ deviceId: NonEmpty }, { additionalProperties: false }),
  'device.token.rotate': Type.Object(
    { deviceId: NonEmpty, role: NonEmpty, scopes: Type.Optional(Type.Array(NonEmpty)) },
    { additionalProperties: false },
  ),
  'device.token.revoke': Type.Object({ deviceId: NonEmpty, role: NonEmpty }, { additionalProperties: false }),
  ...CHAT_PARAM_SCHEMAS,
  ...CHANNEL_PARAM_SCHEMAS,
  ...USAGE_PARAM_SCHEMAS,
  ...CRON_PARAM_SCHEMAS,
  ...UPDATE_PARAM_SCHEMAS,
  ...MEMORY_PARAM_SCHEMAS,
  ...APPROVALS_PARAM_SCHEMAS,
  ...TOOLS_PARAM_SCHEMAS,
  ...NODE_PARAM_SCHEMAS,
  ...SYSTEM_PARAM_SCHEMAS,
} satisfies Record<string, TSchema>;

export type MethodWithSchema = keyof typeof METHOD_PARAM_SCHEMAS;
