import type { NodeRow } from '../nodes/node-view.ts';

/** OpenClaw's `EnvironmentSummary`: a place where work can run, as the Control UI's Systems page lists it. */
export type EnvironmentSummary = {
  id: string;
  type: 'local' | 'node';
  label: string;
  status: 'available' | 'unavailable';
  platform?: string;
  sessionHost: boolean;
  lastConnectedAtMs?: number;
  lastDisconnectedAtMs?: number;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
  trust: 'persistent';
  capabilities?: string[];
  invocableCommands?: string[];
};

/** The schema's bounds on `invocableCommands` (OpenClaw cuts the list the same way). */
const MAX_INVOCABLE_COMMANDS = 128;
const MAX_COMMAND_LENGTH = 128;

/**
 * The gateway host itself, as OpenClaw 2026.9.6 lists it (observed). clawgate runs agent turns, keeps sessions,
 * runs tools and gives each agent a workspace here, so the same four capabilities hold. No `desktop` and no
 * `desktopSetup`: clawgate serves no desktop, and saying "set up a VNC server" would send the user the wrong way.
 */
export function gatewayEnvironment(platform: string): EnvironmentSummary {
  return {
    id: 'gateway',
    type: 'local',
    label: 'Gateway local',
    status: 'available',
    platform,
    sessionHost: true,
    trust: 'persistent',
    capabilities: ['agent.run', 'sessions', 'tools', 'workspace'],
  };
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values.map((value) => value.trim()).filter((value) => value.length > 0))].sort();
}

/**
 * A known node as an environment, in OpenClaw's field order: available while connected, its effective caps and
 * commands as capabilities, and (connected only) the commands an operator can invoke on it now. `node.list`'s
 * `commands` are already the effective ones (approved, declared now, allowed by policy).
 */
export function nodeEnvironment(node: NodeRow): EnvironmentSummary {
  const platform = node.platform?.trim();
  const capabilities = sortedUnique([...node.caps, ...node.commands]);
  const invocableCommands = node.connected
    ? sortedUnique(node.commands)
        .filter((command) => command.length <= MAX_COMMAND_LENGTH)
        .slice(0, MAX_INVOCABLE_COMMANDS)
    : [];
  return {
    id: `node:${node.nodeId}`,
    type: 'node',
    label: node.displayName?.trim() || node.nodeId,
    status: node.connected ? 'available' : 'unavailable',
    ...(platform ? { platform } : {}),
    sessionHost: false,
    ...(node.lastConnectedAtMs !== undefined ? { lastConnectedAtMs: node.lastConnectedAtMs } : {}),
    ...(node.lastDisconnectedAtMs !== undefined ? { lastDisconnectedAtMs: node.lastDisconnectedAtMs } : {}),
    ...(node.lastSeenAtMs !== undefined ? { lastSeenAtMs: node.lastSeenAtMs } : {}),
    ...(node.lastSeenReason ? { lastSeenReason: node.lastSeenReason } : {}),
    trust: 'persistent',
    ...(capabilities.length > 0 ? { capabilities } : {}),
    ...(invocableCommands.length > 0 ? { invocableCommands } : {}),
  };
}

/** Every environment clawgate can truthfully report: the gateway host, then each known node (node.list order). */
export function listEnvironments(platform: string, nodes: readonly NodeRow[]): EnvironmentSummary[] {
  return [gatewayEnvironment(platform), ...nodes.map(nodeEnvironment)];
}
