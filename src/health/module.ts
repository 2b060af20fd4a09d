import type { GatewayModule } from '../server/registry.ts';
import { healthMethods } from './methods.ts';

export const healthModule: GatewayModule = {
  id: 'health',
  methods: healthMethods,
  events: {
    health: { scope: null, droppable: true, stateVersion: true },
    // `heartbeat` registers with the heartbeat runner that emits it, not before.
  },
};
