import type { ClientView, GatewayWsClient } from './ws/client.ts';
import { CLOSE } from './ws/close-codes.ts';

/** What handlers and services may do with connections: count them and disconnect by identity, never touch one. */
export type ConnectionControl = Pick<
  Connections,
  'size' | 'disconnect' | 'disconnectDevice' | 'connectedDevices'
>;

/**
 * The open connections, owned by the network layer. Services and handlers never hold a socket: they ask this
 * service to count, find or disconnect clients by what they are.
 */
export class Connections {
  /** Shared with the WebSocket runtime (adds and removes) and broadcast (fans out). */
  readonly clients = new Set<GatewayWsClient>();

  get size(): number {
    return this.clients.size;
  }

  /** Devices with at least one authenticated, open connection (the Devices page's "connected"). */
  connectedDevices(): Set<string> {
    const ids = new Set<string>();
    for (const client of this.clients) {
      if (client.authenticated && !client.closed && client.deviceId) ids.add(client.deviceId);
    }
    return ids;
  }

  /** Closes every authenticated connection `match` selects with `code`; returns how many. */
  disconnect(match: (client: ClientView) => boolean, code: number, reason: string): number {
    let closed = 0;
    for (const client of this.clients) {
      if (!client.authenticated || client.closed || !match(client)) continue;
      client.ws.close(code, reason);
      closed += 1;
    }
    return closed;
  }

  /** A device was removed or its token rotated/revoked: its sockets lose their grant (close 4001). */
  disconnectDevice(deviceId: string, reason: string, options: { role?: string; deviceTokenOnly: boolean }) {
    return this.disconnect(
      (client) =>
        client.deviceId === deviceId &&
        (options.role === undefined || client.role === options.role) &&
        (!options.deviceTokenOnly || client.authMethod === 'device-token'),
      CLOSE.AUTH_CHANGED,
      `client invalidated: ${reason}`,
    );
  }

  /** The shared secret rotated: sockets that authenticated with an older generation of it are closed. */
  disconnectStaleSecret(generation: number): number {
    return this.disconnect(
      (client) =>
        client.authGeneration < generation &&
        (client.authMethod === 'token' || client.authMethod === 'password'),
      CLOSE.AUTH_CHANGED,
      'gateway auth changed',
    );
  }
}
