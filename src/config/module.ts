import type { GatewayModule } from '../server/registry.ts';
import { configMethods } from './methods.ts';

export const configModule: GatewayModule = {
  id: 'config',
  methods: configMethods,
  events: { 'config.changed': { scope: 'operator.read' } },
};
