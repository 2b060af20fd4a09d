import { agentsMethods } from '../agents/methods.ts';
import { modelsMethods } from '../agents/model-catalog.ts';
import { agentMethods } from '../chat/agent-methods.ts';
import { chatMethods } from '../chat/methods.ts';
import { configMethods } from '../config/methods.ts';
import { gatewayIdentityMethods } from '../devices/identity-methods.ts';
import { deviceMethods } from '../devices/methods.ts';
import { healthMethods } from '../health/methods.ts';
import { logsMethods } from '../logging/methods.ts';
import { presenceMethods } from '../presence/methods.ts';
import { sessionsMethods } from '../sessions/methods.ts';
import type { MethodRegistry } from './method-registry.ts';

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
  // ⏳ methods answer UNAVAILABLE until start-up finished (protocol.md §6); † ones are callable, not advertised.
  registry.registerTable(chatMethods, {
    'chat.send': { requiresReady: true },
    'chat.history': { requiresReady: true },
    'chat.metadata': { requiresReady: true },
    'chat.inject': { hidden: true },
  });
  registry.registerTable(sessionsMethods, {
    'sessions.list': { requiresReady: true },
    'sessions.subscribe': { requiresReady: true },
    'sessions.send': { requiresReady: true },
    'sessions.abort': { requiresReady: true },
    'sessions.create': { requiresReady: true },
    'sessions.resolve': { hidden: true },
    'sessions.get': { hidden: true },
    'sessions.usage': { hidden: true },
  });
  registry.registerTable(agentMethods, {
    agent: { requiresReady: true },
    'agent.wait': { requiresReady: true },
  });
}
