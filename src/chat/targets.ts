import { resolveAgent } from '../agents/registry.ts';
import type { GatewayConfig } from '../config/types.ts';
import { normalizeSessionKey, parseSessionKey, sessionKeyDefaults } from '../routing/session-key.ts';

/**
 * The session and agent a chat request addresses: the key normalized (`main`, bare tails, full keys), the agent
 * taken from `agentId`, else the key, else the default, and checked against the configured agents.
 */
export function chatTarget(
  config: GatewayConfig,
  input: { sessionKey: string; agentId?: string },
  method: string,
  field = 'sessionKey',
): { sessionKey: string; agentId: string } {
  const defaults = sessionKeyDefaults(config);
  const sessionKey = normalizeSessionKey(input.sessionKey, defaults, { method, field });
  const agentId = input.agentId ?? parseSessionKey(sessionKey)?.agentId ?? defaults.agentId;
  return { sessionKey, agentId: resolveAgent(config, agentId).id };
}
