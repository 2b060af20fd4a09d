import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { HTTP_CONNECTIONS_CHECK_MS, HTTP_REQUEST_TIMEOUT_MS } from '../../config/limits.ts';
import { LOOPBACK_BINDS } from '../../config/load.ts';
import type { GatewayContext } from '../context.ts';
import { prepareControlUi } from '../http/control-ui.ts';
import { handleHttpRequest } from '../http/router.ts';
import type { TlsRuntime } from '../tls.ts';
import { createWsRuntime, type WsRuntime } from '../ws/connection.ts';
import type { Closer } from './closer.ts';

// Loaded through require on purpose: building the ES-module facade of node:http touches its lazy `WebSocket`
// export, which loads Node's bundled undici (measured: +45-70 ms to start-up, +2.7 MB RSS).
const require = createRequire(import.meta.url);
const { createServer: createHttpServer } = require('node:http') as typeof import('node:http');
const { createServer: createHttpsServer } = require('node:https') as typeof import('node:https');

export type Listener = { server: Server; ws: WsRuntime; host: string; url: string };

function bindHost(bind: string): string {
  if (LOOPBACK_BINDS.has(bind)) return bind === '::1' ? '::1' : '127.0.0.1';
  if (bind === 'lan') return '0.0.0.0';
  return bind;
}

/**
 * Phase 3, HTTP + WebSocket listener: probes answer from here on; connects get UNAVAILABLE until the WS
 * handlers are attached (phase 8).
 */
export async function listen(
  ctx: GatewayContext,
  tls: TlsRuntime | undefined,
  closers: Closer[],
): Promise<Listener> {
  const { config } = ctx.configState;
  const handler = (
    req: Parameters<typeof handleHttpRequest>[1],
    res: Parameters<typeof handleHttpRequest>[2],
  ) => handleHttpRequest(ctx, req, res);
  // Slow request headers (slowloris) get as long as a WebSocket handshake, checked every second rather than
  // Node's default 60 s / 30 s.
  const timeouts = {
    headersTimeout: config.gateway.limits.handshakeTimeoutMs,
    requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: HTTP_CONNECTIONS_CHECK_MS,
  };
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, ...timeouts }, handler)
    : createHttpServer(timeouts, handler);
  const ws = createWsRuntime(ctx);
  // Registered before listen: if listening fails, start-up's cleanup still clears the runtime's timers.
  closers.push({ name: 'ws-runtime', close: () => ws.close() });
  server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  server.on('clientError', (_error, socket) => socket.destroy());
  const host = bindHost(config.gateway.bind);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.gateway.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  closers.push({
    name: 'http-listener',
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  ctx.boundPort = (server.address() as AddressInfo).port;
  await prepareControlUi(ctx); // a bad gateway.controlUi.root is a logged warning, not a failed start
  const scheme = tls ? 'wss' : 'ws';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${scheme}://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${ctx.boundPort}`;
  return { server, ws, host, url };
}
