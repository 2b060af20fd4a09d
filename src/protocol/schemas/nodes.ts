import { Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });
const opt = Type.Optional;
const closed = { additionalProperties: false } as const;
const Empty = Type.Object({}, closed);
const WorkType = Type.Union([Type.Literal('status.request'), Type.Literal('location.request')]);

/** The node methods' params: OpenClaw's published schemas (2026.9.1), closed as they are. */
export const NODE_PARAM_SCHEMAS = {
  'node.list': Empty,
  'node.describe': Type.Object({ nodeId: NonEmpty }, closed),
  'node.rename': Type.Object({ nodeId: NonEmpty, displayName: NonEmpty }, closed),
  'node.pair.list': Empty,
  'node.pair.approve': Type.Object({ requestId: NonEmpty }, closed),
  'node.pair.reject': Type.Object({ requestId: NonEmpty }, closed),
  'node.pair.remove': Type.Object({ nodeId: NonEmpty }, closed),
  'node.invoke': Type.Object(
    {
      nodeId: NonEmpty,
      command: NonEmpty,
      params: opt(Type.Unknown()),
      timeoutMs: opt(Type.Integer({ minimum: 0 })),
      idempotencyKey: NonEmpty,
      sessionKey: opt(NonEmpty),
      turnSourceChannel: opt(Type.String()),
      turnSourceTo: opt(Type.String()),
      turnSourceAccountId: opt(Type.String()),
      turnSourceThreadId: opt(Type.Union([Type.String(), Type.Number()])),
    },
    closed,
  ),
  'node.invoke.result': Type.Object(
    {
      id: NonEmpty,
      nodeId: NonEmpty,
      ok: Type.Boolean(),
      payload: opt(Type.Unknown()),
      payloadJSON: opt(Type.String()),
      error: opt(Type.Object({ code: opt(NonEmpty), message: opt(NonEmpty) }, closed)),
    },
    closed,
  ),
  'node.invoke.progress': Type.Object(
    {
      invokeId: NonEmpty,
      nodeId: NonEmpty,
      seq: Type.Integer({ minimum: 0 }),
      chunk: Type.String({ maxLength: 16_384 }),
    },
    closed,
  ),
  'node.event': Type.Object(
    { event: NonEmpty, payload: opt(Type.Unknown()), payloadJSON: opt(Type.String()) },
    closed,
  ),
  'node.pending.pull': Empty,
  'node.pending.ack': Type.Object({ ids: Type.Array(NonEmpty, { minItems: 1 }) }, closed),
  'node.pending.drain': Type.Object({ maxItems: opt(Type.Integer({ minimum: 1, maximum: 10 })) }, closed),
  'node.pending.enqueue': Type.Object(
    {
      nodeId: NonEmpty,
      type: WorkType,
      priority: opt(Type.Union([Type.Literal('normal'), Type.Literal('high')])),
      expiresInMs: opt(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
      wake: opt(Type.Boolean()),
    },
    closed,
  ),
  // What the node host publishes after it connects; clawgate takes none of it up (see docs/nodes.md).
  'node.skills.update': Type.Object({ skills: Type.Array(Type.Unknown()) }, { additionalProperties: true }),
  'node.pluginTools.update': Type.Object(
    { tools: Type.Array(Type.Unknown()) },
    { additionalProperties: true },
  ),
  'node.runnerInventory.update': Type.Object({}, { additionalProperties: true }),
};
