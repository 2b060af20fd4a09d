import { AUTH_LOOPBACK_DELAY_MAX_MS, AUTH_LOOPBACK_DELAY_MIN_MS } from '../../config/limits.ts';

export type RateLimitSettings = {
  maxAttempts: number;
  windowMs: number;
  lockoutMs: number;
  exemptLoopback: boolean;
};

type Entry = { failures: number[]; lockedUntil: number; streak: number };

export type RateLimitVerdict = { locked: false; delayMs: number } | { locked: true; retryAfterMs: number };

/** Entries kept before the oldest idle ones are pruned; bounds memory under a spoofed-source storm. */
const MAX_TRACKED_SOURCES = 10_000;

/**
 * Failed-auth limiter (protocol.md §5): N failures in a window lock the source out; loopback is never locked
 * out but each consecutive failure there delays the answer, growing from 250 ms to 5 s. Browser origins are
 * keyed by Origin and always limited. No timers: entries carry timestamps and are pruned on access.
 */
export class FailedAuthLimiter {
  #entries = new Map<string, Entry>();
  #settings: RateLimitSettings;
  #now: () => number;

  constructor(settings: RateLimitSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  updateSettings(settings: RateLimitSettings): void {
    this.#settings = settings;
  }

  /** Called before checking credentials: is this source locked out right now? */
  check(key: string, loopback: boolean): RateLimitVerdict {
    const entry = this.#entries.get(key);
    if (!entry) return { locked: false, delayMs: 0 };
    const now = this.#now();
    if (!this.#exempt(loopback) && entry.lockedUntil > now)
      return { locked: true, retryAfterMs: entry.lockedUntil - now };
    return { locked: false, delayMs: 0 };
  }

  /** Records a failure; returns how long to delay the answer (loopback) or the new lockout. */
  fail(key: string, loopback: boolean): RateLimitVerdict {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry) {
      if (this.#entries.size >= MAX_TRACKED_SOURCES) this.#prune(now);
      entry = { failures: [], lockedUntil: 0, streak: 0 };
      this.#entries.set(key, entry);
    }
    const { windowMs, maxAttempts, lockoutMs } = this.#settings;
    entry.failures = entry.failures.filter((t) => now - t < windowMs);
    entry.failures.push(now);
    entry.streak += 1;
    if (this.#exempt(loopback)) {
      const delayMs = Math.min(
        AUTH_LOOPBACK_DELAY_MAX_MS,
        AUTH_LOOPBACK_DELAY_MIN_MS * 2 ** (entry.streak - 1),
      );
      return { locked: false, delayMs };
    }
    if (entry.failures.length >= maxAttempts) {
      entry.lockedUntil = now + lockoutMs;
      entry.failures = [];
      return { locked: true, retryAfterMs: lockoutMs };
    }
    return { locked: false, delayMs: 0 };
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }

  #exempt(loopback: boolean): boolean {
    return loopback && this.#settings.exemptLoopback;
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.lockedUntil < now && entry.failures.every((t) => now - t >= this.#settings.windowMs)) {
        this.#entries.delete(key);
      }
    }
    if (this.#entries.size >= MAX_TRACKED_SOURCES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
