import { NODE_PENDING_DRAIN_DEFAULT_ITEMS } from '../../config/limits.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { NODE } from '../../server/authz/access.ts';
import { defineMethods } from '../../server/method-types.ts';
import type { ClientView } from '../../server/ws/client.ts';
import type { NodeHostStats } from './node-store.ts';

function nodeIdOf(client: ClientView): string {
  if (!client.deviceId) throw new GatewayError('INVALID_REQUEST', 'nodeId required');
  return client.deviceId;
}

function eventPayload(params: { payload?: unknown; payloadJSON?: string }): unknown {
  if (params.payloadJSON === undefined) return params.payload;
  try {
    return JSON.parse(params.payloadJSON);
  } catch {
    return undefined;
  }
}

const STAT_FIELDS = [
  'cpuCount',
  'memoryTotalBytes',
  'memoryFreeBytes',
  'diskTotalBytes',
  'diskAvailableBytes',
] as const;

/** The fields of a `node.host.stats` payload that are what they claim to be; undefined when none is. */
function hostStats(value: unknown): Omit<NodeHostStats, 'updatedAtMs'> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const input = value as Record<string, unknown>;
  const stats: Record<string, unknown> = {};
  for (const field of STAT_FIELDS) {
    const n = input[field];
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) stats[field] = n;
  }
  const load = input.loadAverage;
  if (
    Array.isArray(load) &&
    load.length <= 3 &&
    load.every((n) => typeof n === 'number' && Number.isFinite(n))
  ) {
    stats.loadAverage = load;
  }
  return Object.keys(stats).length > 0 ? (stats as Omit<NodeHostStats, 'updatedAtMs'>) : undefined;
}

/** What only a node connection may call: answering invokes, reporting events, taking queued work. */
export const nodeRoleMethods = defineMethods({
  'node.invoke.result': {
    access: NODE,
    handler: (params, { gateway, client }) => {
      // A result nobody waits for any more (the caller timed out) is accepted and dropped, as OpenClaw does.
      const delivered = gateway.nodes.result(client, params);
      return delivered ? { ok: true } : { ok: true, ignored: true };
    },
  },

  'node.invoke.progress': {
    access: NODE,
    handler: (params, { gateway, client }) => {
      const live = gateway.nodes.progress(client, params.invokeId, params.nodeId);
      return live ? { ok: true } : { ok: true, ignored: true };
    },
  },

  'node.event': {
    access: NODE,
    handler: (params, { gateway, client }) => {
      if (params.event !== 'node.host.stats') return { ok: true, event: params.event, handled: false };
      const stats = hostStats(eventPayload(params));
      if (!stats) return { ok: true, event: params.event, handled: false, reason: 'invalid_payload' };
      const reason = gateway.nodes.hostStats(client, stats);
      return { ok: true, event: params.event, handled: reason === 'updated', reason };
    },
  },

  // clawgate never defers an invoke for a sleeping node (an offline node fails at once), so no action is queued.
  'node.pending.pull': {
    access: NODE,
    handler: (_params, { client }) => ({ nodeId: nodeIdOf(client), actions: [] }),
  },

  'node.pending.ack': {
    access: NODE,
    handler: (params, { client }) => ({
      nodeId: nodeIdOf(client),
      ackedIds: [...new Set(params.ids)],
      remainingCount: 0,
    }),
  },

  'node.pending.drain': {
    access: NODE,
    handler: (params, { gateway, client }) =>
      gateway.nodes.drainWork(client, params.maxItems ?? NODE_PENDING_DRAIN_DEFAULT_ITEMS),
  },

  // The node host publishes these after connecting. clawgate offers no node skills, plugin tools or worker
  // sessions to agents, so each is acknowledged with nothing taken up (what the answers say).
  'node.skills.update': {
    access: NODE,
    handler: (_params, { client }) => ({ nodeId: nodeIdOf(client), skills: [] }),
  },

  'node.pluginTools.update': {
    access: NODE,
    handler: (_params, { client }) => ({ nodeId: nodeIdOf(client), tools: [] }),
  },

  'node.runnerInventory.update': {
    access: NODE,
    handler: (_params, { client }) => ({ nodeId: nodeIdOf(client) }),
  },
});
