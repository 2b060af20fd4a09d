import { randomUUID } from 'node:crypto';
import {
  NODE_HOST_STATS_PERSIST_MS,
  NODE_INVOKE_DEFAULT_TIMEOUT_MS,
  NODE_INVOKE_MAX_TIMEOUT_MS,
  NODE_PENDING_WORK_TTL_MS,
} from '../../config/limits.ts';
import type { Logger } from '../../logging/logger.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { Broadcast } from '../../server/broadcast.ts';
import type { ConnectionControl } from '../../server/connections.ts';
import type { ClientView, GatewayWsClient } from '../../server/ws/client.ts';
import type { DeviceStore } from '../device-store.ts';
import {
  allowedCommands,
  commandRefusal,
  type NodeCommandConfig,
  requiredApproveScopes,
} from './command-policy.ts';
import { type NodeInvokeAnswer, NodeInvokes, nodeFailure } from './node-invokes.ts';
import type {
  NodeHostStats,
  NodeRecord,
  NodeStore,
  NodeSurface,
  PendingWorkItem,
  PendingWorkType,
} from './node-store.ts';
import { describeNode, describePaired, describeRequest, type LiveNode, type NodeRow } from './node-view.ts';

/** What a node declared in `connect`, as the handshake hands it over. */
export type NodeClaims = {
  caps?: string[];
  commands?: string[];
  permissions?: Record<string, boolean>;
  pathEnv?: string;
};

type Session = LiveNode & { client: GatewayWsClient };

export type NodeInvokeRequest = {
  nodeId: string;
  command: string;
  params?: unknown;
  timeoutMs?: number;
  idempotencyKey: string;
};

const sorted = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();

function covers(approved: NodeSurface | undefined, declared: NodeSurface): boolean {
  if (!approved) return false;
  const caps = new Set(approved.caps);
  const commands = new Set(approved.commands);
  if (!declared.caps.every((cap) => caps.has(cap))) return false;
  if (!declared.commands.every((command) => commands.has(command))) return false;
  for (const [name, granted] of Object.entries(declared.permissions ?? {})) {
    if (granted && approved.permissions?.[name] !== true) return false;
  }
  return true;
}

function sameSurface(a: NodeSurface, b: NodeSurface): boolean {
  return (
    a.caps.join('\n') === b.caps.join('\n') &&
    a.commands.join('\n') === b.commands.join('\n') &&
    JSON.stringify(a.permissions ?? {}) === JSON.stringify(b.permissions ?? {})
  );
}

function unknownNode(nodeId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown nodeId: ${nodeId}`, {
    details: { code: 'UNKNOWN_NODE', nodeId, nodeCommandDispatched: false },
  });
}

function unknownRequest(requestId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown requestId: ${requestId}`, {
    details: { code: 'PAIRING_REQUEST_NOT_FOUND', requestId },
  });
}

function parsePayload(payloadJSON: string | undefined, payload: unknown): unknown {
  if (payloadJSON === undefined) return payload;
  try {
    return JSON.parse(payloadJSON);
  } catch {
    return payload;
  }
}

/**
 * The nodes: what is remembered of each (records, persisted), who is connected now (sessions), the separate
 * approval of each node's command surface, and `node.invoke` in flight. A node is a paired device connected with
 * role `node`; its id is its device id. Handlers reach it through the context; it holds the node sockets only to
 * address events to them.
 */
export class NodeService {
  readonly #store: NodeStore;
  readonly #events: Broadcast;
  readonly #devices: DeviceStore;
  readonly #connections: ConnectionControl;
  readonly #config: () => NodeCommandConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #records = new Map<string, NodeRecord>();
  readonly #sessions = new Map<string, Session>();
  readonly #invokes: NodeInvokes;
  readonly #statsSavedAt = new Map<string, number>();
  /** Bumped by every change to a node's queued work (`revision` in OpenClaw's drain/enqueue answers). */
  readonly #workRevision = new Map<string, number>();

  constructor(options: {
    store: NodeStore;
    events: Broadcast;
    devices: DeviceStore;
    connections: ConnectionControl;
    config: () => NodeCommandConfig;
    logger: Logger;
    now: () => number;
    idempotency: { ttlMs: number; maxEntries: number };
  }) {
    this.#store = options.store;
    this.#events = options.events;
    this.#devices = options.devices;
    this.#connections = options.connections;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#invokes = new NodeInvokes({
      ttlMs: options.idempotency.ttlMs,
      maxKeys: options.idempotency.maxEntries,
      now: options.now,
    });
    for (const record of this.#store.loadAll()) this.#records.set(record.nodeId, record);
  }

  /** Connected node sessions (the count the bench and health read). */
  get connectedCount(): number {
    return this.#sessions.size;
  }

  #save(record: NodeRecord): Promise<void> {
    this.#records.set(record.nodeId, record);
    return this.#store.put(record, this.#now());
  }

  /** The surface a node may use now: approved, still declared when connected, and allowed by gateway policy. */
  #effective(record: NodeRecord, live: LiveNode | undefined): NodeSurface {
    const approved = record.approved;
    if (!approved) return { caps: [], commands: [] };
    const config = this.#config();
    const declaredCommands = live ? new Set(live.declared.commands) : undefined;
    const declaredCaps = live ? new Set(live.declared.caps) : undefined;
    const commands = approved.commands.filter(
      (command) => (!declaredCommands || declaredCommands.has(command)) && !commandRefusal(command, config),
    );
    const caps = approved.caps.filter((cap) => !declaredCaps || declaredCaps.has(cap));
    const permissions = live?.declared.permissions
      ? Object.fromEntries(
          Object.entries(live.declared.permissions).map(([name, granted]) => [
            name,
            granted && approved.permissions?.[name] === true,
          ]),
        )
      : approved.permissions;
    return { caps, commands, ...(permissions ? { permissions } : {}) };
  }

  /**
   * A node finished its handshake: its metadata is recorded, a surface wider than the approved one becomes a
   * pending request (operators get `node.pair.requested`), and it becomes the node's current session. Written
   * before hello-ok, so the request an operator is told about is on disk.
   */
  async connected(client: GatewayWsClient, claims: NodeClaims): Promise<void> {
    const nodeId = client.deviceId;
    const info = client.info;
    if (!nodeId || !info) throw new Error('a node session needs a device id and client info');
    const now = this.#now();
    const config = this.#config();
    const declared: NodeSurface = {
      caps: sorted(claims.caps),
      commands: allowedCommands(claims.commands ?? [], config),
      ...(claims.permissions ? { permissions: { ...claims.permissions } } : {}),
    };
    const previous = this.#records.get(nodeId);
    const record: NodeRecord = {
      ...previous,
      nodeId,
      displayName: info.displayName,
      clientId: info.id,
      clientMode: info.mode,
      platform: info.platform,
      version: info.version,
      deviceFamily: info.deviceFamily,
      modelIdentifier: info.modelIdentifier,
      remoteIp: client.ip,
      lastConnectedAtMs: now,
    };
    let requested = false;
    if (covers(record.approved, declared)) {
      record.pending = undefined;
    } else if (!record.pending || !sameSurface(record.pending, declared)) {
      record.pending = {
        requestId: randomUUID(),
        ...declared,
        silent: this.#devices.get(nodeId)?.approvedVia === 'silent',
        ts: now,
      };
      requested = true;
    }
    const earlier = this.#sessions.get(nodeId);
    this.#sessions.set(nodeId, {
      client,
      connId: client.connId,
      connectedAtMs: now,
      declared,
      pathEnv: claims.pathEnv,
      displayName: info.displayName,
      platform: info.platform,
      version: info.version,
      deviceFamily: info.deviceFamily,
      modelIdentifier: info.modelIdentifier,
      clientId: info.id,
      clientMode: info.mode,
      remoteIp: client.ip,
    });
    // The newer connection is the node now; what the older one was running can no longer answer.
    if (earlier && earlier.client !== client) this.#invokes.failConnection(earlier.connId);
    // hello-ok waits for the write only when it holds something new to keep (a first connect, a surface to
    // approve); a known node's reconnect just moves its timestamps, which need no fsync on the connect path.
    const saved = this.#save(record);
    if (requested || !previous) await saved;
    else {
      saved.catch((error: Error) =>
        this.#logger.warn('could not record a node connect', { nodeId, error: error.message }),
      );
    }
    if (requested) {
      const pending = record.pending;
      this.#logger.info('node surface awaits approval', {
        nodeId,
        requestId: pending?.requestId,
        commands: pending?.commands.length,
      });
      this.#events.broadcast(
        'node.pair.requested',
        describeRequest(record, requiredApproveScopes(pending?.commands ?? [])),
      );
    }
  }

  /** A node's socket closed: its session ends (if it is still the current one) and its invokes fail now. */
  disconnected(client: ClientView): void {
    const nodeId = client.deviceId;
    if (!nodeId) return;
    this.#invokes.failConnection(client.connId);
    const session = this.#sessions.get(nodeId);
    if (session?.connId !== client.connId) return;
    this.#sessions.delete(nodeId);
    const record = this.#records.get(nodeId);
    if (!record) return;
    const next: NodeRecord = { ...record, lastDisconnectedAtMs: this.#now() };
    if (session.hostStats) next.lastHostStats = session.hostStats;
    this.#save(next).catch((error: Error) =>
      this.#logger.warn('could not record a node disconnect', { nodeId, error: error.message }),
    );
  }

  #record(nodeId: string): NodeRecord {
    const record = this.#records.get(nodeId);
    if (!record) {
      throw new GatewayError('INVALID_REQUEST', 'unknown nodeId', {
        details: { code: 'UNKNOWN_NODE', nodeId },
      });
    }
    return record;
  }

  #describe(record: NodeRecord): NodeRow {
    const live = this.#sessions.get(record.nodeId);
    const device = this.#devices.get(record.nodeId);
    return describeNode(
      record,
      live,
      this.#effective(record, live),
      device?.roles.includes('node') ? device : undefined,
    );
  }

  /** Every known node, connected first, then by name (OpenClaw's order). */
  list(): NodeRow[] {
    const rows = [...this.#records.values()].map((record) => this.#describe(record));
    return rows.sort((a, b) => {
      if (a.connected !== b.connected) return a.connected ? -1 : 1;
      const an = String(a.displayName ?? a.nodeId).toLowerCase();
      const bn = String(b.displayName ?? b.nodeId).toLowerCase();
      return an < bn ? -1 : an > bn ? 1 : String(a.nodeId).localeCompare(String(b.nodeId));
    });
  }

  describe(nodeId: string): NodeRow {
    return this.#describe(this.#record(nodeId));
  }

  /** Is `nodeId` a known node, and what did an operator call it (for the invoke grant)? */
  identity(nodeId: string): { nodeId: string; label?: string } | undefined {
    const record = this.#records.get(nodeId);
    return record && { nodeId, label: record.label };
  }

  pairList(): { pending: Record<string, unknown>[]; paired: Record<string, unknown>[] } {
    const records = [...this.#records.values()];
    return {
      pending: records
        .filter((record) => record.pending)
        .map((record) => describeRequest(record, requiredApproveScopes(record.pending?.commands ?? []))),
      paired: records.filter((record) => record.approved).map((record) => describePaired(record)),
    };
  }

  #byRequest(requestId: string): NodeRecord {
    for (const record of this.#records.values()) if (record.pending?.requestId === requestId) return record;
    throw unknownRequest(requestId);
  }

  /** The scopes approving this request needs (OpenClaw's `requiredApproveScopes`). */
  approveScopes(requestId: string): string[] {
    return requiredApproveScopes(this.#byRequest(requestId).pending?.commands ?? []);
  }

  async approve(requestId: string): Promise<Record<string, unknown>> {
    const record = this.#byRequest(requestId);
    const pending = record.pending;
    if (!pending) throw unknownRequest(requestId);
    const now = this.#now();
    const next: NodeRecord = {
      ...record,
      approved: {
        caps: pending.caps,
        commands: pending.commands,
        ...(pending.permissions ? { permissions: pending.permissions } : {}),
        createdAtMs: record.approved?.createdAtMs ?? now,
        approvedAtMs: now,
      },
      pending: undefined,
    };
    await this.#save(next);
    this.#logger.info('node surface approved', { nodeId: record.nodeId, commands: pending.commands.length });
    this.#resolved(record.nodeId, requestId, 'approved');
    return { requestId, node: describePaired(next) };
  }

  async reject(requestId: string): Promise<Record<string, unknown>> {
    const record = this.#byRequest(requestId);
    await this.#save({ ...record, pending: undefined });
    this.#resolved(record.nodeId, requestId, 'rejected');
    return { requestId, nodeId: record.nodeId };
  }

  #resolved(nodeId: string, requestId: string, decision: 'approved' | 'rejected' | 'removed'): void {
    const payload = { requestId, nodeId, decision, ts: this.#now() };
    this.#events.broadcast('node.pair.resolved', payload);
    // The node is told too (OpenClaw sends it to the node's session): it retries what waited on approval.
    const session = this.#sessions.get(nodeId);
    if (session) this.#events.send(session.client, 'node.pair.resolved', payload);
  }

  /** Forgets a node: its record, queued work and approved surface; its device loses the node role. */
  async remove(nodeId: string): Promise<Record<string, unknown>> {
    const record = this.#records.get(nodeId);
    const device = this.#devices.get(nodeId);
    if (!record && !device?.roles.includes('node')) throw unknownNode(nodeId);
    this.#records.delete(nodeId);
    await this.#store.delete(nodeId);
    if (device?.roles.includes('node')) {
      this.#devices.removeRole(nodeId, 'node');
      await this.#devices.flushed();
    }
    if (record?.pending) this.#resolved(nodeId, record.pending.requestId, 'removed');
    this.#connections.disconnectDevice(nodeId, 'node removed', { role: 'node', deviceTokenOnly: false });
    return { nodeId };
  }

  /** The device behind a node was unpaired (`device.pair.remove`): its node record and queued work go with it. */
  async forgetDevice(deviceId: string): Promise<void> {
    const record = this.#records.get(deviceId);
    if (!record) return;
    this.#records.delete(deviceId);
    await this.#store.delete(deviceId);
    if (record.pending) this.#resolved(deviceId, record.pending.requestId, 'removed');
  }

  async rename(nodeId: string, displayName: string): Promise<Record<string, unknown>> {
    const label = displayName.trim();
    if (!label) throw new GatewayError('INVALID_REQUEST', 'invalid node.rename params: displayName is blank');
    const record = this.#record(nodeId);
    await this.#save({ ...record, label });
    return { nodeId, displayName: label };
  }

  /**
   * Runs a command on a connected node: `node.invoke.request` goes to the node, the caller is answered with its
   * `node.invoke.result`, or fails fast (unknown node, offline, command not granted, node gone mid-invoke,
   * deadline). Access (scope, admin-gated commands) is checked by the caller before this.
   */
  invoke(request: NodeInvokeRequest): Promise<NodeInvokeAnswer> {
    const key = `${request.nodeId}\n${request.command}\n${request.idempotencyKey}`;
    const earlier = this.#invokes.remembered(key);
    if (earlier) return earlier;
    const answer = this.#invoke(request);
    this.#invokes.remember(key, answer);
    return answer;
  }

  async #invoke(request: NodeInvokeRequest): Promise<NodeInvokeAnswer> {
    const { nodeId, command } = request;
    const record = this.#records.get(nodeId);
    if (!record) throw unknownNode(nodeId);
    const session = this.#sessions.get(nodeId);
    if (!session) {
      const error = { code: 'NOT_CONNECTED', message: 'node not connected' };
      throw new GatewayError('UNAVAILABLE', 'node not connected', {
        details: { code: 'NOT_CONNECTED', nodeError: error, nodeCommandDispatched: false },
      });
    }
    this.#checkCommand(record, session, command);
    const requested = request.timeoutMs ?? NODE_INVOKE_DEFAULT_TIMEOUT_MS;
    const timeoutMs =
      requested > 0 ? Math.min(requested, NODE_INVOKE_MAX_TIMEOUT_MS) : NODE_INVOKE_MAX_TIMEOUT_MS;
    const { id, outcome } = this.#invokes.start(nodeId, session.connId, command, timeoutMs);
    this.#events.send(session.client, 'node.invoke.request', {
      id,
      nodeId,
      command,
      ...(request.params === undefined ? {} : { paramsJSON: JSON.stringify(request.params) }),
      timeoutMs,
      idempotencyKey: request.idempotencyKey,
    });
    const result = await outcome;
    if (!result.ok) throw nodeFailure(result.error, true);
    return {
      ok: true,
      nodeId,
      command,
      payload: result.payload,
      ...(result.payloadJSON === undefined ? {} : { payloadJSON: result.payloadJSON }),
    };
  }

  #checkCommand(record: NodeRecord, session: Session, command: string): void {
    const refusal = commandRefusal(command, this.#config());
    const refuse = (reason: string, message: string) =>
      new GatewayError('INVALID_REQUEST', message, { details: { reason, command } });
    if (refusal) throw refuse(refusal.reason, refusal.message);
    if (!session.declared.commands.includes(command)) {
      throw refuse(
        'command not declared by node',
        `node command not allowed: "${command}" is not declared by the node`,
      );
    }
    if (!record.approved?.commands.includes(command)) {
      const hint = record.pending
        ? ` (approve request ${record.pending.requestId} with node.pair.approve)`
        : '';
      throw refuse(
        'command not approved',
        `node command not allowed: "${command}" is not approved for this node${hint}`,
      );
    }
  }

  /** `node.invoke.result` from a node; false when no invoke of its own waits for it (late or foreign). */
  result(
    client: ClientView,
    params: {
      id: string;
      nodeId: string;
      ok: boolean;
      payload?: unknown;
      payloadJSON?: string;
      error?: { code?: string; message?: string };
    },
  ): boolean {
    const nodeId = client.deviceId;
    if (!nodeId || params.nodeId !== nodeId) return false;
    const outcome = params.ok
      ? ({
          ok: true,
          payload: parsePayload(params.payloadJSON, params.payload),
          payloadJSON:
            params.payloadJSON ?? (params.payload === undefined ? undefined : JSON.stringify(params.payload)),
        } as const)
      : ({
          ok: false,
          error: {
            code: params.error?.code ?? 'NODE_INVOKE_FAILED',
            message: params.error?.message ?? 'node invoke failed',
          },
        } as const);
    return this.#invokes.settle(params.id, nodeId, client.connId, outcome);
  }

  progress(client: ClientView, invokeId: string, nodeId: string): boolean {
    return client.deviceId === nodeId && this.#invokes.progress(invokeId, nodeId, client.connId);
  }

  /** `node.host.stats` from the node's current session: live at once, on disk at most every few minutes. */
  hostStats(client: ClientView, stats: Omit<NodeHostStats, 'updatedAtMs'>): 'updated' | 'stale_connection' {
    const nodeId = client.deviceId;
    const session = nodeId ? this.#sessions.get(nodeId) : undefined;
    if (!nodeId || session?.connId !== client.connId) return 'stale_connection';
    const now = this.#now();
    const hostStats: NodeHostStats = { ...stats, updatedAtMs: now };
    session.hostStats = hostStats;
    this.#events.broadcast('node.hostStats', { nodeId, hostStats });
    const savedAt = this.#statsSavedAt.get(nodeId);
    const record = this.#records.get(nodeId);
    if (record && (savedAt === undefined || now - savedAt >= NODE_HOST_STATS_PERSIST_MS)) {
      this.#statsSavedAt.set(nodeId, now);
      this.#save({ ...record, lastHostStats: hostStats }).catch((error: Error) =>
        this.#logger.warn('could not save node host stats', { nodeId, error: error.message }),
      );
    }
    return 'updated';
  }

  #bump(nodeId: string): number {
    const revision = (this.#workRevision.get(nodeId) ?? 0) + 1;
    this.#workRevision.set(nodeId, revision);
    return revision;
  }

  /** Queues work for a node until it drains it; a type already queued is not queued twice. */
  async enqueueWork(
    nodeId: string,
    input: { type: PendingWorkType; priority?: 'normal' | 'high'; expiresInMs?: number },
  ): Promise<{ nodeId: string; revision: number; queued: PendingWorkItem; wakeTriggered: boolean }> {
    if (!this.#records.has(nodeId)) throw unknownNode(nodeId);
    const now = this.#now();
    const item: PendingWorkItem = {
      id: randomUUID(),
      type: input.type,
      priority: input.priority ?? 'normal',
      createdAtMs: now,
      expiresAtMs: now + (input.expiresInMs ?? NODE_PENDING_WORK_TTL_MS),
    };
    // One write checks and inserts, so two enqueues of a type at once still queue it once.
    const queued = await this.#store.enqueueWork(nodeId, item, now);
    const revision = queued === item ? this.#bump(nodeId) : (this.#workRevision.get(nodeId) ?? 0);
    // clawgate has no push channel to wake a sleeping node: it takes the work when it next connects.
    return { nodeId, revision, queued, wakeTriggered: false };
  }

  /** Hands the calling node up to `maxItems` queued items and forgets them (OpenClaw's drain). */
  async drainWork(
    client: ClientView,
    maxItems: number,
  ): Promise<{ nodeId: string; revision: number; items: PendingWorkItem[]; hasMore: boolean }> {
    const nodeId = client.deviceId;
    if (!nodeId)
      throw new GatewayError('INVALID_REQUEST', 'node.pending.drain requires a connected device identity');
    // Taken and deleted in one write: overlapping drains never hand out the same item twice.
    const { items, remaining } = await this.#store.drainWork(nodeId, this.#now(), maxItems);
    const revision = items.length > 0 ? this.#bump(nodeId) : (this.#workRevision.get(nodeId) ?? 0);
    return { nodeId, revision, items, hasMore: remaining > 0 };
  }

  close(): void {
    this.#invokes.close();
    this.#sessions.clear();
  }
}
