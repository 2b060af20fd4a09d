import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { broadcastPresence, PresencePublisher } from '../../presence/presence-publisher.ts';
import { presenceText } from '../../presence/presence-registry.ts';
import { unnumberedEvent } from '../../protocol/frames.ts';
import { loadSchemas } from '../../protocol/validators.ts';
import { isLoopbackIp, normalizeIp, sourceBucket } from '../auth/net-address.ts';
import { type TailscaleAttribution, tailscaleAttribution } from '../auth/tailscale-ingress.ts';
import type { GatewayContext } from '../context.ts';
import { handleClientFrame } from '../dispatch.ts';
import { GatewayWsClient } from './client.ts';
import { CLOSE } from './close-codes.ts';
import { handleConnectFrame } from './handshake.ts';
import { originAllowed } from './origin.ts';
import { PreAuthBudget } from './pre-auth-budget.ts';
import { PreAuthWork } from './preauth-work.ts';

/** Client modes OpenClaw treats as ephemeral: never listed in presence. */
const EPHEMERAL_MODES = new Set(['cli', 'probe', 'backend']);

/** Paths the upgrade never accepts (OpenClaw reserves them for workers). */
const RESERVED_PATH_PREFIXES = ['/__openclaw__/worker'];
const FORWARDING_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'];

/**
 * Node's timers run on a loop clock that lags performance.now() by up to a millisecond, so a wake armed for
 * N ms can find N - 1 ms passed; without the slack a round due now would wait one more wake.
 */
const TIMER_SLACK_MS = 1;

type Receiver = { _maxPayload: number };

/**
 * Raises a socket's frame limit from the pre-auth cap to the post-hello one. ws checks `_maxPayload` on every
 * frame header; it has no public setter, and one server-wide limit cannot express "64 KiB until hello". The
 * ws version is pinned exactly and test/gateway/limits.test.ts crosses both limits, so a change here is caught.
 */
function raiseMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: Receiver })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
      `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export type WsRuntime = {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket with `code`/`reason`, terminating stragglers after the grace period. */
  closeAll(code: number, reason: string, graceMs: number): Promise<void>;
  close(): void;
};

/** Tailscale traffic the upgrade accepted (an unattributable request is refused before this). */
type AttributedTailscale = Exclude<TailscaleAttribution, { kind: 'unattributable' }>;

export function createWsRuntime(ctx: GatewayContext): WsRuntime {
  const limits = () => ctx.configState.config.gateway.limits;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: limits().maxPreauthPayloadBytes,
    clientTracking: false,
  });
  const budget = new PreAuthBudget();
  const preAuthWork = new PreAuthWork(
    () => limits().preauthSliceMs,
    (error) => ctx.logger.error('pre-auth work failed', { error: (error as Error).stack }),
  );
  /** Raw sockets whose upgrade waits in the queue: closing the runtime destroys them, as nothing else will. */
  const queuedUpgrades = new Set<Duplex>();
  const presence = new PresencePublisher(
    () => limits().presenceCoalesceMs,
    () => broadcastPresence(ctx),
  );

  // One timer pings every socket and ends the silent ones. It wakes at the shorter of the two limits, read live
  // at each wake: a ping round goes out about every pingIntervalMs, and a socket whose ping is unanswered after
  // pongTimeoutMs is terminated at the first wake past it.
  let lastPingRound = performance.now();
  let sweep: NodeJS.Timeout | undefined;
  const armSweep = () => {
    const { pingIntervalMs, pongTimeoutMs } = limits();
    sweep = setTimeout(sweepSockets, Math.min(pingIntervalMs, pongTimeoutMs));
    sweep.unref();
  };
  function sweepSockets(): void {
    const { pingIntervalMs, pongTimeoutMs } = limits();
    const now = performance.now();
    const pingRound = now - lastPingRound >= pingIntervalMs - TIMER_SLACK_MS;
    if (pingRound) lastPingRound = now;
    for (const client of ctx.connections.clients) {
      if (!client.authenticated) continue;
      if (client.pingSentAt !== undefined) {
        if (now - client.pingSentAt >= pongTimeoutMs - TIMER_SLACK_MS) client.ws.terminate();
      } else if (pingRound) {
        client.pingSentAt = now;
        client.ws.ping();
      }
    }
    armSweep();
  }
  armSweep();

  function peerOf(
    req: IncomingMessage,
    tailscale: AttributedTailscale | undefined,
  ): { ip: string; viaProxy: boolean; proxyUser: string | undefined } {
    // Serve/Funnel traffic arrives from 127.0.0.1 but is remote: it is accounted to the client tailscaled names.
    if (tailscale) return { ip: tailscale.clientIp, viaProxy: true, proxyUser: undefined };
    const remote = normalizeIp(req.socket.remoteAddress);
    const { gateway } = ctx.configState.config;
    if (gateway.trustedProxies.includes(remote)) {
      const forwarded = req.headers['x-forwarded-for'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      const userHeader = req.headers[gateway.auth.trustedProxy.userHeader.toLowerCase()];
      const user = Array.isArray(userHeader) ? userHeader[0] : userHeader;
      const allowUsers = gateway.auth.trustedProxy.allowUsers;
      const proxyUser = user && (allowUsers.length === 0 || allowUsers.includes(user)) ? user : undefined;
      return { ip: normalizeIp(first || remote), viaProxy: true, proxyUser };
    }
    const viaProxy = FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined);
    return { ip: remote, viaProxy, proxyUser: undefined };
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (RESERVED_PATH_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (ctx.readiness.draining) {
      refuseUpgrade(socket, 503, 'Gateway shutting down');
      return;
    }
    const tailscale = tailscaleAttribution(req);
    if (tailscale?.kind === 'unattributable') {
      refuseUpgrade(socket, 403, 'Proxy attribution required');
      return;
    }
    const peer = peerOf(req, tailscale);
    const loopback = isLoopbackIp(peer.ip);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (
      origin &&
      !originAllowed(
        req,
        origin,
        ctx.configState.config.gateway.controlUi.allowedOrigins,
        loopback && !peer.viaProxy,
      )
    ) {
      refuseUpgrade(socket, 403, 'Origin not allowed');
      return;
    }
    const bucket = sourceBucket(peer.ip);
    if (!budget.tryAcquire(bucket, limits().maxPreauthConnectionsPerIp)) {
      refuseUpgrade(socket, 503, 'Too many unauthenticated sockets');
      return;
    }
    const slot = holdSlotUntilAttached(socket, bucket);
    const capHeader = req.headers['x-openclaw-scopes'];
    const scopeCap =
      typeof capHeader === 'string'
        ? new Set(
            capHeader
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          )
        : undefined;
    // The schema layer loads on the first upgrade, while the client is still reading its challenge: warming it
    // at start-up blocked the probes (~40 ms bundled, ~400 ms from sources) and kept it in an idle gateway's RSS.
    void loadSchemas().catch(() => undefined);
    const arrivedAt = performance.now();
    queuedUpgrades.add(socket);
    preAuthWork.run(() => {
      queuedUpgrades.delete(socket);
      if (socket.destroyed) return;
      // Shutdown began while it queued: closeAll has already taken its list of sockets to close.
      if (ctx.readiness.draining) {
        refuseUpgrade(socket, 503, 'Gateway shutting down');
        return;
      }
      const waitedMs = performance.now() - arrivedAt;
      if (waitedMs >= limits().handshakeTimeoutMs) {
        refuseUpgrade(socket, 503, 'Handshake timeout');
        return;
      }
      // The 101 response and the challenge leave in one write.
      socket.cork();
      process.nextTick(() => socket.uncork());
      wss.handleUpgrade(req, socket, head, (ws) => {
        slot.attached = true;
        const client = new GatewayWsClient({
          connId: randomUUID(),
          ws,
          ip: peer.ip,
          loopback,
          directLocal: loopback && !peer.viaProxy,
          bucket,
          origin,
          scopeCap,
          trustedProxyUser: peer.proxyUser,
          tailscale,
          nonce: randomUUID(),
          challengeTs: ctx.now(),
        });
        attach(client, waitedMs);
      });
    });
  }

  /**
   * The pre-auth slot goes back when the socket closes before it became a client: a malformed upgrade ws refuses
   * itself (400), or a peer that gave up while its upgrade was queued. Its own function, so the listener, which
   * lives as long as the socket, does not keep the upgrade request and its buffers alive with it.
   */
  function holdSlotUntilAttached(socket: Duplex, bucket: string): { attached: boolean } {
    const slot = { attached: false };
    socket.once('close', () => {
      if (!slot.attached) budget.release(bucket);
    });
    return slot;
  }

  /** `waitedMs`: how long the upgrade queued, which counts against the handshake timeout. */
  function attach(client: GatewayWsClient, waitedMs: number): void {
    const { ws } = client;
    ctx.connections.clients.add(client);
    ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    ws.on('pong', () => {
      client.pingSentAt = undefined;
    });
    ws.on('error', (error) => {
      ctx.logger.debug('socket error', { connId: client.connId, error: error.message });
    });
    ws.on('close', () => onClose(client));
    const timeoutMs = Math.max(0, limits().handshakeTimeoutMs - waitedMs);
    client.handshakeTimer = setTimeout(() => {
      // Sockets that time out together (a flood's wave) are closed a slice at a time, not all in one turn.
      preAuthWork.run(() => {
        if (client.authenticated || client.closed) return;
        // The close frame goes out, then the socket at the end of this loop turn: waiting for the peer's close
        // reply would cost a read and a timer per socket of a flood. Not in the same tick: destroying a socket
        // whose write has not yet called back builds an error (stack trace and all) per pending write.
        ws.close(CLOSE.POLICY, 'handshake timeout');
        setImmediate(terminate, ws);
      });
    }, timeoutMs);
    client.handshakeTimer.unref();
    ws.send(
      unnumberedEvent('connect.challenge', {
        nonce: client.nonce,
        ts: client.challengeTs,
        capabilities: ['model-catalog-snapshot'],
      }),
    );
  }

  function onMessage(client: GatewayWsClient, data: RawData, isBinary: boolean): void {
    const text = isBinary || !Buffer.isBuffer(data) ? rawToString(data) : data.toString('utf8');
    if (client.authenticated) {
      void handleClientFrame(ctx, client, text);
      return;
    }
    if (client.connecting) {
      if (client.queued.length >= limits().maxPreauthQueuedFrames) {
        client.ws.close(CLOSE.POLICY, 'too many frames before hello');
        return;
      }
      client.queued.push(text);
      return;
    }
    client.connecting = true;
    preAuthWork.run(() => {
      if (client.closed) {
        client.connecting = false;
        return;
      }
      void handleConnectFrame(ctx, client, text, onAccepted).finally(() => {
        client.connecting = false;
      });
    });
  }

  function onAccepted(client: GatewayWsClient): void {
    budget.release(client.bucket);
    clearTimeout(client.handshakeTimer);
    client.handshakeTimer = undefined;
    raiseMaxPayload(client.ws, limits().maxPayloadBytes);
    const info = client.info;
    // CLI calls, probes and backends stay out of presence, as OpenClaw keeps its "ephemeral" clients out: each
    // would otherwise cost a presence broadcast to every reader, and a fleet of backends O(N²) bytes.
    // Broadcasts are coalesced (presence-publisher.ts): a burst of connects costs one per window, not one each.
    if (info && (client.role === 'node' || !EPHEMERAL_MODES.has(info.mode))) {
      const entry = {
        host: info.displayName ?? info.instanceId ?? info.id,
        ip: client.ip,
        version: info.version,
        platform: info.platform,
        ...(info.deviceFamily ? { deviceFamily: info.deviceFamily } : {}),
        ...(info.modelIdentifier ? { modelIdentifier: info.modelIdentifier } : {}),
        mode: info.mode,
        reason: 'connect',
        ts: ctx.now(),
        instanceId: info.instanceId ?? client.connId,
        ...(client.deviceId ? { deviceId: client.deviceId } : {}),
        roles: [client.role],
        scopes: [...client.scopes],
      };
      ctx.presence.upsert(client.connId, { ...entry, text: presenceText(entry) });
      presence.changed();
    }
    ctx.logger.debug('client connected', {
      connId: client.connId,
      client: info?.id,
      mode: info?.mode,
      ip: client.ip,
    });
    const queued = client.queued;
    client.queued = [];
    for (const text of queued) void handleClientFrame(ctx, client, text);
  }

  function onClose(client: GatewayWsClient): void {
    if (client.closed) return;
    client.closed = true;
    clearTimeout(client.handshakeTimer);
    ctx.connections.clients.delete(client);
    if (!client.authenticated) budget.release(client.bucket);
    else {
      if (client.role === 'node') ctx.nodes.disconnected(client);
      if (ctx.presence.remove(client.connId)) presence.changed();
    }
  }

  async function closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    const open = [...ctx.connections.clients];
    if (open.length === 0) return;
    const done = Promise.all(
      open.map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.ws.readyState === client.ws.CLOSED) resolve();
            else client.ws.once('close', () => resolve());
          }),
      ),
    );
    for (const client of open) client.ws.close(code, reason);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const client of open) client.ws.terminate();
        resolve();
      }, graceMs);
    });
    await Promise.race([done, grace]);
    clearTimeout(timer);
    for (const client of open) onClose(client);
  }

  return {
    handleUpgrade,
    closeAll,
    close() {
      clearTimeout(sweep);
      presence.close();
      preAuthWork.close();
      for (const socket of queuedUpgrades) socket.destroy();
      queuedUpgrades.clear();
      wss.close();
    },
  };
}

function terminate(ws: WebSocket): void {
  ws.terminate();
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
