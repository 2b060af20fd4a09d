import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { GatewayConfig } from '../../config/types.ts';

/** `~` and `~/…` name the home directory, as in OpenClaw's config. */
function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

/**
 * The agent's workspace as OpenClaw resolves it: the agent's own `workspace`; else, in a roster of several
 * agents, `<agents.defaults.workspace>/<agentId>` (or `<state dir>/workspace-<agentId>` without that root); else
 * `agents.defaults.workspace`, or `<state dir>/workspace`. Absolute; relative config paths resolve against the
 * state dir. Not created here: the tools that need it make it on first use.
 */
export function resolveWorkspaceDir(config: GatewayConfig, agentId: string, stateDir: string): string {
  const id = agentId.toLowerCase();
  const absolute = (path: string) => {
    const expanded = expandHome(path);
    return isAbsolute(expanded) ? resolve(expanded) : resolve(stateDir, expanded);
  };
  const own = config.agents.list.find((agent) => agent.id.toLowerCase() === id)?.workspace;
  if (own) return absolute(own);
  const root = config.agents.defaults.workspace;
  if (config.agents.list.length > 1) {
    return root ? join(absolute(root), id) : join(stateDir, `workspace-${id}`);
  }
  return root ? absolute(root) : join(stateDir, 'workspace');
}
