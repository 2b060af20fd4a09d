import { PAIRING, READ, WRITE } from '../../server/authz/access.ts';
import { missingScopeError } from '../../server/authz/missing-scope.ts';
import { type OperatorScope, scopeSatisfied } from '../../server/authz/scopes.ts';
import type { HandlerContext } from '../../server/context.ts';
import { defineMethods } from '../../server/method-types.ts';
import type { ClientView } from '../../server/ws/client.ts';
import { ADMIN_NODE_COMMANDS, grantedToWriters } from './command-policy.ts';

/**
 * Machine-level commands need admin, or a grant for this node in `gateway.nodes.invokeGrants`. Checked before the
 * node is looked up, so a caller without the right learns nothing about which nodes exist.
 */
function authorizeCommand(
  gateway: HandlerContext,
  client: ClientView,
  nodeId: string,
  command: string,
): void {
  if (!ADMIN_NODE_COMMANDS.has(command) || scopeSatisfied(client.scopes, 'operator.admin')) return;
  const node = gateway.nodes.identity(nodeId);
  if (node && grantedToWriters(gateway.configState.config.gateway.nodes, node, command)) return;
  throw missingScopeError('operator.admin', ['operator.admin'], { command });
}

/** The operator side of nodes: the catalog, the surface approvals, and running commands on them. */
export const nodeOperatorMethods = defineMethods({
  'node.list': {
    access: READ,
    handler: (_params, { gateway }) => ({ ts: gateway.now(), nodes: gateway.nodes.list() }),
  },

  'node.describe': {
    access: READ,
    handler: (params, { gateway }) => ({ ts: gateway.now(), ...gateway.nodes.describe(params.nodeId) }),
  },

  'node.rename': {
    access: PAIRING,
    handler: (params, { gateway }) => gateway.nodes.rename(params.nodeId, params.displayName),
  },

  'node.pair.list': {
    access: PAIRING,
    handler: (_params, { gateway }) => gateway.nodes.pairList(),
  },

  'node.pair.approve': {
    access: PAIRING,
    handler: (params, { gateway, client }) => {
      // A surface that lets operators reach the machine needs the scope that reaching it needs (OpenClaw's rule).
      const required = gateway.nodes.approveScopes(params.requestId) as OperatorScope[];
      const missing = required.find((scope) => !scopeSatisfied(client.scopes, scope));
      if (missing) throw missingScopeError(missing, required);
      return gateway.nodes.approve(params.requestId);
    },
  },

  'node.pair.reject': {
    access: PAIRING,
    handler: (params, { gateway }) => gateway.nodes.reject(params.requestId),
  },

  'node.pair.remove': {
    access: PAIRING,
    handler: (params, { gateway }) => gateway.nodes.remove(params.nodeId),
  },

  'node.invoke': {
    access: WRITE,
    handler: (params, { gateway, client }) => {
      authorizeCommand(gateway, client, params.nodeId, params.command);
      return gateway.nodes.invoke({
        nodeId: params.nodeId,
        command: params.command,
        params: params.params,
        timeoutMs: params.timeoutMs,
        idempotencyKey: params.idempotencyKey,
      });
    },
  },

  'node.pending.enqueue': {
    access: WRITE,
    handler: (params, { gateway }) =>
      gateway.nodes.enqueueWork(params.nodeId, {
        type: params.type,
        priority: params.priority,
        expiresInMs: params.expiresInMs,
      }),
  },
});
