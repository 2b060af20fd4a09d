import { type TOptional, type TProperties, type TSchema, type TUnknown, Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });
/** List sizes a client may ask for (the Control UI asks for 10 000 sessions). */
const MAX_LIST_ITEMS = 10_000;
const SessionKey = Type.String({ minLength: 1, maxLength: 512 });
const Any = Type.Unknown();
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const closed = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
/** Fields OpenClaw's clients may send that clawgate accepts but does not act on yet. */
const accepted = <const N extends string>(names: N[]) =>
  Object.fromEntries(names.map((name) => [name, opt(Any)])) as { [K in N]: TOptional<TUnknown> };

export const Attachment = Type.Object(
  {
    type: opt(Type.String()),
    mimeType: opt(Type.String()),
    fileName: opt(Type.String()),
    content: opt(Any),
    sizeBytes: opt(Type.Number()),
  },
  { additionalProperties: true },
);

/** Params of the chat, sessions and agent methods: OpenClaw's field names, closed objects. */
export const CHAT_PARAM_SCHEMAS = {
  'chat.send': closed({
    sessionKey: SessionKey,
    message: Type.String(),
    idempotencyKey: NonEmpty,
    agentId: opt(NonEmpty),
    sessionId: opt(NonEmpty),
    thinking: opt(Type.String()),
    queueMode: opt(Type.Union(['steer', 'followup', 'collect', 'interrupt'].map((m) => Type.Literal(m)))),
    deliver: opt(Type.Boolean()),
    attachments: opt(Type.Array(Attachment)),
    timeoutMs: opt(Type.Integer({ minimum: 0 })),
    suppressCommandInterpretation: opt(Type.Boolean()),
    ...accepted([
      'intent',
      'fastMode',
      'fastAutoOnSeconds',
      'originatingChannel',
      'originatingTo',
      'originatingAccountId',
      'originatingThreadId',
      'replyToId',
      'toolBindings',
      'systemInputProvenance',
      'systemProvenanceReceipt',
      'expectedLeafEntryId',
      'expectedSessionRoutingContract',
      'expectedPermissionMode',
      'expectedToolOverrides',
      'mentions',
      'workContext',
    ]),
  }),
  'chat.abort': closed({
    sessionKey: NonEmpty,
    agentId: opt(NonEmpty),
    runId: opt(NonEmpty),
    preserveSideRuns: opt(Type.Boolean()),
  }),
  'chat.history': closed({
    sessionKey: NonEmpty,
    agentId: opt(NonEmpty),
    cursor: opt(Type.String()),
    limit: opt(Type.Integer({ minimum: 1, maximum: 1000 })),
    offset: opt(Type.Integer({ minimum: 0 })),
    maxChars: opt(Type.Integer({ minimum: 1, maximum: 500_000 })),
    maxBytes: opt(Type.Integer({ minimum: 1 })),
    sessionId: opt(NonEmpty),
    ...accepted(['pendingBefore', 'inputRunIds', 'messageId']),
  }),
  'chat.startup': Type.Object(
    {
      sessionKey: NonEmpty,
      agentId: opt(NonEmpty),
      limit: opt(Type.Integer({ minimum: 1, maximum: 1000 })),
      maxBytes: opt(Type.Integer({ minimum: 1 })),
      maxChars: opt(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: true },
  ),
  'chat.metadata': closed({ agentId: opt(NonEmpty), sessionKey: opt(NonEmpty) }),
  'chat.inject': closed({
    sessionKey: NonEmpty,
    agentId: opt(NonEmpty),
    message: NonEmpty,
    label: opt(Type.String({ maxLength: 100 })),
  }),
  'agent.identity.get': closed({ agentId: opt(NonEmpty), sessionKey: opt(NonEmpty) }),
  agent: Type.Object(
    {
      message: Type.String(),
      idempotencyKey: NonEmpty,
      agentId: opt(NonEmpty),
      sessionKey: opt(NonEmpty),
      sessionId: opt(NonEmpty),
      timeout: opt(Type.Integer({ minimum: 0 })),
      lane: opt(Type.String()),
      attachments: opt(Type.Array(Attachment)),
    },
    { additionalProperties: true },
  ),
  'agent.wait': closed({ runId: NonEmpty, timeoutMs: opt(Type.Integer({ minimum: 0 })) }),
  'sessions.list': Type.Object(
    {
      limit: opt(Type.Integer({ minimum: 1, maximum: MAX_LIST_ITEMS })),
      offset: opt(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      agentId: opt(NonEmpty),
      search: opt(Type.String()),
      includeLastMessage: opt(Type.Boolean()),
      includeDerivedTitles: opt(Type.Boolean()),
      archived: opt(Type.Union([Type.Boolean(), Type.Literal('all')])),
      label: opt(Type.String({ minLength: 1, maxLength: 512 })),
      spawnedBy: opt(Type.String()),
    },
    { additionalProperties: true },
  ),
  'sessions.resolve': Type.Object(
    {
      key: opt(NonEmpty),
      sessionId: opt(NonEmpty),
      label: opt(Type.String({ minLength: 1, maxLength: 512 })),
      agentId: opt(NonEmpty),
      allowMissing: opt(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
  'sessions.create': Type.Object(
    {
      key: opt(NonEmpty),
      agentId: opt(NonEmpty),
      label: opt(Type.String({ minLength: 1, maxLength: 512 })),
      displayName: opt(Type.String({ minLength: 1, maxLength: 500 })),
      model: opt(NonEmpty),
      thinkingLevel: opt(NonEmpty),
      message: opt(Type.String()),
      idempotencyKey: opt(NonEmpty),
    },
    { additionalProperties: true },
  ),
  'sessions.patch': Type.Object(
    {
      key: NonEmpty,
      agentId: opt(NonEmpty),
      label: opt(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
      model: opt(Type.Union([NonEmpty, Type.Null()])),
      thinkingLevel: opt(Type.Union([NonEmpty, Type.Null()])),
      archived: opt(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
  'sessions.reset': closed({ key: NonEmpty, agentId: opt(NonEmpty), reason: opt(Type.String()) }),
  'sessions.delete': Type.Object(
    {
      key: NonEmpty,
      agentId: opt(NonEmpty),
      deleteTranscript: opt(Type.Boolean()),
      archivedOnly: opt(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
  'sessions.describe': closed({
    key: NonEmpty,
    includeDerivedTitles: opt(Type.Boolean()),
    includeLastMessage: opt(Type.Boolean()),
  }),
  'sessions.preview': closed({
    keys: Type.Array(NonEmpty, { minItems: 1, maxItems: 100 }),
    limit: opt(Type.Integer({ minimum: 1, maximum: MAX_LIST_ITEMS })),
    maxChars: opt(Type.Integer({ minimum: 1, maximum: 500_000 })),
  }),
  'sessions.get': Type.Object(
    {
      key: opt(NonEmpty),
      sessionKey: opt(NonEmpty),
      limit: opt(Type.Integer({ minimum: 1, maximum: MAX_LIST_ITEMS })),
    },
    { additionalProperties: true },
  ),
  'sessions.subscribe': Type.Object({}, { additionalProperties: true }),
  'sessions.unsubscribe': Type.Object({}, { additionalProperties: true }),
  'sessions.messages.subscribe': closed({
    key: NonEmpty,
    agentId: opt(NonEmpty),
    includeApprovals: opt(Type.Boolean()),
  }),
  'sessions.messages.unsubscribe': closed({ key: NonEmpty, agentId: opt(NonEmpty) }),
  'sessions.abort': closed({
    key: opt(NonEmpty),
    runId: opt(NonEmpty),
    agentId: opt(NonEmpty),
    clearQueued: opt(Type.Boolean()),
  }),
  'sessions.send': closed({
    key: NonEmpty,
    message: Type.String(),
    agentId: opt(NonEmpty),
    thinking: opt(Type.String()),
    attachments: opt(Type.Array(Attachment)),
    timeoutMs: opt(Type.Integer({ minimum: 0 })),
    idempotencyKey: opt(NonEmpty),
  }),
  'diagnostics.lanes': Type.Object({}, { additionalProperties: true }),
} satisfies Record<string, TSchema>;
