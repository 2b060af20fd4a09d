import { type TProperties, type TSchema, Type } from 'typebox';

/** Params of the approvals methods: OpenClaw's published schemas (closed where they are), field for field. */
const NonEmpty = Type.String({ minLength: 1 });
const opt = Type.Optional;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableString = Nullable(Type.String());
const closed = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
const lit = (...values: string[]) => Type.Union(values.map((value) => Type.Literal(value)));
/** OpenClaw's `ApprovalId`: a full id that is safe in a deep-link path (no `.`/`..`, no lone surrogates). */
const ApprovalId = Type.String({
  minLength: 1,
  pattern: '^(?!\\.{1,2}$)(?:[^\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])+$',
});
const Decision = lit('allow-once', 'allow-always', 'deny');
const Kind = lit('exec', 'plugin', 'system-agent');
const Reviewer = closed({ channel: NonEmpty, accountId: NonEmpty, senderId: NonEmpty });
const GrantDays = Type.Integer({ minimum: 1, maximum: 3650 });

const PolicyFields = {
  security: opt(Type.String()),
  ask: opt(Type.String()),
  askFallback: opt(Type.String()),
  autoAllowSkills: opt(Type.Boolean()),
};
const AllowlistEntry = closed({
  id: opt(NonEmpty),
  pattern: Type.String(),
  source: opt(Type.Literal('allow-always')),
  commandText: opt(Type.String()),
  argPattern: opt(Type.String()),
  lastUsedAt: opt(Type.Number({ minimum: 0 })),
  lastUsedCommand: opt(Type.String()),
  lastResolvedPath: opt(Type.String()),
});
const McpToolGrant = closed({
  server: Type.String({ minLength: 1, pattern: '\\S' }),
  tool: Type.String({ minLength: 1, pattern: '\\S' }),
  source: Type.Literal('allow-always'),
  addedAt: Type.Number({ minimum: 0 }),
  lastUsedAt: opt(Type.Number({ minimum: 0 })),
});
const ApprovalsFile = closed({
  version: Type.Literal(1),
  socket: opt(closed({ path: opt(Type.String()), token: opt(Type.String()) })),
  defaults: opt(closed(PolicyFields)),
  agents: opt(
    Type.Record(
      Type.String(),
      closed({
        ...PolicyFields,
        allowlist: opt(Type.Array(AllowlistEntry)),
        mcpTools: opt(Type.Array(McpToolGrant)),
      }),
    ),
  ),
});

const scope = Type.Object({ kind: Type.String() }, { additionalProperties: true });

export const APPROVALS_PARAM_SCHEMAS = {
  'exec.approvals.get': closed({}),
  'exec.approvals.set': closed({ file: ApprovalsFile, baseHash: opt(NonEmpty) }),
  'exec.approval.get': closed({ id: NonEmpty }),
  // OpenClaw publishes no params for these; it reads none (list) or `id` (waitDecision).
  'exec.approval.list': Type.Object({}, { additionalProperties: true }),
  'exec.approval.waitDecision': Type.Object({ id: opt(Type.String()) }, { additionalProperties: true }),
  'exec.approval.request': closed({
    id: opt(NonEmpty),
    command: opt(NonEmpty),
    commandArgv: opt(Type.Array(Type.String())),
    systemRunPlan: opt(Type.Object({}, { additionalProperties: true })),
    env: opt(Type.Record(Type.String(), Type.String())),
    cwd: opt(NullableString),
    nodeId: opt(Nullable(NonEmpty)),
    host: opt(NullableString),
    security: opt(NullableString),
    ask: opt(NullableString),
    warningText: opt(NullableString),
    scope: opt(Type.Union([scope, Type.Null()])),
    unavailableDecisions: opt(Type.Array(Type.Literal('allow-always'), { minItems: 1, maxItems: 1 })),
    commandSpans: opt(
      Type.Array(
        closed({ startIndex: Type.Integer({ minimum: 0 }), endIndex: Type.Integer({ minimum: 1 }) }),
      ),
    ),
    agentId: opt(NullableString),
    resolvedPath: opt(NullableString),
    sessionKey: opt(NullableString),
    sessionId: opt(NullableString),
    runId: opt(NullableString),
    toolCallId: opt(NullableString),
    turnSourceChannel: opt(NullableString),
    turnSourceTo: opt(NullableString),
    turnSourceAccountId: opt(NullableString),
    turnSourceThreadId: opt(Type.Union([Type.String(), Type.Number(), Type.Null()])),
    approvalReviewerDeviceIds: opt(Type.Array(NonEmpty)),
    requireDeliveryRoute: opt(Type.Boolean()),
    suppressDelivery: opt(Type.Boolean()),
    deliverToApprovalClientsOnly: opt(Type.Boolean()),
    timeoutMs: opt(Type.Integer({ minimum: 1 })),
    twoPhase: opt(Type.Boolean()),
  }),
  'exec.approval.resolve': closed({
    id: NonEmpty,
    decision: NonEmpty,
    reviewer: opt(Reviewer),
    grantExpiresInDays: opt(GrantDays),
  }),
  'exec.approval.grants.list': closed({ limit: opt(Type.Integer({ minimum: 1, maximum: 500 })) }),
  'exec.approval.grants.revoke': closed({ grantId: NonEmpty }),
  'approval.get': closed({ id: ApprovalId }),
  'approval.resolve': closed({
    id: ApprovalId,
    kind: Kind,
    decision: Decision,
    reviewer: opt(Reviewer),
    grantExpiresInDays: opt(GrantDays),
  }),
  'approval.history': closed({
    cursor: opt(Type.String({ minLength: 1, maxLength: 512 })),
    limit: opt(Type.Integer({ minimum: 1, maximum: 100 })),
    kind: opt(Kind),
  }),
  'plugin.approval.list': Type.Object({}, { additionalProperties: true }),
  'plugin.approval.resolve': closed({ id: NonEmpty, decision: NonEmpty }),
  'openclaw.approval.list': Type.Object({}, { additionalProperties: true }),
};
