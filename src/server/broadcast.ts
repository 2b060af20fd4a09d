import { WebSocket } from 'ws';
import type { HealthState } from '../health/health-state.ts';
import { payloadJson } from '../protocol/frames.ts';
import { eventScope } from './authz/event-scopes.ts';
import { scopeSatisfied } from './authz/scopes.ts';
import type { GatewayWsClient } from './ws/client.ts';
import { corkUntilImmediate } from './ws/cork.ts';

export type EventOptions = {
  /** Skip (and leave a seq gap) rather than close a client whose send buffer is over the limit. */
  dropIfSlow?: boolean;
  /** Carry `{presence, health}` counters (presence and health events). */
  stateVersion?: boolean;
  /** Narrows the audience further than the event's scope (subscriptions). */
  filter?: (client: GatewayWsClient) => boolean;
};

/** The fan-out interface handlers use; the in-process one is the default, a cluster bus can replace it. */
export type Broadcast = {
  broadcast(event: string, payload: unknown, options?: EventOptions): void;
  send(client: GatewayWsClient, event: string, payload: unknown, options?: EventOptions): void;
};

/**
 * In-process fan-out. Each event is serialised once; only the trailing `seq` differs per client, so a frame is
 * a string concatenation. `seq` counts events addressed to a connection: a droppable event skipped for a slow
 * client still takes its number (the client sees the gap), while events outside its scope take none.
 */
export class InProcessBroadcast implements Broadcast {
  #clients: ReadonlySet<GatewayWsClient>;
  #health: HealthState;
  #maxBufferedBytes: () => number;
  #onSlowConsumer: (client: GatewayWsClient) => void;

  constructor(options: {
    clients: ReadonlySet<GatewayWsClient>;
    health: HealthState;
    maxBufferedBytes: () => number;
    onSlowConsumer: (client: GatewayWsClient) => void;
  }) {
    this.#clients = options.clients;
    this.#health = options.health;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#onSlowConsumer = options.onSlowConsumer;
  }

  #head(event: string, payload: unknown, options: EventOptions | undefined): string {
    let head = `{"type":"event","event":${JSON.stringify(event)}`;
    if (payload !== undefined) head += `,"payload":${payloadJson(payload)}`;
    if (options?.stateVersion) head += `,"stateVersion":${JSON.stringify(this.#health.stateVersion)}`;
    return `${head},"seq":`;
  }

  broadcast(event: string, payload: unknown, options?: EventOptions): void {
    const scope = eventScope(event);
    if (scope === undefined) return;
    let head: string | undefined;
    const limit = this.#maxBufferedBytes();
    const filter = options?.filter;
    for (const client of this.#clients) {
      if (!client.authenticated || client.closed) continue;
      if (scope !== null && !scopeSatisfied(client.scopes, scope)) continue;
      if (filter && !filter(client)) continue;
      head ??= this.#head(event, payload, options);
      this.#deliver(client, head, options?.dropIfSlow === true, limit);
    }
  }

  send(client: GatewayWsClient, event: string, payload: unknown, options?: EventOptions): void {
    if (!client.authenticated || client.closed) return;
    this.#deliver(
      client,
      this.#head(event, payload, options),
      options?.dropIfSlow === true,
      this.#maxBufferedBytes(),
    );
  }

  #deliver(client: GatewayWsClient, head: string, dropIfSlow: boolean, limit: number): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    client.seq += 1;
    if (client.ws.bufferedAmount > limit) {
      if (!dropIfSlow) this.#onSlowConsumer(client);
      return;
    }
    corkUntilImmediate(client);
    client.ws.send(`${head}${client.seq}}`);
  }
}
