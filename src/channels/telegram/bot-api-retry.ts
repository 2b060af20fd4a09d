import { setTimeout as delay } from 'node:timers/promises';
import { apiError, retryAfterSeconds } from './bot-api-errors.ts';

/**
 * OpenClaw's retry envelope for Telegram calls: 3 attempts, 400 ms doubling to 30 s with 10 % jitter, Telegram's
 * `retry_after` when it gives one. `sleep` and `random` are injectable so tests need not wait.
 */
export type RetryPolicy = {
  /** Attempts in all, the first included. */
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** A 429 asking for longer is not waited out: the call fails at once with Telegram's error. */
  maxRetryAfterMs: number;
  jitter: number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  minDelayMs: 400,
  maxDelayMs: 30_000,
  // A reply held for more than a minute is worse than an error the operator can see.
  maxRetryAfterMs: 60_000,
  jitter: 0.1,
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal });
  },
  random: Math.random,
};

/**
 * How long to wait before trying again, or undefined when the error is final: a 429 (its `retry_after`), a 5xx
 * (Telegram temporarily unavailable) or a network failure (reset, refused, timed out) is transient, as OpenClaw
 * treats them; any other answer from Telegram (400 chat not found, 403 blocked by the user) is not.
 */
export function retryDelayMs(error: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) {
    return retryAfter * 1000 > policy.maxRetryAfterMs ? undefined : retryAfter * 1000;
  }
  const api = apiError(error);
  if (api && api.error_code < 500) return undefined;
  const base = Math.min(policy.minDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.round(base * (1 + policy.jitter * (2 * policy.random() - 1)));
}

/**
 * Runs a Bot API call in the retry envelope. A 429 cannot duplicate a message (Telegram did not act on it); after
 * a connection reset it might have, which OpenClaw accepts to not lose the reply.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait =
        attempt < policy.attempts && !signal?.aborted ? retryDelayMs(error, attempt, policy) : undefined;
      if (wait === undefined) throw error;
      await policy.sleep(wait, signal);
    }
  }
}
