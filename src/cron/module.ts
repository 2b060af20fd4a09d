import type { GatewayModule } from '../server/registry.ts';
import { heartbeatMethods } from './heartbeat-methods.ts';
import { cronMethods } from './methods.ts';
import { taskMethods } from './task-methods.ts';

/**
 * Automations: cron jobs, the heartbeat, wake, and the task ledger. The service arms the scheduler in the
 * post-attach phase; `/readyz` waits for it (the seed: ready only once cron is armed).
 */
export const cronModule: GatewayModule = {
  id: 'cron',
  methods: { ...cronMethods, ...taskMethods, ...heartbeatMethods },
  events: {
    cron: { scope: 'operator.read', droppable: true },
    task: { scope: 'operator.read', droppable: true },
    heartbeat: { scope: null, droppable: true },
  },
  services: [
    {
      name: 'cron',
      phase: 'post-attach',
      requiredForReady: true,
      start: (ctx) => ctx.automation.start(ctx.config),
      stop: (ctx) => ctx.automation.stop(),
    },
  ],
};
