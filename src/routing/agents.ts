import type { AgentConfig, GatewayConfig } from '../config/types.ts';
import { listAgents } from '../gateway/health-snapshot.ts';
import { GatewayError } from '../gateway/protocol/gateway-error.ts';

/** One agent's settings with `agents.defaults` applied: what a run for this agent uses. */
export type ResolvedAgent = {
  id: string;
  name?: string;
  isDefault: boolean;
  /** `provider/model`. */
  model: string;
  fallbacks: string[];
  workspace?: string;
  systemPrompt?: string;
  identity?: AgentConfig['identity'];
};

/**
 * The effective settings of `agentId` (case-insensitive). Per OpenClaw, an agent with its own model gets no
 * fallbacks unless it lists them (`model: {primary, fallbacks}`); one without inherits the defaults' model and
 * fallbacks. An id naming no configured agent (the implicit `main` counts when none is listed) is refused.
 */
export function resolveAgent(config: GatewayConfig, agentId: string): ResolvedAgent {
  const id = agentId.trim().toLowerCase();
  const summary = listAgents(config).find((agent) => agent.id === id);
  if (!summary) {
    throw new GatewayError('INVALID_REQUEST', `unknown agent: ${agentId}`, {
      details: { code: 'UNKNOWN_AGENT_ID', agentId },
    });
  }
  const configured = config.agents.list.find((agent) => agent.id.toLowerCase() === id);
  const defaults = config.agents.defaults;
  const resolved: ResolvedAgent = {
    id,
    isDefault: summary.isDefault,
    model: configured?.model ?? defaults.model,
    fallbacks: [...(configured?.fallbacks ?? (configured?.model ? [] : defaults.fallbacks))],
  };
  const name = configured?.name ?? configured?.identity?.name;
  if (name !== undefined) resolved.name = name;
  const workspace = configured?.workspace ?? defaults.workspace;
  if (workspace !== undefined) resolved.workspace = workspace;
  const systemPrompt = configured?.systemPrompt ?? defaults.systemPrompt;
  if (systemPrompt !== undefined) resolved.systemPrompt = systemPrompt;
  if (configured?.identity && Object.keys(configured.identity).length > 0) {
    resolved.identity = { ...configured.identity };
  }
  return resolved;
}

export function isKnownAgent(config: GatewayConfig, agentId: string): boolean {
  const id = agentId.trim().toLowerCase();
  return listAgents(config).some((agent) => agent.id === id);
}
