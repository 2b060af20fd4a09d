import { ConfigError } from '../config/config-error.ts';

/** The scheduler lease: how long a claim holds, and how often the holder renews it (a third of that). */
export type LeaseTiming = { ttlMs: number; renewMs: number };

export const LEASE_ENV = 'CLAWGATE_CRON_LEASE_MS';
const MIN_LEASE_MS = 300;
const MAX_LEASE_MS = 3_600_000;

/**
 * `CLAWGATE_CRON_LEASE_MS`: the lease in ms instead of the default 30 s, renewed every third of it. A standby
 * gateway takes over this long after the leader died; tests of the hand-over between two processes shorten it.
 * Undefined when unset (the defaults apply).
 */
export function leaseTimingFromEnv(env: NodeJS.ProcessEnv): LeaseTiming | undefined {
  const raw = env[LEASE_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ttlMs = Number(raw);
  if (!/^\d+$/.test(raw) || ttlMs < MIN_LEASE_MS || ttlMs > MAX_LEASE_MS) {
    throw new ConfigError(`${LEASE_ENV} must be milliseconds ${MIN_LEASE_MS}-${MAX_LEASE_MS}, got "${raw}"`);
  }
  return { ttlMs, renewMs: Math.max(100, Math.floor(ttlMs / 3)) };
}
