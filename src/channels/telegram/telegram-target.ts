/**
 * A `send` / cron target on Telegram, in OpenClaw's forms: a numeric chat id (`123456789`, `-1001234567890`), a
 * public `@username`, or a forum topic `-1001234567890:topic:42`; a `tg:` prefix is dropped as OpenClaw does
 * (the manager has already removed `telegram:`).
 */
export function parseTelegramTarget(to: string): { chatId: string; threadId?: string } {
  const target = to.trim().replace(/^tg:/i, '');
  const topic = /^(.+):topic:(\d+)$/.exec(target);
  return topic ? { chatId: topic[1], threadId: topic[2] } : { chatId: target };
}
