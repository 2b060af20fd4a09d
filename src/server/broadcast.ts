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

/** The fan-out interface handlers use; the in-process one is the default, a cluster bus can replace it. */
export type Broadcast = {
  /** Returns the bytes queued, over all recipients (what a caller may pace itself by). */
  broadcast(event: string, payload: unknown, options?: EventOptions): number;
  send(client: GatewayWsClient, event: string, payload: unknown): void;
};

/**
 * In-process fan-out. Each event is serialised once; only the trailing `seq` differs per client, so a frame is
 * a string concatenation. `seq` counts events addressed to a connection: a droppable event skipped for a slow
 * client still takes its number (the client sees the gap), while events outside its scope take none. Scope,
 * droppability and `stateVersion` come from the event's registration, never from the caller.
 */
export class InProcessBroadcast implements Broadcast {
  #clients: ReadonlySet<GatewayWsClient>;
  #health: HealthState;
  #registry: GatewayRegistry;
  #maxBufferedBytes: () => number;
  #onSlowConsumer: (client: GatewayWsClient) => void;
  #onUnregistered: (event: string) => void;

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

function isDroppable(definition: EventDefinition, payload: unknown): boolean {
  const { droppable } = definition;
  return typeof droppable === 'function' ? droppable(payload) : droppable === true;
}
