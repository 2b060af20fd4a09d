import type { GatewayModule } from '../server/registry.ts';
import { systemMethods } from './methods.ts';

export const systemModule: GatewayModule = { id: 'system', methods: systemMethods };
