import type { GatewayModule } from '../server/registry.ts';
import { presenceMethods } from './methods.ts';

export const presenceModule: GatewayModule = {
  id: 'presence',
  methods: presenceMethods,
  events: { presence: { scope: 'operator.read', droppable: true, stateVersion: true } },
};
