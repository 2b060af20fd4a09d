import type { GatewayModule } from '../server/registry.ts';
import { updateMethods } from './methods.ts';

/**
 * The update namespace's wire surface. The check itself is a per-gateway service (`server/runtime/update-check.ts`,
 * registered by the server module beside the other runtime timers); this module only declares what it reports.
 */
export const updateModule: GatewayModule = {
  id: 'update',
  methods: updateMethods,
  events: {
    // OpenClaw sends it to every client (no scope) and drops it for a slow one: `update.status` re-reads it.
    'update.available': { scope: null, droppable: true },
  },
};
