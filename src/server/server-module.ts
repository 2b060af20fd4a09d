import { controlUiRoute } from './http/control-ui.ts';
import { openAiRoute } from './http/openai-api.ts';
import { probeRoute } from './http/probes.ts';
import { sessionHistoryRoute } from './http/session-history.ts';
import type { GatewayModule } from './registry.ts';
import { discoveryService } from './runtime/discovery/discovery-service.ts';
import { maintenanceService } from './runtime/maintenance.ts';
import { memoryTrimService } from './runtime/memory-trim.ts';
import { retentionService } from './runtime/retention.ts';
import { type UpdateCheckTiming, updateCheckService } from './runtime/update-check.ts';

export type ServerModuleOptions = { updateCheck?: Partial<UpdateCheckTiming> };

/**
 * The network layer's own contributions: the events every client receives, the core HTTP routes and the runtime
 * timers (tick and health, the memory trim, discovery, the retention pass, the update check). A factory: the services hold per-gateway
 * timers. `update.status` and `update.available` are declared by the update namespace (`src/update/module.ts`),
 * which reads what the check leaves on the context.
 */
export const serverModule = (options: ServerModuleOptions = {}): GatewayModule => ({
  id: 'gateway',
  events: {
    tick: { scope: null, droppable: true },
    shutdown: { scope: null },
  },
  routes: [probeRoute, openAiRoute, sessionHistoryRoute, controlUiRoute],
  services: [
    maintenanceService(),
    memoryTrimService(),
    discoveryService(),
    retentionService(),
    updateCheckService(options.updateCheck),
  ],
});
