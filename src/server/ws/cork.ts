import type { GatewayWsClient } from './client.ts';

type Corkable = { cork(): void; uncork(): void };

/**
 * Holds a socket's writes until the check phase of the current event-loop turn, so everything the turn emits for
 * it (the frames of every run that stepped, a presence or health broadcast) leaves in one
 * writev instead of one syscall each: on loopback the writev itself, where the kernel delivers to the reader, was
 * 62 % of the gateway's time under fan-out. ws corks per frame itself; Node counts corks, so ours spans its.
 * `_socket` is ws's private socket field (ws is pinned exactly). Measured against uncorking at the end of the
 * tick: fan-out to 10 / 100 / 1 000 clients 66k → 96k / 148k → 235k / 103k → 183k frames/s.
 */
export function corkUntilImmediate(client: GatewayWsClient): void {
  const socket = corkOnce(client);
  if (socket) setImmediate(uncork, client, socket);
}

/**
 * Holds a socket's writes only until the end of the current tick: for answers to requests, which should not wait
 * for the check phase (where slices of pre-auth work may run first, see preauth-work.ts). The answers to requests
 * read together (one socket read of pipelined frames) still leave in one writev. A socket already held until the
 * check phase stays so: its answer rides along.
 */
export function corkUntilTickEnds(client: GatewayWsClient): void {
  const socket = corkOnce(client);
  if (socket) process.nextTick(uncork, client, socket);
}

function corkOnce(client: GatewayWsClient): Corkable | undefined {
  if (client.corked) return undefined;
  const socket = (client.ws as unknown as { _socket?: Corkable })._socket;
  if (!socket) return undefined;
  socket.cork();
  client.corked = true;
  return socket;
}

function uncork(client: GatewayWsClient, socket: Corkable): void {
  client.corked = false;
  socket.uncork();
}
