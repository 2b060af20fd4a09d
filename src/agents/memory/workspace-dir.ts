import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GatewayConfig } from '../../config/types.ts';
import { defaultAgentId } from '../registry.ts';

/** `~` and `~/…` are the home directory; anything else is resolved against the working directory (OpenClaw's). */
function userPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '~') return homedir();
  if (trimmed.startsWith('~/')) return join(homedir(), trimmed.slice(2));
  return resolve(trimmed);
}

/**
 * An agent's workspace directory (absolute) by OpenClaw's rule: its own `workspace`; else, for the default agent,
 * `agents.defaults.workspace` or `<state dir>/workspace`; else `<agents.defaults.workspace>/<id>` or
 * `<state dir>/workspace-<id>`. The directory need not exist.
 */
export function agentWorkspaceDir(config: GatewayConfig, agentId: string, stateDir: string): string {
  const id = agentId.trim().toLowerCase();
  const own = config.agents.list.find((agent) => agent.id.toLowerCase() === id)?.workspace?.trim();
  if (own) return userPath(own);
  const shared = config.agents.defaults.workspace?.trim();
  if (id === defaultAgentId(config)) return shared ? userPath(shared) : join(stateDir, 'workspace');
  return shared ? join(userPath(shared), id) : join(stateDir, `workspace-${id}`);
}
