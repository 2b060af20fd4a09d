import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { ChannelAccountContext } from '../channel-types.ts';
import { apiSignal } from './bot-api.ts';
import { describeApiError, isConflict, isUnauthorized, retryAfterSeconds } from './bot-api-errors.ts';
import type { RetryPolicy } from './bot-api-retry.ts';
import { type BotIdentity, inboundFromUpdate } from './inbound-update.ts';
import { readLastUpdateId, writeLastUpdateId } from './polling-offset.ts';

/** Only what starts turns; Telegram remembers this list between calls, so other kinds are never sent to us. */
export const ALLOWED_UPDATES = ['message', 'edited_message'] as const;

export type PollingOptions = {
  api: Api;
  ctx: ChannelAccountContext;
  bot: BotIdentity;
  /** `getUpdates`' long-poll `timeout`: seconds Telegram holds the request open when nothing is waiting. */
  pollTimeoutSeconds: number;
  /** Delay after the first consecutive failure, doubling up to `maxMs`. */
  backoff: { initialMs: number; maxMs: number };
  sleep: RetryPolicy['sleep'];
};

/**
 * Long polling with a persisted position. Each update is handed to `ctx.receive`, which resolves once the
 * gateway holds the message durably; only then is the update's id saved (once per batch) and confirmed to
 * Telegram by the next call's offset. A crash in between re-delivers the update after a restart, and the
 * gateway drops the repeat by its message id: each message is answered once, across restarts and kill -9.
 * Runs until `ctx.signal` aborts; network and API errors are reported and retried with back-off.
 */
export async function pollUpdates(options: PollingOptions): Promise<void> {
  const { api, ctx, bot } = options;
  const { signal } = ctx;
  let last = await readLastUpdateId(ctx.state, bot.id);
  let failures = 0;
  // getMe just answered: the account is connected until a poll fails.
  let connected = true;
  while (!signal.aborted) {
    let updates: Update[];
    try {
      updates = await api.getUpdates(
        {
          ...(last !== undefined ? { offset: last + 1 } : {}),
          timeout: options.pollTimeoutSeconds,
          allowed_updates: [...ALLOWED_UPDATES],
        },
        apiSignal(signal),
      );
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      connected = false;
      await recover(options, error, failures);
      continue;
    }
    if (!connected || failures > 0) {
      connected = true;
      failures = 0;
      ctx.report({ connected: true, lastError: null, lastTransportActivityAt: Date.now() });
    } else {
      ctx.report({ lastTransportActivityAt: Date.now() });
    }
    if (updates.length === 0) continue;
    const accepted = await deliver(options, updates);
    // Only forward: an update served again from below the offset must not move the position back.
    if (accepted === undefined || (last !== undefined && accepted <= last)) continue;
    last = accepted;
    try {
      await writeLastUpdateId(ctx.state, bot.id, accepted);
    } catch (error) {
      // Telegram forgets what the next offset confirms; the messages themselves are already held by the gateway.
      ctx.logger.warn('telegram: could not save the polling position', { error: (error as Error).message });
    }
  }
}

/**
 * Hands a batch over: the messages of one chat (and topic) one after another, in order, different chats at once,
 * so their commits can share the store's group commit. Returns the highest update id below which the gateway
 * took everything (undefined: not even the first); what follows a refused message stays unconfirmed and comes
 * again, where the gateway recognises whatever it already took.
 */
async function deliver(options: PollingOptions, updates: Update[]): Promise<number | undefined> {
  const { ctx, bot } = options;
  const chains = new Map<string, Promise<void>>();
  const outcomes = updates.map((update) => {
    const message = inboundFromUpdate(update, bot);
    if (!message) return Promise.resolve();
    const key = `${message.chatId}:${message.threadId ?? ''}`;
    const previous = chains.get(key) ?? Promise.resolve();
    const taken = previous.then(() => ctx.receive(message));
    chains.set(key, taken);
    return taken;
  });
  const settled = await Promise.allSettled(outcomes);
  let accepted: number | undefined;
  for (const [index, outcome] of settled.entries()) {
    const { update_id } = updates[index];
    if (outcome.status === 'rejected') {
      if (ctx.signal.aborted) break;
      // Not held: leave it (and what follows) unconfirmed, so the next call brings it again.
      const detail = `could not accept update ${update_id}: ${(outcome.reason as Error).message}`;
      ctx.logger.error(`telegram: ${detail}`);
      ctx.report({ lastError: detail });
      await options.sleep(options.backoff.initialMs, ctx.signal).catch(() => {});
      break;
    }
    accepted = Math.max(accepted ?? update_id, update_id);
  }
  return accepted;
}

async function recover(options: PollingOptions, error: unknown, failures: number): Promise<void> {
  const { api, ctx } = options;
  const detail = describeApiError('getUpdates', error);
  ctx.report({ connected: false, lastError: detail });
  if (failures === 1) ctx.logger.warn(`telegram: ${detail}; retrying`);
  if (isConflict(error) && /webhook/i.test(String((error as Error).message))) {
    // A webhook set elsewhere blocks polling; OpenClaw clears it and polls again.
    await api.deleteWebhook({ drop_pending_updates: false }, apiSignal(ctx.signal)).catch(() => {});
  }
  const retryAfter = retryAfterSeconds(error);
  const { initialMs, maxMs } = options.backoff;
  const wait =
    retryAfter !== undefined
      ? retryAfter * 1000
      : isUnauthorized(error)
        ? maxMs
        : Math.min(initialMs * 2 ** (failures - 1), maxMs);
  await options.sleep(wait, ctx.signal).catch(() => {});
}
