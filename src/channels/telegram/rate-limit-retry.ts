import { setTimeout as delay } from 'node:timers/promises';
import { retryAfterSeconds } from './bot-api-errors.ts';

/** How 429 Too Many Requests is honoured; `sleep` is injectable so tests need not wait out `retry_after`. */
export type RetryPolicy = {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** A longer `retry_after` is not waited out: the call fails at once with Telegram's error. */
  maxWaitMs: number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  // A reply held for more than a minute is worse than an error the operator can see.
  maxWaitMs: 60_000,
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal });
  },
};

/**
 * Runs a Bot API call, waiting out a 429's `retry_after` and trying again, at most `maxRetries` times. Only a
 * 429 is retried: Telegram did not act on that request, so a retry cannot duplicate a message; a network error
 * might have been delivered, so it is not retried here.
 */
export async function withRateLimitRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onWait?: (ms: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const seconds = retryAfterSeconds(error);
      if (seconds === undefined || attempt >= policy.maxRetries || seconds * 1000 > policy.maxWaitMs)
        throw error;
      onWait?.(seconds * 1000);
      await policy.sleep(seconds * 1000, signal);
    }
  }
}
