import type { NodeHostStats, NodeRecord, NodeSurface } from './node-store.ts';

/** What the gateway knows of a connected node's session (nothing of its socket). */
export type LiveNode = {
  connId: string;
  connectedAtMs: number;
  declared: NodeSurface;
  pathEnv?: string;
  hostStats?: NodeHostStats;
  displayName?: string;
  platform?: string;
  version?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  clientId: string;
  clientMode: string;
  remoteIp: string;
};

/** OpenClaw's `approvalState`: whether a surface is approved, and whether a (re)approval waits. */
function approvalState(record: NodeRecord): string {
  if (record.pending) return record.approved ? 'pending-reapproval' : 'pending-approval';
  return record.approved ? 'approved' : 'unapproved';
}

/** A node as `node.list` and `node.describe` show it (docs/nodes.md lists the fields). */
export type NodeRow = {
  nodeId: string;
  displayName?: string;
  platform?: string;
  version?: string;
  clientId?: string;
  clientMode?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  remoteIp?: string;
  caps: string[];
  commands: string[];
  sessionHost: false;
  hostStats?: NodeHostStats;
  nodePluginTools?: [];
  pathEnv?: string;
  permissions?: Record<string, boolean>;
  approvalState: string;
  pendingRequestId?: string;
  pendingDeclaredCaps?: string[];
  pendingDeclaredCommands?: string[];
  connectedAtMs?: number;
  lastConnectedAtMs?: number;
  lastDisconnectedAtMs?: number;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
  approvedAtMs?: number;
  paired: boolean;
  connected: boolean;
};

/**
 * A node as `node.list` and `node.describe` show it, in OpenClaw's field order: what it declared and was granted
 * (`caps`, `commands`: the effective surface), connected or not, with the pending request if there is one.
 */
export function describeNode(
  record: NodeRecord,
  live: LiveNode | undefined,
  effective: NodeSurface,
  device: { approvedAtMs?: number; lastSeenAtMs?: number; lastSeenReason?: string } | undefined,
): NodeRow {
  const hostStats = live ? live.hostStats : record.lastHostStats;
  const lastConnectedAtMs = live?.connectedAtMs ?? record.lastConnectedAtMs;
  const seen = live
    ? { lastSeenAtMs: live.connectedAtMs, lastSeenReason: 'connect' }
    : newestSeen(record, device);
  const permissions = effective.permissions;
  return {
    nodeId: record.nodeId,
    displayName: record.label ?? live?.displayName ?? record.displayName,
    platform: live?.platform ?? record.platform,
    version: live?.version ?? record.version,
    clientId: live?.clientId ?? record.clientId,
    clientMode: live?.clientMode ?? record.clientMode,
    deviceFamily: live?.deviceFamily ?? record.deviceFamily,
    modelIdentifier: live?.modelIdentifier ?? record.modelIdentifier,
    remoteIp: live?.remoteIp ?? record.remoteIp,
    caps: effective.caps,
    commands: effective.commands,
    sessionHost: false,
    ...(hostStats ? { hostStats } : {}),
    ...(live ? { nodePluginTools: [], pathEnv: live.pathEnv } : {}),
    ...(permissions && Object.keys(permissions).length > 0 ? { permissions } : {}),
    approvalState: approvalState(record),
    pendingRequestId: record.pending?.requestId,
    pendingDeclaredCaps: record.pending?.caps,
    pendingDeclaredCommands: record.pending?.commands,
    connectedAtMs: live?.connectedAtMs,
    lastConnectedAtMs,
    lastDisconnectedAtMs: live ? undefined : record.lastDisconnectedAtMs,
    ...seen,
    approvedAtMs: record.approved?.approvedAtMs ?? device?.approvedAtMs,
    paired: device !== undefined,
    connected: live !== undefined,
  };
}

function newestSeen(
  record: NodeRecord,
  device: { lastSeenAtMs?: number; lastSeenReason?: string } | undefined,
): { lastSeenAtMs?: number; lastSeenReason?: string } {
  const connected = record.lastConnectedAtMs;
  const deviceSeen = device?.lastSeenAtMs;
  if (deviceSeen !== undefined && (connected === undefined || deviceSeen >= connected)) {
    return { lastSeenAtMs: deviceSeen, lastSeenReason: device?.lastSeenReason };
  }
  return connected === undefined ? {} : { lastSeenAtMs: connected, lastSeenReason: 'connect' };
}

/** Who a node says it is, as the pairing views list it (its label, when one was set, over its own name). */
function identity(record: NodeRecord): Record<string, unknown> {
  return {
    nodeId: record.nodeId,
    clientId: record.clientId,
    clientMode: record.clientMode,
    displayName: record.label ?? record.displayName,
    platform: record.platform,
    version: record.version,
    deviceFamily: record.deviceFamily,
  };
}

/** A pending surface request as `node.pair.list` and the `node.pair.requested` event carry it. */
export function describeRequest(
  record: NodeRecord,
  requiredApproveScopes: string[],
): Record<string, unknown> {
  const pending = record.pending;
  if (!pending) throw new Error(`node ${record.nodeId} has no pending request`);
  return {
    requestId: pending.requestId,
    ...identity(record),
    modelIdentifier: record.modelIdentifier,
    caps: pending.caps,
    commands: pending.commands,
    ...(pending.permissions ? { permissions: pending.permissions } : {}),
    requiredApproveScopes,
    silent: pending.silent,
    ts: pending.ts,
  };
}

/** An approved node as `node.pair.list` `paired[]` and `node.pair.approve` show it. */
export function describePaired(record: NodeRecord): Record<string, unknown> {
  return {
    ...identity(record),
    caps: record.approved?.caps ?? [],
    commands: record.approved?.commands ?? [],
    createdAtMs: record.approved?.createdAtMs,
    approvedAtMs: record.approved?.approvedAtMs,
    ...(record.lastHostStats ? { lastHostStats: record.lastHostStats } : {}),
    ...(record.lastConnectedAtMs
      ? { lastSeenAtMs: record.lastConnectedAtMs, lastSeenReason: 'connect' }
      : {}),
  };
}
