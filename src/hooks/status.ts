import type { GatewayConfig } from '../config/types.ts';
import type { HookRequestStats } from './hook-ingress.ts';

export type HookMappingStatus = {
  id: string;
  action: 'wake' | 'agent';
  path?: string;
  source?: string;
  name?: string;
  agentId?: string;
};

export type HooksStatus = {
  /** OpenClaw's internal event hooks; clawgate runs none, so always empty (not a list of missing features). */
  hooks: never[];
  webhooks: {
    enabled: boolean;
    path: string;
    /** What POST answers under `path` while enabled: the direct endpoints, then one per mapping with a path. */
    endpoints: string[];
    mappings: HookMappingStatus[];
    allowRequestSessionKey: boolean;
    /** With `agentId`: whether `hooks.allowedAgentIds` lets a webhook run that agent. */
    agentAllowed?: boolean;
  } & HookRequestStats;
};

export function hooksStatus(config: GatewayConfig, stats: HookRequestStats, agentId?: string): HooksStatus {
  const { hooks } = config;
  const mappings = hooks.mappings.map((mapping, index): HookMappingStatus => {
    const path = mapping.match?.path?.replace(/^\/+/, '').replace(/\/+$/, '');
    return {
      id: mapping.id ?? `mapping-${index + 1}`,
      action: mapping.action ?? 'agent',
      ...(path ? { path } : {}),
      ...(mapping.match?.source ? { source: mapping.match.source } : {}),
      ...(mapping.name ? { name: mapping.name } : {}),
      ...(mapping.agentId ? { agentId: mapping.agentId.toLowerCase() } : {}),
    };
  });
  const allowed = hooks.allowedAgentIds;
  return {
    hooks: [],
    webhooks: {
      enabled: hooks.enabled,
      path: hooks.path,
      endpoints: [
        `${hooks.path}/wake`,
        `${hooks.path}/agent`,
        ...mappings.flatMap((mapping) => (mapping.path ? [`${hooks.path}/${mapping.path}`] : [])),
      ],
      mappings,
      allowRequestSessionKey: hooks.allowRequestSessionKey,
      ...(agentId === undefined
        ? {}
        : {
            agentAllowed:
              !allowed || allowed.includes('*') || allowed.some((id) => id.toLowerCase() === agentId),
          }),
      ...stats,
    },
  };
}
