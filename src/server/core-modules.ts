import { approvalsModule } from '../agents/approvals/module.ts';
import { memoryModule } from '../agents/memory/module.ts';
import { agentsModule } from '../agents/module.ts';
import { toolsModule } from '../agents/tools/module.ts';
import { channelsModule } from '../channels/module.ts';
import { telegramModule } from '../channels/telegram/module.ts';
import { webhookChannelModule } from '../channels/webhook/module.ts';
import { chatModule } from '../chat/module.ts';
import { configModule } from '../config/module.ts';
import { cronModule } from '../cron/module.ts';
import { environmentsModule } from '../devices/environments/module.ts';
import { devicesModule } from '../devices/module.ts';
import { nodesModule } from '../devices/nodes/module.ts';
import { healthModule } from '../health/module.ts';
import { hooksModule } from '../hooks/module.ts';
import { loggingModule } from '../logging/module.ts';
import { pluginsModule } from '../plugins/module.ts';
import { presenceModule } from '../presence/module.ts';
import { sessionsModule } from '../sessions/module.ts';
import { systemModule } from '../system/module.ts';
import { updateModule } from '../update/module.ts';
import { usageModule } from '../usage/module.ts';
import type { OperatorScope } from './authz/scopes.ts';
import type { GatewayModule } from './registry.ts';

/**
 * The core namespaces, each a module registered the way a plugin's is. The network layer's own module (tick,
 * shutdown, HTTP routes) is `server-module.ts`; it is kept apart so `clawgate call` can read method access
 * without loading HTTP.
 */
export const CORE_MODULES: readonly GatewayModule[] = [
  healthModule,
  systemModule,
  presenceModule,
  loggingModule,
  configModule,
  agentsModule,
  approvalsModule,
  devicesModule,
  nodesModule,
  environmentsModule,
  chatModule,
  sessionsModule,
  usageModule,
  cronModule,
  updateModule,
  hooksModule,
  channelsModule,
  webhookChannelModule,
  pluginsModule,
  telegramModule,
  memoryModule,
  toolsModule,
];

/** The one scope `clawgate call` asks for: what the core method declares, admin for a method it does not know. */
export function leastPrivilegeScope(method: string): OperatorScope | undefined {
  for (const module of CORE_MODULES) {
    const definition = module.methods?.[method];
    if (definition) return 'scope' in definition.access ? (definition.access.scope ?? undefined) : undefined;
  }
  return 'operator.admin';
}
