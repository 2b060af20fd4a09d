import { GatewayError } from '../protocol/gateway-error.ts';
import { withoutSecrets } from './account-logger.ts';
import { accountSecrets } from './account-record.ts';
import type { OutboundMessage } from './channel-types.ts';
import type { ChannelManager } from './manager.ts';
import { splitText } from './text-chunks.ts';

/** A message the gateway sends on its own (`send`, `message.action`, a cron job's or heartbeat's result). */
export type DeliveryRequest = {
  channel: string;
  /** Default: the channel's default account. */
  accountId?: string;
  /** The chat, as `send` takes it: `<chatId>`, `<channel>:<chatId>`, or what the channel's parseTarget reads. */
  to: string;
  text: string;
  threadId?: string;
  replyToId?: string;
  silent?: boolean;
};

export type DeliveryResult = {
  channel: string;
  accountId: string;
  chatId: string;
  /** The last message sent (a long text goes out as several). */
  messageId: string;
  messageIds: string[];
};

const unavailable = (message: string) =>
  new GatewayError('UNAVAILABLE', message, { details: { code: 'CHANNEL_UNAVAILABLE' } });

/**
 * Delivers text through a named channel account, split at its `textChunkLimit`. An unknown channel is the
 * caller's mistake (INVALID_REQUEST, OpenClaw's "unsupported channel"); an account that is not running, or a
 * network that refuses, is UNAVAILABLE (`CHANNEL_UNAVAILABLE`), logged and kept as the account's lastError.
 */
export async function deliverText(
  manager: ChannelManager,
  request: DeliveryRequest,
): Promise<DeliveryResult> {
  const adapter = manager.adapter(request.channel);
  if (!adapter) throw new GatewayError('INVALID_REQUEST', `unsupported channel: ${request.channel}`);
  const config = manager.deps.config();
  const accountId = request.accountId ?? adapter.defaultAccountId(config);
  const record = manager.record(adapter.id, accountId);
  if (!record) throw unavailable(`${adapter.id} has no account ${accountId} configured`);
  const handle = record.state === 'running' ? record.handle : undefined;
  if (!handle) {
    throw unavailable(
      `${adapter.id}[${accountId}] is not running${record.lastError ? ` (${record.lastError})` : ''}`,
    );
  }
  const prefix = `${adapter.id}:`;
  const bare = request.to.trim().startsWith(prefix)
    ? request.to.trim().slice(prefix.length)
    : request.to.trim();
  if (bare === '')
    throw new GatewayError('INVALID_REQUEST', `invalid send params: to names no ${adapter.id} chat`);
  const target = adapter.parseTarget?.(bare) ?? { chatId: bare };
  const threadId = request.threadId ?? target.threadId;
  const messageIds: string[] = [];
  for (const [index, text] of splitText(request.text, record.account.textChunkLimit).entries()) {
    const message: OutboundMessage = { chatId: target.chatId, text };
    if (threadId !== undefined) message.threadId = threadId;
    if (index === 0 && request.replyToId !== undefined) message.replyToMessageId = request.replyToId;
    if (request.silent !== undefined) message.silent = request.silent;
    try {
      messageIds.push((await handle.send(message)).messageId);
    } catch (error) {
      const reason = withoutSecrets((error as Error).message, accountSecrets(record.account));
      record.lastError = `delivering to ${target.chatId} failed: ${reason}`;
      record.logger.warn(record.lastError);
      throw unavailable(`${adapter.id}[${accountId}]: ${record.lastError}`);
    }
    record.lastOutboundAt = manager.deps.now();
  }
  return {
    channel: adapter.id,
    accountId,
    chatId: target.chatId,
    messageId: messageIds.at(-1) as string,
    messageIds,
  };
}
