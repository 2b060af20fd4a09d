import { WebSocket } from 'ws';
import type { HealthState } from '../health/health-state.ts';
import { payloadJson } from '../protocol/frames.ts';
import { scopeSatisfied } from './authz/scopes.ts';
import type { EventDefinition, GatewayRegistry } from './registry.ts';
import type { ClientView, GatewayWsClient } from './ws/client.ts';
import { corkUntilImmediate } from './ws/cork.ts';

export type EventOptions = {
  /** Narrows the audience further than the event's scope (subscriptions). */
  filter?: (client: ClientView) => boolean;
};

/** Events at least this long are encoded once per broadcast and shared by every recipient's socket. */
const SHARED_FRAME_MIN_CHARS = 16 * 1024;

/**
 * Bytes of one snapshot broadcast written per event-loop turn: a copy of this size into socket buffers takes a
 * few ms, where the 200-entry presence list to 3 000 Control UIs in one go (240 MB) held the loop for 150 ms.
 */
export const SNAPSHOT_SLICE_BYTES = 2 * 1024 * 1024;

/** The fan-out interface handlers use; the in-process one is the default, a cluster bus can replace it. */
export type Broadcast = {
  /** Returns the bytes queued, over all recipients (what a caller may pace itself by). */
  broadcast(event: string, payload: unknown, options?: EventOptions): number;
  send(client: GatewayWsClient, event: string, payload: unknown): void;
  /**
   * Whether `broadcast(event, …, options)` would reach a client now: a caller may then skip building an event
   * nobody gets (and reading the store for it). Absent, as in a test double: assume it would.
   */
  reaches?(event: string, options?: EventOptions): boolean;
};

/** The gateway's own bus: also paces snapshot events to thousands of readers. */
export type GatewayBroadcast = Broadcast & {
  /**
   * For an event whose payload is a whole state that replaces the last one (presence): sent to the readers of
   * the moment, SNAPSHOT_SLICE_BYTES' worth per event-loop turn, so sockets in handshake are served between
   * slices. A newer snapshot of the same event takes over the older one's unsent readers (each is sent the newer,
   * never the older after it). Returns the bytes over all readers.
   */
  broadcastSnapshot(event: string, payload: unknown): number;
};

/**
 * In-process fan-out. Each event is serialised once; only the trailing `seq` differs per client, so a frame is
 * a string concatenation. `seq` counts events addressed to a connection: a droppable event skipped for a slow
 * client still takes its number (the client sees the gap), while events outside its scope take none. Scope,
 * droppability and `stateVersion` come from the event's registration, never from the caller.
 */
export class InProcessBroadcast implements GatewayBroadcast {
  #clients: ReadonlySet<GatewayWsClient>;
  #health: HealthState;
  #registry: GatewayRegistry;
  #maxBufferedBytes: () => number;
  #onSlowConsumer: (client: GatewayWsClient) => void;
  #onUnregistered: (event: string) => void;
  /** Snapshot broadcasts with readers still to send, by event. */
  #snapshots = new Map<string, SnapshotRun>();

  constructor(options: {
    clients: ReadonlySet<GatewayWsClient>;
    health: HealthState;
    registry: GatewayRegistry;
    maxBufferedBytes: () => number;
    onSlowConsumer: (client: GatewayWsClient) => void;
    /** An event nobody declared: throws in development, is logged in production (never silently dropped). */
    onUnregistered: (event: string) => void;
  }) {
    this.#clients = options.clients;
    this.#health = options.health;
    this.#registry = options.registry;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#onSlowConsumer = options.onSlowConsumer;
    this.#onUnregistered = options.onUnregistered;
  }

  #definition(event: string): EventDefinition | undefined {
    const definition = this.#registry.event(event);
    if (!definition) this.#onUnregistered(event);
    return definition;
  }

  #head(event: string, payload: unknown, definition: EventDefinition): string {
    let head = `{"type":"event","event":${JSON.stringify(event)}`;
    if (payload !== undefined) head += `,"payload":${payloadJson(payload)}`;
    if (definition.stateVersion) head += `,"stateVersion":${JSON.stringify(this.#health.stateVersion)}`;
    return `${head},"seq":`;
  }

  broadcast(event: string, payload: unknown, options?: EventOptions): number {
    const definition = this.#definition(event);
    if (!definition) return 0;
    const { scope } = definition;
    let head: string | undefined;
    let droppable: boolean | undefined;
    const limit = this.#maxBufferedBytes();
    const filter = options?.filter;
    let bytes = 0;
    let shared: Buffer | undefined;
    for (const client of this.#clients) {
      if (!client.authenticated || client.closed) continue;
      if (scope !== null && !scopeSatisfied(client.scopes, scope)) continue;
      if (filter && !filter(client)) continue;
      head ??= this.#head(event, payload, definition);
      droppable ??= isDroppable(definition, payload);
      if (shared === undefined && head.length >= SHARED_FRAME_MIN_CHARS) shared = Buffer.from(head);
      this.#deliver(client, head, droppable, limit, shared);
      bytes += head.length;
    }
    return bytes;
  }

  broadcastSnapshot(event: string, payload: unknown): number {
    const definition = this.#definition(event);
    if (!definition) return 0;
    const earlier = this.#snapshots.get(event);
    if (earlier) clearImmediate(earlier.immediate);
    this.#snapshots.delete(event);
    const readers: GatewayWsClient[] = [];
    for (const client of this.#clients) {
      if (!client.authenticated || client.closed) continue;
      if (definition.scope !== null && !scopeSatisfied(client.scopes, definition.scope)) continue;
      readers.push(client);
    }
    if (readers.length === 0) return 0;
    const head = this.#head(event, payload, definition);
    const run: SnapshotRun = {
      readers,
      next: 0,
      head,
      droppable: isDroppable(definition, payload),
      shared: head.length >= SHARED_FRAME_MIN_CHARS ? Buffer.from(head) : undefined,
      immediate: undefined,
    };
    this.#snapshots.set(event, run);
    this.#sendSlice(event, run);
    return head.length * readers.length;
  }

  #sendSlice(event: string, run: SnapshotRun): void {
    run.immediate = undefined;
    const limit = this.#maxBufferedBytes();
    let bytes = 0;
    while (run.next < run.readers.length && bytes < SNAPSHOT_SLICE_BYTES) {
      const client = run.readers[run.next++];
      if (client.closed) continue;
      this.#deliver(client, run.head, run.droppable, limit, run.shared);
      bytes += run.head.length;
    }
    if (run.next < run.readers.length) run.immediate = setImmediate(() => this.#sendSlice(event, run));
    else this.#snapshots.delete(event);
  }

  /** Drops the unsent rest of snapshot broadcasts (at shutdown). */
  close(): void {
    for (const run of this.#snapshots.values()) clearImmediate(run.immediate);
    this.#snapshots.clear();
  }

  reaches(event: string, options?: EventOptions): boolean {
    const definition = this.#definition(event);
    if (!definition) return false;
    const { scope } = definition;
    const filter = options?.filter;
    for (const client of this.#clients) {
      if (!client.authenticated || client.closed) continue;
      if (scope !== null && !scopeSatisfied(client.scopes, scope)) continue;
      if (filter && !filter(client)) continue;
      return true;
    }
    return false;
  }

  send(client: GatewayWsClient, event: string, payload: unknown): void {
    const definition = this.#definition(event);
    if (!definition || !client.authenticated || client.closed) return;
    const head = this.#head(event, payload, definition);
    this.#deliver(client, head, isDroppable(definition, payload), this.#maxBufferedBytes());
  }

  #deliver(client: GatewayWsClient, head: string, dropIfSlow: boolean, limit: number, shared?: Buffer): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    client.seq += 1;
    if (client.ws.bufferedAmount > limit) {
      if (!dropIfSlow) this.#onSlowConsumer(client);
      return;
    }
    corkUntilImmediate(client);
    if (!shared) {
      client.ws.send(`${head}${client.seq}}`);
      return;
    }
    // One text message in two frames: the event, encoded once and queued by reference on every socket, then this
    // socket's seq. (A string is copied into each socket's buffer; thousands of readers of a large event made that
    // hundreds of MB.) Both go out in this call, so no other message can fall between the fragments.
    client.ws.send(shared, { binary: false, fin: false });
    client.ws.send(`${client.seq}}`, { binary: false, fin: true });
  }
}

type SnapshotRun = {
  readers: GatewayWsClient[];
  next: number;
  head: string;
  droppable: boolean;
  shared: Buffer | undefined;
  immediate: NodeJS.Immediate | undefined;
};

function isDroppable(definition: EventDefinition, payload: unknown): boolean {
  const { droppable } = definition;
  return typeof droppable === 'function' ? droppable(payload) : droppable === true;
}
