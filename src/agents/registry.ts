import { DEFAULT_AGENT_ID } from '../config/defaults.ts';
import type { AgentConfig, GatewayConfig } from '../config/types.ts';
import { GatewayError } from '../protocol/gateway-error.ts';

export type AgentSummary = { id: string; name?: string; isDefault: boolean };

/** The configured agents with the default resolved: the flagged one, else the first, else `main`. */
export function listAgents(config: GatewayConfig): AgentSummary[] {
  const list = config.agents.list;
  if (list.length === 0) return [{ id: DEFAULT_AGENT_ID, isDefault: true }];
  const flagged = list.find((agent) => agent.default) ?? list[0];
  return list.map((agent) => ({
    id: agent.id.toLowerCase(),
    name: agent.name,
    isDefault: agent === flagged,
  }));
}

export function defaultAgentId(config: GatewayConfig): string {
  return listAgents(config).find((agent) => agent.isDefault)?.id ?? DEFAULT_AGENT_ID;
}

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
