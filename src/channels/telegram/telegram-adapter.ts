import type { ChannelAdapter } from '../channel-types.ts';
import { DEFAULT_RETRY_POLICY } from './bot-api-retry.ts';
import type { TelegramRuntimeOptions } from './telegram-account.ts';
import { telegramAccounts, telegramDefaultAccountId } from './telegram-accounts.ts';
import { parseTelegramTarget } from './telegram-target.ts';

export const DEFAULT_TELEGRAM_RUNTIME: TelegramRuntimeOptions = {
  retry: DEFAULT_RETRY_POLICY,
  pollTimeoutSeconds: 30,
  backoff: { initialMs: 1_000, maxMs: 30_000 },
};

/**
 * The Telegram channel: OpenClaw's `channels.telegram` block, a bot per account, long polling. Reading the
 * config is cheap and synchronous; grammY and the polling code load only when an account starts.
 */
export function createTelegramAdapter(runtime: Partial<TelegramRuntimeOptions> = {}): ChannelAdapter {
  const options = { ...DEFAULT_TELEGRAM_RUNTIME, ...runtime };
  return {
    id: 'telegram',
    label: 'Telegram',
    detailLabel: 'Telegram Bot',
    senderIdLabel: 'Telegram user id',
    parseTarget: parseTelegramTarget,
    accounts: telegramAccounts,
    defaultAccountId: telegramDefaultAccountId,
    async start(ctx) {
      const { startTelegramAccount } = await import('./telegram-account.ts');
      return startTelegramAccount(ctx, options);
    },
  };
}

export const telegramAdapter = createTelegramAdapter();
