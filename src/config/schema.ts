import { type TSchema, Type } from 'typebox';
import { LOG_MAX_FILE_BYTES_MIN, LOG_MAX_FILES_MAX } from './limits.ts';
import { DM_SCOPES, GROUP_SCOPES, PEER_KINDS } from './types.ts';

const closed = (properties: Record<string, TSchema>) =>
  Type.Object(properties, { additionalProperties: false });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const NonEmpty = Type.String({ minLength: 1 });
const Ms = Type.Integer({ minimum: 1 });
const Count = Type.Integer({ minimum: 1 });
/** USD per million tokens. */
const Price = Type.Number({ minimum: 0 });

const LimitsSchema = closed({
  maxPreauthPayloadBytes: opt(Count),
  maxPayloadBytes: opt(Count),
  maxBufferedBytes: opt(Count),
  maxPreauthConnectionsPerIp: opt(Count),
  handshakeTimeoutMs: opt(Ms),
  maxPreauthQueuedFrames: opt(Count),
  pingIntervalMs: opt(Ms),
  pongTimeoutMs: opt(Ms),
  tickIntervalMs: opt(Ms),
  healthRefreshMs: opt(Ms),
  presenceCoalesceMs: opt(Type.Integer({ minimum: 0 })),
  preauthSliceMs: opt(Type.Integer({ minimum: 0, maximum: 1_000 })),
  idempotencyTtlMs: opt(Ms),
  idempotencyMaxEntries: opt(Count),
  attachmentMaxBytes: opt(Count),
  attachmentMaxImageBytes: opt(Count),
  mainLaneConcurrency: opt(Count),
});

const oneOf = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const AgentId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' });

const ModelRef = closed({ primary: opt(NonEmpty), fallbacks: opt(Type.Array(NonEmpty)) });

const AgentSchema = closed({
  id: AgentId,
  name: opt(NonEmpty),
  default: opt(Type.Boolean()),
  model: opt(Type.Union([NonEmpty, ModelRef])),
  workspace: opt(NonEmpty),
  systemPrompt: opt(Type.String()),
  identity: opt(
    closed({ name: opt(NonEmpty), theme: opt(NonEmpty), emoji: opt(NonEmpty), avatar: opt(NonEmpty) }),
  ),
});

const ProviderSchema = closed({
  baseUrl: opt(NonEmpty),
  apiKey: opt(NonEmpty),
  api: opt(Type.Union([Type.Literal('openai-completions'), Type.Literal('anthropic-messages')])),
  models: opt(
    Type.Array(
      closed({
        id: NonEmpty,
        name: opt(NonEmpty),
        contextWindow: opt(Type.Integer({ minimum: 1 })),
        cost: opt(
          closed({
            input: opt(Price),
            output: opt(Price),
            cacheRead: opt(Price),
            cacheWrite: opt(Price),
          }),
        ),
      }),
    ),
  ),
});

/** OpenClaw's route binding; an `agentId` naming no configured agent is refused by `buildConfig`. */
const BindingSchema = closed({
  agentId: AgentId,
  comment: opt(Type.String()),
  type: opt(Type.Literal('route')),
  match: closed({
    channel: NonEmpty,
    accountId: opt(NonEmpty),
    peer: opt(closed({ kind: oneOf(PEER_KINDS), id: NonEmpty })),
    guildId: opt(NonEmpty),
    teamId: opt(NonEmpty),
    roles: opt(Type.Array(NonEmpty)),
  }),
  session: opt(closed({ dmScope: opt(oneOf(DM_SCOPES)), groupScope: opt(oneOf(GROUP_SCOPES)) })),
});

/** The config file (`clawgate.json`, JSON5). Every object is closed so a misspelt key is named, not ignored. */
export const ConfigFileSchema = closed({
  $schema: opt(Type.String()),
  gateway: opt(
    closed({
      port: opt(Type.Integer({ minimum: 0, maximum: 65535 })),
      bind: opt(NonEmpty),
      auth: opt(
        closed({
          mode: opt(
            Type.Union([
              Type.Literal('token'),
              Type.Literal('password'),
              Type.Literal('none'),
              Type.Literal('trusted-proxy'),
            ]),
          ),
          token: opt(Type.String()),
          password: opt(Type.String()),
          rateLimit: opt(
            closed({
              maxAttempts: opt(Count),
              windowMs: opt(Ms),
              lockoutMs: opt(Ms),
              exemptLoopback: opt(Type.Boolean()),
            }),
          ),
          trustedProxy: opt(closed({ userHeader: opt(NonEmpty), allowUsers: opt(Type.Array(NonEmpty)) })),
        }),
      ),
      trustedProxies: opt(Type.Array(NonEmpty)),
      tls: opt(
        closed({
          enabled: opt(Type.Boolean()),
          certPath: opt(NonEmpty),
          keyPath: opt(NonEmpty),
          autoGenerate: opt(Type.Boolean()),
        }),
      ),
      controlUi: opt(
        closed({
          enabled: opt(Type.Boolean()),
          root: opt(NonEmpty),
          basePath: opt(Type.String()),
          allowedOrigins: opt(Type.Array(NonEmpty)),
        }),
      ),
      pairing: opt(closed({ autoApproveLoopback: opt(Type.Boolean()) })),
      reload: opt(closed({ mode: opt(Type.Union([Type.Literal('hybrid'), Type.Literal('off')])) })),
      http: opt(
        closed({
          endpoints: opt(closed({ chatCompletions: opt(closed({ enabled: opt(Type.Boolean()) })) })),
        }),
      ),
      limits: opt(LimitsSchema),
    }),
  ),
  agents: opt(
    closed({
      defaults: opt(
        closed({
          model: opt(Type.Union([NonEmpty, ModelRef])),
          workspace: opt(NonEmpty),
          systemPrompt: opt(Type.String()),
        }),
      ),
      list: opt(Type.Array(AgentSchema)),
    }),
  ),
  session: opt(
    closed({
      mainKey: opt(Type.String({ minLength: 1, maxLength: 64 })),
      scope: opt(Type.Union([Type.Literal('per-sender'), Type.Literal('global')])),
      dmScope: opt(oneOf(DM_SCOPES)),
      groupScope: opt(oneOf(GROUP_SCOPES)),
    }),
  ),
  bindings: opt(Type.Array(BindingSchema)),
  models: opt(
    closed({
      providers: opt(Type.Record(Type.String(), ProviderSchema)),
      echo: opt(closed({ wordDelayMs: opt(Type.Integer({ minimum: 0, maximum: 10_000 })) })),
    }),
  ),
  logging: opt(
    closed({
      level: opt(
        Type.Union([
          Type.Literal('debug'),
          Type.Literal('info'),
          Type.Literal('warn'),
          Type.Literal('error'),
        ]),
      ),
      file: opt(NonEmpty),
      maxFileBytes: opt(Type.Integer({ minimum: LOG_MAX_FILE_BYTES_MIN })),
      maxFiles: opt(Type.Integer({ minimum: 1, maximum: LOG_MAX_FILES_MAX })),
    }),
  ),
  discovery: opt(
    closed({
      mdns: opt(
        closed({
          mode: opt(Type.Union([Type.Literal('off'), Type.Literal('minimal'), Type.Literal('full')])),
        }),
      ),
    }),
  ),
});
