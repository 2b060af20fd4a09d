import type { GatewayModule } from '../../server/registry.ts';
import { environmentMethods } from './methods.ts';

export const environmentsModule: GatewayModule = { id: 'environments', methods: environmentMethods };
