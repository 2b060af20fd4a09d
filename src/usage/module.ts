import type { GatewayModule } from '../server/registry.ts';
import { usageMethods } from './methods.ts';

export const usageModule: GatewayModule = { id: 'usage', methods: usageMethods };
