import { controlUiRoute } from './http/control-ui.ts';
import { openAiRoute } from './http/openai-api.ts';
import { probeRoute } from './http/probes.ts';
import { sessionHistoryRoute } from './http/session-history.ts';
import type { GatewayModule } from './registry.ts';
import { maintenanceService } from './runtime/maintenance.ts';
import { retentionService } from './runtime/retention.ts';

/**
 * The network layer's own contributions: the events every client receives, the core HTTP routes, the
 * maintenance timers (tick, health) and the retention pass. A factory: the services hold per-gateway timers.
 */
export const serverModule = (): GatewayModule => ({
  id: 'gateway',
  events: {
    tick: { scope: null, droppable: true },
    shutdown: { scope: null },
  },
  routes: [probeRoute, openAiRoute, sessionHistoryRoute, controlUiRoute],
  services: [maintenanceService(), retentionService()],
});
