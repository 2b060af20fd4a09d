import { agentMethods } from './agent.ts';
import { agentsMethods } from './agents.ts';
import { chatMethods } from './chat.ts';
import { configMethods } from './config.ts';
import { deviceMethods } from './devices.ts';
import { gatewayIdentityMethods } from './gateway-identity.ts';
import { healthMethods } from './health.ts';
import { logsMethods } from './logs.ts';
import { modelsMethods } from './models.ts';
import { presenceMethods } from './presence.ts';
import type { MethodRegistry } from './registry.ts';
import { sessionsMethods } from './sessions.ts';

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
