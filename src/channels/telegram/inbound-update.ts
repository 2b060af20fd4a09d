import type { Message, MessageEntity, Update } from 'grammy/types';
import type { InboundMessage } from '../channel-types.ts';

/** Who the bot is (from `getMe`): what mentions and commands are matched against. */
export type BotIdentity = { id: number; username: string };

/**
 * The message an update carries for the gateway, or undefined for one that starts no turn: edits (OpenClaw
 * records them, answers nothing), channel posts, service messages and media without a caption, messages from
 * bots (the bot's own included), and commands addressed to another bot. The poller still confirms those.
 */
export function inboundFromUpdate(update: Update, bot: BotIdentity): InboundMessage | undefined {
  const message = update.message;
  if (!message?.from || message.from.is_bot) return undefined;
  const kind = message.chat.type;
  if (kind !== 'private' && kind !== 'group' && kind !== 'supergroup') return undefined;
  const raw = message.text ?? message.caption;
  if (raw === undefined || raw.trim() === '') return undefined;
  const entities = (message.text !== undefined ? message.entities : message.caption_entities) ?? [];
  const addressed = addressedCommand(raw, entities, bot);
  if (addressed === null) return undefined;
  const group = kind !== 'private';
  const text = group ? stripLeadingMention(addressed.text, bot) : addressed.text;
  if (text.trim() === '') return undefined;
  const threadId = topicOf(message);
  const from = message.from;
  return {
    messageId: String(message.message_id),
    chatId: String(message.chat.id),
    peerKind: group ? 'group' : 'direct',
    ...(threadId !== undefined ? { threadId } : {}),
    senderId: String(from.id),
    senderName: [from.first_name, from.last_name].filter(Boolean).join(' '),
    ...(from.username ? { senderUsername: from.username } : {}),
    text,
    ...(group
      ? { wasMentioned: addressed.toBot || mentions(raw, entities, bot) || repliesToBot(message, bot) }
      : {}),
    timestamp: message.date * 1000,
  };
}

/**
 * `/new@this_bot args` becomes `/new args`, addressed to us; `/new@other_bot` is someone else's (null). Telegram
 * marks the command with a `bot_command` entity at offset 0; the pattern covers a client that sent none.
 */
function addressedCommand(
  text: string,
  entities: MessageEntity[],
  bot: BotIdentity,
): { text: string; toBot: boolean } | null {
  const entity = entities.find((candidate) => candidate.type === 'bot_command' && candidate.offset === 0);
  const command = entity ? text.slice(0, entity.length) : /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text)?.[0];
  const at = command?.indexOf('@') ?? -1;
  if (!command || at < 0) return { text, toBot: false };
  if (command.slice(at + 1).toLowerCase() !== bot.username.toLowerCase()) return null;
  return { text: command.slice(0, at) + text.slice(command.length), toBot: true };
}

/** `@this_bot hello` → `hello`, so a command after the mention (`@this_bot /reset`) reads as one. */
function stripLeadingMention(text: string, bot: BotIdentity): string {
  const mention = `@${bot.username}`;
  const head = text.trimStart();
  if (!head.toLowerCase().startsWith(mention.toLowerCase())) return text;
  const rest = head.slice(mention.length);
  return /^[A-Za-z0-9_]/.test(rest) ? text : rest.replace(/^[\s,:]+/, '');
}

function mentions(text: string, entities: MessageEntity[], bot: BotIdentity): boolean {
  const handle = `@${bot.username}`.toLowerCase();
  for (const entity of entities) {
    if (
      entity.type === 'mention' &&
      text.slice(entity.offset, entity.offset + entity.length).toLowerCase() === handle
    )
      return true;
    if (entity.type === 'text_mention' && entity.user?.id === bot.id) return true;
  }
  // Entities are what Telegram sends; the text check covers a forwarded or hand-built message without them.
  return entities.length === 0 && new RegExp(`${escapeRegExp(handle)}(?![a-z0-9_])`, 'i').test(text);
}

/**
 * A reply to one of the bot's messages addresses it (OpenClaw's implicit mention). In a forum every message of a
 * topic replies to the topic's opening service message, which says nothing about who is addressed.
 */
function repliesToBot(message: Message, bot: BotIdentity): boolean {
  const original = message.reply_to_message;
  if (!original || original.from?.id !== bot.id) return false;
  return original.forum_topic_created === undefined && original.message_id !== message.message_thread_id;
}

/** Forum topics (and topics in a bot's private chat) keep their thread; a reply chain's thread id does not. */
function topicOf(message: Message): string | undefined {
  if (message.message_thread_id === undefined) return undefined;
  if (message.is_topic_message || message.chat.type === 'private') return String(message.message_thread_id);
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
