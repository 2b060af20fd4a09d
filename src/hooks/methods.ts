import { resolveAgent } from '../agents/registry.ts';
import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { hooksStatus } from './status.ts';

export const hooksMethods = defineMethods({
  /**
   * OpenClaw answers its internal event hooks (HOOK.md handlers) here; clawgate has none, so `hooks` is an empty
   * list, and `webhooks` says what it does have: the HTTP endpoints, their mappings and what they have served.
   */
  'hooks.status': {
    access: READ,
    handler: (params, { gateway }) => {
      const config = gateway.configState.config;
      const agentId = params.agentId === undefined ? undefined : resolveAgent(config, params.agentId).id;
      return hooksStatus(config, gateway.hooks.stats(), agentId);
    },
  },
});
