import type { ContentBlock, SessionRecord, StoredMessage, Usage } from '../storage/store.ts';

/** A transcript message as clients receive it (chat.history, chat.startup, session.message, chat events). */
export type WireMessage = {
  role: string;
  content: string | ContentBlock[];
  timestamp: number;
  /** On a `toolResult` message (OpenClaw's fields). */
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  details?: unknown;
  id?: string;
  runId?: string;
  provider?: string;
  model?: string;
  usage?: WireUsage;
  stopReason?: string;
  errorMessage?: string;
  /** `<runId>:user` on a user message: how the Control UI matches it to the message it sent. */
  idempotencyKey?: string;
  /** OpenClaw's envelope: where the message sits in the session (clients dedupe and order by it). */
  __openclaw?: { id: string; seq: number; idempotencyKey?: string; runId?: string };
};

/** Token usage as OpenClaw's transcripts carry it. */
export type WireUsage = { input: number; output: number; totalTokens: number };

export function wireUsage(usage: Usage): WireUsage {
  return { input: usage.input, output: usage.output, totalTokens: usage.total };
}

export function toWireMessage(message: StoredMessage): WireMessage {
  const wire: WireMessage = { role: message.role, content: message.content, timestamp: message.timestamp };
  wire.id = message.id;
  if (message.runId) wire.runId = message.runId;
  if (message.provider) wire.provider = message.provider;
  if (message.model) wire.model = message.model;
  if (message.usage) wire.usage = wireUsage(message.usage);
  if (message.stopReason) wire.stopReason = message.stopReason;
  if (message.errorMessage) wire.errorMessage = message.errorMessage;
  if (message.role === 'toolResult') {
    wire.toolCallId = message.toolCallId ?? '';
    wire.toolName = message.toolName ?? '';
    wire.isError = message.isError === true;
    if (message.details !== undefined) wire.details = message.details;
  }
  wire.__openclaw = { id: message.id, seq: message.seq };
  // OpenClaw keys a user message by `<idempotencyKey>:user` and an assistant one by its runId; the Control UI
  // uses them to retire its optimistic copy of a sent message (else it shows it twice, "Delivery unconfirmed").
  if (message.runId && message.role === 'user') {
    wire.idempotencyKey = `${message.runId}:user`;
    wire.__openclaw.idempotencyKey = wire.idempotencyKey;
  } else if (message.runId && message.role === 'assistant') {
    wire.__openclaw.runId = message.runId;
  }
  return wire;
}

/** The assistant message as streamed so far (chat delta/final/aborted payloads). */
export function assistantMessage(text: string, timestamp: number) {
  return { role: 'assistant', content: [{ type: 'text' as const, text }], timestamp };
}

/** The text of a message: its text blocks joined (tool calls and images have none). */
export function messageText(message: Pick<StoredMessage, 'content'>): string {
  if (typeof message.content === 'string') return message.content;
  let text = '';
  for (const block of message.content) if (block.type === 'text') text += block.text;
  return text;
}

/** A session as `sessions.list` / `sessions.changed` describe it (OpenClaw's SessionRow subset). */
export function toSessionRow(
  session: SessionRecord,
  options: { mainSessionKey: string; lastMessagePreview?: string },
) {
  return {
    key: session.key,
    sessionId: session.sessionId,
    kind: 'direct',
    agentId: session.agentId,
    ...(session.label ? { label: session.label, displayName: session.label } : {}),
    ...(options.lastMessagePreview !== undefined ? { lastMessagePreview: options.lastMessagePreview } : {}),
    isMain: session.key === options.mainSessionKey,
    chatType: 'direct',
    updatedAt: session.updatedAt,
    createdAt: session.createdAt,
    archived: session.archived,
    ...(session.archivedAt !== undefined ? { archivedAt: session.archivedAt } : {}),
    ...(session.lastMessageAt
      ? { lastActivityAt: session.lastMessageAt, lastInteractionAt: session.lastMessageAt }
      : {}),
    inputTokens: session.usage.input,
    outputTokens: session.usage.output,
    totalTokens: session.usage.total,
    ...(session.model ? { model: session.model } : {}),
  };
}
