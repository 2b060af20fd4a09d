import { anyChanged } from '../../config/diff.ts';
import {
  UPDATE_CHECK_INITIAL_DELAY_MS,
  UPDATE_CHECK_INTERVAL_MS,
  UPDATE_CHECK_MAX_BYTES,
  UPDATE_CHECK_TIMEOUT_MS,
} from '../../config/limits.ts';
import { readCheckRecord, writeCheckRecord } from '../../update/check-record.ts';
import { fetchLatestVersion } from '../../update/latest-version.ts';
import { isNewerRelease } from '../../update/semver.ts';
import {
  sameUpdateAvailable,
  type UpdateAvailable,
  updateCheckOffSwitch,
} from '../../update/update-status.ts';
import type { GatewayContext } from '../context.ts';
import type { ServiceDefinition } from '../registry.ts';

/** When the check first runs, how often after that, and how long one request may take (tests shorten them). */
export type UpdateCheckTiming = { initialDelayMs: number; intervalMs: number; timeoutMs: number };

const UPDATE_KEYS = ['update'];

/** The URL as logged: a password in it (a private mirror's) never reaches the log file. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * The update check: the newest published clawgate version from `update.registryUrl`, compared with the running
 * one, reported by `update.status` (through `ctx.updateAvailable`) and announced by `update.available` when it
 * changes. Never on the start-up path: start only arms an `unref`ed timer. Never fatal: a failed request is
 * logged and retried at the next interval. Off, with no request ever, under `update.checkOnStart: false` or an
 * off switch in the environment. A fresh service per gateway, so two gateways in one process never share a timer.
 */
export function updateCheckService(timing: Partial<UpdateCheckTiming> = {}): ServiceDefinition {
  const initialDelayMs = timing.initialDelayMs ?? UPDATE_CHECK_INITIAL_DELAY_MS;
  const intervalMs = timing.intervalMs ?? UPDATE_CHECK_INTERVAL_MS;
  const timeoutMs = timing.timeoutMs ?? UPDATE_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  /** The request in flight; aborted by stop and by a config change, so neither waits on the registry. */
  let request: AbortController | undefined;
  let unsubscribe: (() => void) | undefined;
  /** The failure last logged at warn: the same one again (an offline host, daily) goes to debug. */
  let lastFailure: string | undefined;

  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
    request?.abort();
    request = undefined;
  };
  const arm = (ctx: GatewayContext, delayMs: number) => {
    timer = setTimeout(() => {
      // Nothing escapes the timer: a bug here is logged, never an unhandled rejection that ends the process.
      check(ctx).catch((error: Error) => ctx.logger.error('update check failed', { error: error.stack }));
    }, delayMs);
    timer.unref();
  };

  const report = (ctx: GatewayContext, latestVersion: string | undefined) => {
    const { channel } = ctx.configState.config.update;
    const next: UpdateAvailable | null =
      latestVersion !== undefined && isNewerRelease(latestVersion, ctx.version, channel)
        ? { currentVersion: ctx.version, latestVersion, channel }
        : null;
    if (sameUpdateAvailable(ctx.updateAvailable, next)) return;
    ctx.updateAvailable = next;
    if (next) ctx.logger.info(`clawgate ${next.latestVersion} is available (running ${next.currentVersion})`);
    // OpenClaw's payload: `{updateAvailable}`; null withdraws an earlier notice (the check turned off, a channel change).
    ctx.events.broadcast('update.available', { updateAvailable: next });
  };

  const check = async (ctx: GatewayContext) => {
    timer = undefined;
    const { registryUrl } = ctx.configState.config.update;
    const now = ctx.now();
    const record = readCheckRecord(ctx.paths.stateDir);
    const known = record?.registryUrl === registryUrl ? record : undefined;
    const age = known ? now - known.checkedAtMs : Number.POSITIVE_INFINITY;
    // A recent attempt (this process's or a previous one's) stands; a record from the future is a clock change.
    if (known && age >= 0 && age < intervalMs) {
      report(ctx, known.latestVersion);
      arm(ctx, intervalMs - age);
      return;
    }
    const controller = new AbortController();
    request = controller;
    let latestVersion = known?.latestVersion;
    try {
      latestVersion = await fetchLatestVersion(registryUrl, {
        timeoutMs,
        maxBytes: UPDATE_CHECK_MAX_BYTES,
        signal: controller.signal,
        userAgent: `clawgate/${ctx.version}`,
      });
      lastFailure = undefined;
    } catch (error) {
      // Stopped, or re-armed by a config change: that path owns what happens next.
      if (controller.signal.aborted) return;
      const reason = (error as Error).message;
      const level = reason === lastFailure ? 'debug' : 'warn';
      lastFailure = reason;
      ctx.logger[level](`update check failed: ${withoutCredentials(registryUrl)}: ${reason}`);
    }
    if (controller.signal.aborted) return;
    request = undefined;
    try {
      // Failures are recorded too: a gateway restarting in a loop must not ask the registry on every start.
      writeCheckRecord(ctx.paths.stateDir, {
        checkedAtMs: now,
        registryUrl,
        ...(latestVersion !== undefined ? { latestVersion } : {}),
      });
    } catch (error) {
      ctx.logger.warn(`update check could not save its record: ${(error as Error).message}`);
    }
    report(ctx, latestVersion);
    arm(ctx, intervalMs);
  };

  /** (Re)arms from the live config: off clears the report, on checks after the initial delay. */
  const apply = (ctx: GatewayContext) => {
    disarm();
    if (ctx.configState.config.update.checkOnStart) arm(ctx, initialDelayMs);
    else report(ctx, undefined);
  };

  return {
    name: 'update-check',
    phase: 'post-attach',
    start(ctx) {
      // The environment is fixed for the life of the process: with an off switch there is nothing to re-arm.
      const offSwitch = updateCheckOffSwitch(ctx.env);
      if (offSwitch) {
        ctx.logger.debug(`update check off: ${offSwitch} is set`);
        return;
      }
      apply(ctx);
      unsubscribe = ctx.config.subscribe((change) => {
        if (anyChanged(change.before, change.after, UPDATE_KEYS)) apply(ctx);
      });
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      disarm();
    },
  };
}
