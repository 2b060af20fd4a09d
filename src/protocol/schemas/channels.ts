import { type TProperties, Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });
const opt = Type.Optional;
const closed = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
const ChannelAccount = closed({ channel: NonEmpty, accountId: opt(Type.String()) });
const PairingTarget = { channel: NonEmpty, accountId: NonEmpty, requestId: NonEmpty };

/** Params of the channel methods: OpenClaw's published schemas (closed, as published). */
export const CHANNEL_PARAM_SCHEMAS = {
  'channels.status': closed({
    probe: opt(Type.Boolean()),
    timeoutMs: opt(Type.Integer({ minimum: 0 })),
    channel: opt(NonEmpty),
  }),
  'channels.start': ChannelAccount,
  'channels.stop': ChannelAccount,
  'channels.logout': ChannelAccount,
  'channels.pairing.list': closed({ channel: opt(NonEmpty), accountId: opt(NonEmpty) }),
  'channels.pairing.approve': closed({
    ...PairingTarget,
    notify: opt(Type.Boolean()),
    bootstrapCommandOwner: opt(Type.Boolean()),
  }),
  'channels.pairing.dismiss': closed(PairingTarget),
  'channels.deadLetters.list': closed({
    channel: opt(NonEmpty),
    accountId: opt(NonEmpty),
    limit: opt(Type.Integer({ minimum: 1, maximum: 500 })),
  }),
  send: closed({
    to: NonEmpty,
    message: opt(Type.String()),
    mediaUrl: opt(Type.String()),
    mediaUrls: opt(Type.Array(Type.String())),
    buffer: opt(Type.String()),
    filename: opt(Type.String()),
    contentType: opt(Type.String()),
    asVoice: opt(Type.Boolean()),
    gifPlayback: opt(Type.Boolean()),
    channel: opt(Type.String()),
    accountId: opt(Type.String()),
    agentId: opt(Type.String()),
    replyToId: opt(Type.String()),
    threadId: opt(Type.String()),
    forceDocument: opt(Type.Boolean()),
    silent: opt(Type.Boolean()),
    parseMode: opt(Type.Literal('HTML')),
    sessionKey: opt(Type.String()),
    idempotencyKey: NonEmpty,
  }),
  // OpenClaw's MessageActionParams; the agent-runtime fields (toolContext, reply, …) are accepted, not acted on.
  'message.action': closed({
    channel: NonEmpty,
    action: NonEmpty,
    params: Type.Record(Type.String(), Type.Unknown()),
    reply: opt(Type.Unknown()),
    accountId: opt(Type.String()),
    requesterAccountId: opt(Type.String()),
    requesterSenderId: opt(Type.String()),
    senderIsOwner: opt(Type.Boolean()),
    sessionKey: opt(Type.String()),
    sessionId: opt(Type.String()),
    inboundTurnKind: opt(Type.Union([Type.Literal('user_request'), Type.Literal('room_event')])),
    agentId: opt(Type.String()),
    toolContext: opt(Type.Record(Type.String(), Type.Unknown())),
    conversationReadOrigin: opt(Type.Literal('direct-operator')),
    idempotencyKey: NonEmpty,
  }),
};
