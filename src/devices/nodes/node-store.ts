/** What a node host reports about its machine (`node.event` `node.host.stats`), stamped on receipt. */
export type NodeHostStats = {
  cpuCount?: number;
  loadAverage?: number[];
  memoryTotalBytes?: number;
  memoryFreeBytes?: number;
  diskTotalBytes?: number;
  diskAvailableBytes?: number;
  updatedAtMs: number;
};

/** A command/capability surface: what a node declared, or what an operator approved. */
export type NodeSurface = { caps: string[]; commands: string[]; permissions?: Record<string, boolean> };

/** A declared surface waiting for `node.pair.approve` (OpenClaw's node pairing request). */
export type NodeSurfaceRequest = NodeSurface & {
  requestId: string;
  /** The device itself was paired without an operator (direct loopback): OpenClaw marks its first request so. */
  silent: boolean;
  ts: number;
};

/** What the gateway remembers of a node between its connections. The node id is its device id. */
export type NodeRecord = {
  nodeId: string;
  /** Set by `node.rename`; preferred over what the node calls itself. */
  label?: string;
  displayName?: string;
  clientId?: string;
  clientMode?: string;
  platform?: string;
  version?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  remoteIp?: string;
  approved?: NodeSurface & { approvedAtMs: number; createdAtMs: number };
  pending?: NodeSurfaceRequest;
  lastConnectedAtMs?: number;
  lastDisconnectedAtMs?: number;
  lastHostStats?: NodeHostStats;
};

export const PENDING_WORK_TYPES = ['status.request', 'location.request'] as const;
export type PendingWorkType = (typeof PENDING_WORK_TYPES)[number];

/** Work an operator queued for a node (`node.pending.enqueue`), handed over by `node.pending.drain`. */
export type PendingWorkItem = {
  id: string;
  type: PendingWorkType;
  priority: 'normal' | 'high';
  createdAtMs: number;
  expiresAtMs: number;
};

/**
 * Where node records and queued work live. Records are read whole at start and written per change; the SQLite
 * implementation is `storage/sqlite-node-store.ts` (migration 8).
 */
export type NodeStore = {
  loadAll(): NodeRecord[];
  put(record: NodeRecord, now: number): Promise<void>;
  delete(nodeId: string): Promise<void>;
  /** Queues `item` unless live work of its type is queued already; returns what is queued. Expired work is dropped. */
  enqueueWork(nodeId: string, item: PendingWorkItem, now: number): Promise<PendingWorkItem>;
  /** Takes up to `max` live items (high priority first, then oldest) off the queue; `remaining` are left. */
  drainWork(
    nodeId: string,
    now: number,
    max: number,
  ): Promise<{ items: PendingWorkItem[]; remaining: number }>;
};
