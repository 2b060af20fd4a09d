import type { Api } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { apiSignal } from './bot-api.ts';
import { apiError, describeApiError } from './bot-api-errors.ts';

/** OpenClaw's Telegram probe as `channels.status` shows it (the Control UI reads `probe.bot.username`). */
export type TelegramProbe = {
  ok: boolean;
  status: number | null;
  error: string | null;
  elapsedMs?: number;
  bot?: Record<string, unknown>;
  webhook?: { url: string | null; hasCustomCert: boolean | null };
};

export function botSummary(me: UserFromGetMe): Record<string, unknown> {
  return {
    id: me.id,
    isBot: me.is_bot,
    firstName: me.first_name,
    username: me.username,
    canJoinGroups: me.can_join_groups,
    canReadAllGroupMessages: me.can_read_all_group_messages,
    supportsInlineQueries: me.supports_inline_queries,
    hasTopicsEnabled: me.has_topics_enabled ?? false,
  };
}

/** A failed `getMe` as a probe: Telegram's status and description, or the network error. */
export function failedProbe(error: unknown): TelegramProbe {
  const api = apiError(error);
  return {
    ok: false,
    status: api?.error_code ?? null,
    error: api?.description ?? describeApiError('getMe', error),
  };
}

/** `channels.status` with `probe`: `getMe`, then `getWebhookInfo` (a webhook set elsewhere would stop polling). */
export async function probeBot(api: Api, signal: AbortSignal): Promise<TelegramProbe> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let me: UserFromGetMe;
  try {
    me = await api.getMe(apiSignal(signal));
  } catch (error) {
    return { ...failedProbe(error), elapsedMs: elapsed() };
  }
  const probe: TelegramProbe = { ok: true, status: null, error: null, bot: botSummary(me) };
  try {
    const info = await api.getWebhookInfo(apiSignal(signal));
    probe.webhook = { url: info.url || null, hasCustomCert: info.has_custom_certificate ?? null };
  } catch {
    // The bot answered getMe: the probe stands without the webhook detail, as in OpenClaw.
  }
  return { ...probe, elapsedMs: elapsed() };
}
