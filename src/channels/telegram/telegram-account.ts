import type { UserFromGetMe } from 'grammy/types';
import type { ChannelAccountContext, ChannelAccountHandle } from '../channel-types.ts';
import { apiSignal, type BotApiClient, createBotApiClient } from './bot-api.ts';
import { apiError, describeApiError, isUnauthorized } from './bot-api-errors.ts';
import { type RetryPolicy, withRetry } from './bot-api-retry.ts';
import type { BotIdentity } from './inbound-update.ts';
import { commandMenu } from './native-commands.ts';
import { pollUpdates } from './polling-loop.ts';
import type { TelegramSettings } from './telegram-accounts.ts';
import { telegramOutbound } from './telegram-outbound.ts';
import { botSummary, failedProbe, probeBot } from './telegram-probe.ts';

/** How an account talks to Telegram; tests shorten the waits. */
export type TelegramRuntimeOptions = {
  retry: RetryPolicy;
  /** `getUpdates`' long-poll timeout, seconds (grammY's and OpenClaw's 30). */
  pollTimeoutSeconds: number;
  backoff: { initialMs: number; maxMs: number };
};

/** Every call may take this long beyond the long poll before grammY aborts it. */
const CALL_MARGIN_SECONDS = 15;

class StartupError extends Error {}

/**
 * Starts one bot: `getMe` (a refused token fails the start, so the account shows as failed while the gateway
 * runs on), the command menu, webhook removal (polling and a webhook exclude each other), then long polling in
 * the background. A network failure at start is not fatal: the account reports it and keeps trying.
 */
export async function startTelegramAccount(
  ctx: ChannelAccountContext,
  options: TelegramRuntimeOptions,
): Promise<ChannelAccountHandle> {
  const settings = ctx.account.settings as TelegramSettings;
  if (!settings.token) {
    throw new Error(
      'telegram: no bot token: set channels.telegram.botToken, tokenFile or TELEGRAM_BOT_TOKEN',
    );
  }
  if (settings.ignoredKeys.length > 0) {
    ctx.logger.warn(
      `telegram: OpenClaw settings clawgate does not implement are ignored: ${settings.ignoredKeys.join(', ')}`,
      { accountId: ctx.account.accountId },
    );
  }
  const stopping = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stopping.signal]);
  const client = await createBotApiClient(
    settings.token,
    settings.apiRoot,
    options.pollTimeoutSeconds + CALL_MARGIN_SECONDS,
  );
  const account: ChannelAccountContext = { ...ctx, signal };
  let bot: BotIdentity | undefined;
  try {
    bot = await identify(account, client, options);
    await prepare(account, client, settings, options);
  } catch (error) {
    if (error instanceof StartupError || signal.aborted) {
      client.close();
      throw error;
    }
    bot = undefined;
    ctx.report({ connected: false, lastError: (error as Error).message });
    ctx.logger.warn(`telegram: ${(error as Error).message}; retrying in the background`);
  }
  const running = run(account, client, settings, options, bot).catch((error: unknown) => {
    ctx.logger.error('telegram: polling stopped', { error: (error as Error).message });
    ctx.report({ connected: false, lastError: `polling stopped: ${(error as Error).message}` });
  });
  const outbound = telegramOutbound(client.api, options.retry, signal, ctx.deadLetter?.bind(ctx));
  let stopped: Promise<void> | undefined;
  return {
    send: outbound.send,
    edit: outbound.edit,
    typing: outbound.typing,
    probe: () => probeBot(client.api, signal),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await running;
        client.close();
        ctx.report({ connected: false });
      })();
      return stopped;
    },
  };
}

/** The start-up steps a network failure interrupted, retried with back-off, then polling until stopped. */
async function run(
  ctx: ChannelAccountContext,
  client: BotApiClient,
  settings: TelegramSettings,
  options: TelegramRuntimeOptions,
  known: BotIdentity | undefined,
): Promise<void> {
  let bot = known;
  for (let failures = 1; bot === undefined; failures++) {
    await options.retry
      .sleep(Math.min(options.backoff.initialMs * 2 ** (failures - 1), options.backoff.maxMs), ctx.signal)
      .catch(() => {});
    if (ctx.signal.aborted) return;
    try {
      bot = await identify(ctx, client, options);
      await prepare(ctx, client, settings, options);
    } catch (error) {
      if (ctx.signal.aborted) return;
      bot = undefined;
      ctx.report({ connected: false, lastError: (error as Error).message });
    }
  }
  await pollUpdates({
    api: client.api,
    ctx,
    bot,
    pollTimeoutSeconds: options.pollTimeoutSeconds,
    backoff: options.backoff,
    sleep: options.retry.sleep,
  });
}

/** `getMe`: who the bot is, reported as OpenClaw's probe (`probe.bot.username` is what the Control UI shows). */
async function identify(
  ctx: ChannelAccountContext,
  client: BotApiClient,
  options: TelegramRuntimeOptions,
): Promise<BotIdentity> {
  let me: UserFromGetMe;
  try {
    me = await withRetry(() => client.api.getMe(apiSignal(ctx.signal)), options.retry, ctx.signal);
  } catch (error) {
    const api = apiError(error);
    const unauthorized = isUnauthorized(error);
    const detail = unauthorized
      ? `getMe failed: ${api?.error_code} ${api?.description}: Telegram rejected the bot token (unauthorized); set the current BotFather token in botToken, tokenFile or TELEGRAM_BOT_TOKEN`
      : describeApiError('getMe', error);
    ctx.report({
      connected: false,
      lastError: detail,
      fields: { probe: failedProbe(error), lastProbeAt: Date.now() },
    });
    throw unauthorized ? new StartupError(`telegram: ${detail}`) : new Error(detail);
  }
  ctx.report({
    connected: true,
    lastError: null,
    lastTransportActivityAt: Date.now(),
    fields: {
      botUsername: me.username,
      botId: me.id,
      lastProbeAt: Date.now(),
      probe: { ok: true, status: null, error: null, bot: botSummary(me) },
    },
  });
  return { id: me.id, username: me.username };
}

/**
 * The command menu and webhook removal. Only a refused token stops the start here (OpenClaw: `deleteWebhook`
 * answering 401 is the same bad token); a menu Telegram rejects is logged and polling goes on.
 */
async function prepare(
  ctx: ChannelAccountContext,
  client: BotApiClient,
  settings: TelegramSettings,
  options: TelegramRuntimeOptions,
): Promise<void> {
  const { api } = client;
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, options.retry, ctx.signal);
  const menu = commandMenu(settings.nativeCommands, settings.customCommands);
  if (menu.skipped.length > 0) {
    ctx.logger.warn(
      `telegram: customCommands skipped (invalid, duplicate or native): ${menu.skipped.join(', ')}`,
    );
  }
  try {
    if (menu.commands.length > 0)
      await retry(() => api.setMyCommands(menu.commands, {}, apiSignal(ctx.signal)));
    else await retry(() => api.deleteMyCommands({}, apiSignal(ctx.signal)));
  } catch (error) {
    if (isUnauthorized(error))
      throw new StartupError(`telegram: ${describeApiError('setMyCommands', error)}`);
    if (apiError(error) === undefined) throw new Error(describeApiError('setMyCommands', error));
    ctx.logger.warn(`telegram: ${describeApiError('setMyCommands', error)}`);
  }
  try {
    await retry(() => api.deleteWebhook({ drop_pending_updates: false }, apiSignal(ctx.signal)));
  } catch (error) {
    if (isUnauthorized(error))
      throw new StartupError(`telegram: ${describeApiError('deleteWebhook', error)}`);
    // Still set, the webhook shows up as a getUpdates conflict, which the poller clears and retries.
    ctx.logger.warn(`telegram: ${describeApiError('deleteWebhook', error)}`);
  }
}
