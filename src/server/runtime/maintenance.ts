import { anyChanged } from '../../config/diff.ts';
import type { GatewayContext } from '../context.ts';
import type { ServiceDefinition } from '../registry.ts';

const INTERVAL_KEYS = ['gateway.limits.tickIntervalMs', 'gateway.limits.healthRefreshMs'];

/**
 * `tick` and the health refresh: one `unref`ed interval each, rescheduled when their config changes. A fresh
 * service per gateway, so two gateways in one process (tests) never share timers.
 */
export function maintenanceService(): ServiceDefinition {
  let tick: NodeJS.Timeout | undefined;
  let refresh: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const stopTimers = () => {
    clearInterval(tick);
    clearInterval(refresh);
  };
  const startTimers = (ctx: GatewayContext) => {
    const { tickIntervalMs, healthRefreshMs } = ctx.configState.config.gateway.limits;
    tick = setInterval(() => ctx.events.broadcast('tick', { ts: ctx.now() }), tickIntervalMs);
    tick.unref();
    refresh = setInterval(() => {
      const snapshot = ctx.refreshHealth();
      ctx.health.bumpHealth();
      ctx.events.broadcast('health', snapshot);
    }, healthRefreshMs);
    refresh.unref();
  };

  return {
    name: 'maintenance',
    phase: 'early-runtime',
    start(ctx) {
      startTimers(ctx);
      unsubscribe = ctx.config.subscribe((change) => {
        if (!anyChanged(change.before, change.after, INTERVAL_KEYS)) return;
        stopTimers();
        startTimers(ctx);
      });
    },
    stop() {
      unsubscribe?.();
      stopTimers();
    },
  };
}
