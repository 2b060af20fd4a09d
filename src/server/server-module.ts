import { controlUiRoute } from './http/control-ui.ts';
import { openAiRoute } from './http/openai-api.ts';
import { probeRoute } from './http/probes.ts';
import { sessionHistoryRoute } from './http/session-history.ts';
import type { GatewayModule } from './registry.ts';
import { maintenanceService } from './runtime/maintenance.ts';

/**
 * The network layer's own contributions: the events every client receives, the core HTTP routes and the
 * maintenance timers. A factory: the service holds per-gateway timers.
 */
export const serverModule = (): GatewayModule => ({
  id: 'gateway',
  events: {
    tick: { scope: null, droppable: true },
    shutdown: { scope: null },
  },
  routes: [probeRoute, openAiRoute, sessionHistoryRoute, controlUiRoute],
  services: [maintenanceService()],
});
