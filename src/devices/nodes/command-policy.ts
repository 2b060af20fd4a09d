import type { OperatorScope } from '../../server/authz/scopes.ts';

/**
 * Commands that act on the node's machine as its user: a shell, its exec policy, its browser, its files. OpenClaw
 * asks `operator.admin` to invoke only some of them (any `operator.write` client may `system.run` there); clawgate
 * asks admin for all, or a grant naming the node and command in `gateway.nodes.invokeGrants`. `system.which` (where
 * a binary is) stays open to write, as OpenClaw's CLI relies on.
 */
export const ADMIN_NODE_COMMANDS: ReadonlySet<string> = new Set([
  'system.run',
  'system.run.prepare',
  'system.execApprovals.get',
  'system.execApprovals.set',
  'browser.proxy',
  'browser.proxy.upload.v1',
  'fs.listDir',
  'terminal.upload',
]);

/** Approving a surface holding any of these needs admin (OpenClaw's list). */
const ADMIN_APPROVAL_COMMANDS: ReadonlySet<string> = new Set([
  'system.run',
  'system.run.prepare',
  'system.which',
  'system.execApprovals.get',
  'system.execApprovals.set',
  'browser.proxy',
  'browser.proxy.upload.v1',
  'fs.listDir',
]);

/** Off unless `gateway.nodes.commands.allow` names them, even when declared and approved (OpenClaw's list). */
export const DANGEROUS_NODE_COMMANDS: ReadonlySet<string> = new Set([
  'camera.snap',
  'camera.clip',
  'camera.ptz.control',
  'screen.record',
  'contacts.add',
  'calendar.add',
  'reminders.add',
  'sms.send',
  'sms.search',
  'health.summary',
]);

/** `gateway.nodes` as the policy reads it. */
export type NodeCommandConfig = {
  commands: { allow: string[]; deny: string[] };
  invokeGrants: Record<string, string[]>;
};

/** Why a command may not run on a node, in OpenClaw's words (`details.reason`); undefined when it may. */
export function commandRefusal(
  command: string,
  config: NodeCommandConfig,
): { reason: string; message: string } | undefined {
  if (config.commands.deny.includes(command)) {
    return {
      reason: 'command not allowlisted',
      message: `node command not allowed: "${command}" is denied by gateway.nodes.commands.deny`,
    };
  }
  if (DANGEROUS_NODE_COMMANDS.has(command) && !config.commands.allow.includes(command)) {
    return {
      reason: 'command not allowlisted',
      message: `node command not allowed: "${command}" requires explicit gateway.nodes.commands.allow opt-in`,
    };
  }
  return undefined;
}

/** The part of a declared command list the gateway policy lets through (what a pairing request lists). */
export function allowedCommands(commands: readonly string[], config: NodeCommandConfig): string[] {
  return [...new Set(commands)].filter((command) => !commandRefusal(command, config)).sort();
}

/** OpenClaw's `requiredApproveScopes`: pairing, plus write for any command, plus admin for machine access. */
export function requiredApproveScopes(commands: readonly string[]): OperatorScope[] {
  if (commands.length === 0) return ['operator.pairing'];
  if (commands.some((command) => ADMIN_APPROVAL_COMMANDS.has(command)))
    return ['operator.pairing', 'operator.admin'];
  return ['operator.pairing', 'operator.write'];
}

/** Does `gateway.nodes.invokeGrants` let write-scoped callers run this admin-gated command on this node? */
export function grantedToWriters(
  config: NodeCommandConfig,
  node: { nodeId: string; label?: string },
  command: string,
): boolean {
  // The device id, or the label an operator gave it: never the name the node chose for itself.
  for (const key of [node.nodeId, node.label]) {
    if (key && config.invokeGrants[key]?.includes(command)) return true;
  }
  return false;
}
