import type { Api } from 'grammy';
import type { ChannelAccountContext, OutboundMessage, SentMessage } from '../channel-types.ts';
import { apiSignal } from './bot-api.ts';
import { describeApiError, isNotModified, migratedChatId } from './bot-api-errors.ts';
import { type RetryPolicy, withRetry } from './bot-api-retry.ts';
import { TELEGRAM_TEXT_LIMIT } from './telegram-config.ts';

/** A forum's General topic: Telegram refuses `sendMessage` with thread 1 but needs it for typing (OpenClaw). */
const GENERAL_TOPIC = '1';

export type Outbound = {
  send(message: OutboundMessage): Promise<SentMessage>;
  edit(target: SentMessage, text: string): Promise<void>;
  typing(chatId: string, threadId?: string): Promise<void>;
};

/**
 * Speaks the Bot API's sending side for one account; every call honours 429 `retry_after`. A message Telegram
 * still refuses is handed to `deadLetter` (the operator's record) before the error goes back to the manager.
 */
export function telegramOutbound(
  api: Api,
  retry: RetryPolicy,
  signal: AbortSignal,
  deadLetter?: ChannelAccountContext['deadLetter'],
): Outbound {
  const call = <T>(fn: () => Promise<T>, tries?: { count: number }) =>
    withRetry(
      () => {
        if (tries) tries.count++;
        return fn();
      },
      retry,
      signal,
    );
  /** Chats that became supergroups, so later replies go straight to the new id. */
  const migrated = new Map<string, string>();
  const chatOf = (chatId: string) => migrated.get(chatId) ?? chatId;

  async function sendOne(
    message: OutboundMessage,
    text: string,
    tries: { count: number },
  ): Promise<SentMessage> {
    const chatId = chatOf(message.chatId);
    const thread =
      message.threadId && message.threadId !== GENERAL_TOPIC ? Number(message.threadId) : undefined;
    const replyTo = message.replyToMessageId ? Number(message.replyToMessageId) : undefined;
    const other = {
      ...(thread !== undefined ? { message_thread_id: thread } : {}),
      ...(replyTo !== undefined
        ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
        : {}),
      ...(message.silent ? { disable_notification: true } : {}),
    };
    try {
      const sent = await call(() => api.sendMessage(chatId, text, other, apiSignal(signal)), tries);
      return { messageId: String(sent.message_id), chatId: String(sent.chat.id) };
    } catch (error) {
      const moved = migratedChatId(error);
      if (moved === undefined) throw error;
      migrated.set(message.chatId, String(moved));
      const sent = await call(() => api.sendMessage(moved, text, other, apiSignal(signal)), tries);
      return { messageId: String(sent.message_id), chatId: String(sent.chat.id) };
    }
  }

  return {
    async send(message) {
      // The manager splits at textChunkLimit (<= 4096); a longer text is still delivered whole, never refused.
      const parts = splitAtLimit(message.text);
      let sent: SentMessage | undefined;
      for (const [index, part] of parts.entries()) {
        const piece = index === 0 ? message : { ...message, replyToMessageId: undefined };
        const tries = { count: 0 };
        try {
          sent = await sendOne(piece, part, tries);
        } catch (error) {
          if (!signal.aborted) {
            await deadLetter?.({
              chatId: piece.chatId,
              payload: { method: 'sendMessage', ...piece, text: part },
              attempts: tries.count,
              error: describeApiError('sendMessage', error),
            });
          }
          throw error;
        }
      }
      return sent as SentMessage;
    },
    async edit(target, text) {
      if (text.length > TELEGRAM_TEXT_LIMIT) {
        throw new RangeError(
          `telegram: an edit of ${text.length} characters exceeds Telegram's ${TELEGRAM_TEXT_LIMIT}; split the reply first`,
        );
      }
      try {
        await call(() =>
          api.editMessageText(chatOf(target.chatId), Number(target.messageId), text, {}, apiSignal(signal)),
        );
      } catch (error) {
        // The preview already shows this text (a final edit equal to the last preview): nothing to do.
        if (!isNotModified(error)) throw error;
      }
    },
    async typing(chatId, threadId) {
      const other = threadId ? { message_thread_id: Number(threadId) } : {};
      await call(() => api.sendChatAction(chatOf(chatId), 'typing', other, apiSignal(signal)));
    },
  };
}

/** Pieces of at most 4096 UTF-16 units, never cutting a surrogate pair, preferring a line break. */
export function splitAtLimit(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf('\n', limit);
    if (cut < limit / 2) cut = limit;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  if (rest !== '') parts.push(rest);
  return parts;
}
