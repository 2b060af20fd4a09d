import type { GatewayModule } from '../server/registry.ts';
import { logsMethods } from './methods.ts';

export const loggingModule: GatewayModule = { id: 'logs', methods: logsMethods };
