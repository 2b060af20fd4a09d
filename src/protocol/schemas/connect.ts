import { Type } from 'typebox';

export const CLIENT_IDS = [
  'webchat-ui',
  'openclaw-control-ui',
  'openclaw-browser-copilot',
  'openclaw-tui',
  'webchat',
  'cli',
  'gateway-client',
  'openclaw-macos',
  'openclaw-linux',
  'openclaw-ios',
  'openclaw-watchos',
  'openclaw-android',
  'node-host',
  'openclaw-worker',
  'test',
  'fingerprint',
  'openclaw-probe',
] as const;

export const CLIENT_MODES = ['webchat', 'cli', 'ui', 'backend', 'node', 'worker', 'probe', 'test'] as const;

const NonEmpty = Type.String({ minLength: 1 });

/**
 * `connect` params as OpenClaw 2026.9.1 defines them, plus `modelCatalog`, which the 2026.9.6 Control UI
 * sends although the pinned schema does not know it (protocol.md §12).
 */
export const ConnectParamsSchema = Type.Object(
  {
    minProtocol: Type.Integer({ minimum: 1 }),
    maxProtocol: Type.Integer({ minimum: 1 }),
    client: Type.Object(
      {
        id: Type.Union(CLIENT_IDS.map((id) => Type.Literal(id))),
        displayName: Type.Optional(NonEmpty),
        version: NonEmpty,
        buildId: Type.Optional(Type.String({ minLength: 1, maxLength: 96 })),
        platform: NonEmpty,
        deviceFamily: Type.Optional(NonEmpty),
        modelIdentifier: Type.Optional(NonEmpty),
        timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        mode: Type.Union(CLIENT_MODES.map((mode) => Type.Literal(mode))),
        instanceId: Type.Optional(NonEmpty),
      },
      { additionalProperties: false },
    ),
    caps: Type.Optional(Type.Array(NonEmpty)),
    commands: Type.Optional(Type.Array(NonEmpty)),
    computerUse: Type.Optional(Type.Unknown()),
    workerRuns: Type.Optional(Type.Unknown()),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    pathEnv: Type.Optional(Type.String()),
    role: Type.Optional(NonEmpty),
    scopes: Type.Optional(Type.Array(NonEmpty)),
    device: Type.Optional(
      Type.Object(
        {
          id: NonEmpty,
          publicKey: NonEmpty,
          signature: NonEmpty,
          signedAt: Type.Integer({ minimum: 0 }),
          nonce: NonEmpty,
        },
        { additionalProperties: false },
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          token: Type.Optional(Type.String()),
          bootstrapToken: Type.Optional(Type.String()),
          deviceToken: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          approvalRuntimeToken: Type.Optional(Type.String()),
          agentRuntimeIdentityToken: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    locale: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
    modelCatalog: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
