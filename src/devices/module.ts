import type { GatewayModule } from '../server/registry.ts';
import { gatewayIdentityMethods } from './identity-methods.ts';
import { deviceMethods } from './methods.ts';

export const devicesModule: GatewayModule = {
  id: 'devices',
  methods: { ...gatewayIdentityMethods, ...deviceMethods },
  events: {
    'device.pair.requested': { scope: 'operator.pairing', droppable: true },
    'device.pair.resolved': { scope: 'operator.pairing', droppable: true },
  },
};
