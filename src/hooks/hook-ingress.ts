import { HOOK_AUTH_LOCKOUT_MS, HOOK_AUTH_MAX_ATTEMPTS, HOOK_AUTH_WINDOW_MS } from '../config/limits.ts';
import { FailedAuthLimiter } from '../server/auth/rate-limit.ts';

/** What `hooks.status` reports of the requests since the gateway started. */
export type HookRequestStats = {
  /** Every request under the hooks path, by how it was answered. */
  requests: { total: number; accepted: number; rejected: number; unauthorized: number; throttled: number };
  lastRequestAtMs?: number;
  lastAcceptedAtMs?: number;
  /** The newest refusal (never a token; the text the sender was answered with). */
  lastError?: { status: number; error: string; atMs: number };
};

type ActiveRun = { runId: string; sessionKey: string };

/**
 * One gateway's webhook state, built with the gateway (a Map and a few counters; the request pipeline itself
 * loads on the first webhook request): its own failed-auth limiter, never the gateway's, so a sender guessing
 * hook tokens cannot lock operators out nor the reverse; the counters `hooks.status` reports; and the work in
 * flight, so `tasks.cancel` can stop a hook run and `close()` waits for every run's task to be recorded.
 */
export class HookIngress {
  readonly #limiter = new FailedAuthLimiter({
    maxAttempts: HOOK_AUTH_MAX_ATTEMPTS,
    windowMs: HOOK_AUTH_WINDOW_MS,
    lockoutMs: HOOK_AUTH_LOCKOUT_MS,
    exemptLoopback: false,
  });
  readonly #stats: HookRequestStats = {
    requests: { total: 0, accepted: 0, rejected: 0, unauthorized: 0, throttled: 0 },
  };
  /** taskId → the chat run behind it. */
  readonly #runs = new Map<string, ActiveRun>();
  readonly #pending = new Set<Promise<unknown>>();
  #unsubscribe: (() => void) | undefined;

  /** Asked only for a wrong or missing token (a valid one always passes): ms the source must still wait. */
  lockedFor(source: string): number | undefined {
    const verdict = this.#limiter.check(source, false);
    return verdict.locked ? verdict.retryAfterMs : undefined;
  }

  failed(source: string): void {
    this.#limiter.fail(source, false);
  }

  /** A valid token clears the source's failures (OpenClaw's rule). */
  authorized(source: string): void {
    this.#limiter.succeed(source);
  }

  /** Counts an answered request by its status. */
  record(status: number, now: number, error?: string): void {
    const { requests } = this.#stats;
    requests.total += 1;
    this.#stats.lastRequestAtMs = now;
    if (status < 300) {
      requests.accepted += 1;
      this.#stats.lastAcceptedAtMs = now;
      return;
    }
    if (status === 401) requests.unauthorized += 1;
    else if (status === 429) requests.throttled += 1;
    else requests.rejected += 1;
    this.#stats.lastError = { status, error: error ?? String(status), atMs: now };
  }

  stats(): HookRequestStats {
    return structuredClone(this.#stats);
  }

  /** Work that must finish (and write what it writes) before the store closes. */
  background(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** A hook agent run: cancellable by its task id until `work` (the run and its bookkeeping) settles. */
  trackRun(taskId: string, run: ActiveRun, work: Promise<unknown>): void {
    this.#runs.set(taskId, run);
    this.background(work.finally(() => this.#runs.delete(taskId)));
  }

  /** `tasks.cancel` for a hook run here: false when it is not running in this gateway. */
  cancel(taskId: string, abort: (sessionKey: string, runId: string) => boolean): boolean {
    const run = this.#runs.get(taskId);
    return run !== undefined && abort(run.sessionKey, run.runId);
  }

  /** The hooks service's config subscription, dropped by `close`. */
  attach(unsubscribe: () => void): void {
    this.#unsubscribe = unsubscribe;
  }

  /** Waits for the work in flight (the chat pipeline has aborted its turns by then). Safe to call twice. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
