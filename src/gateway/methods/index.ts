import { agentsMethods } from './agents.ts';
import { configMethods } from './config.ts';
import { deviceMethods } from './devices.ts';
import { gatewayIdentityMethods } from './gateway-identity.ts';
import { healthMethods } from './health.ts';
import { logsMethods } from './logs.ts';
import { modelsMethods } from './models.ts';
import { presenceMethods } from './presence.ts';
import type { MethodRegistry } from './registry.ts';

/** Assembles the core's flat method map. */
export function registerCoreMethods(registry: MethodRegistry): void {
  registry.registerTable(healthMethods);
  registry.registerTable(presenceMethods);
  registry.registerTable(logsMethods);
  registry.registerTable(configMethods);
  registry.registerTable(agentsMethods);
  registry.registerTable(modelsMethods, { 'models.list': { requiresReady: true } });
  registry.registerTable(gatewayIdentityMethods);
  registry.registerTable(deviceMethods);
}
