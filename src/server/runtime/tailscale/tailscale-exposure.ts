import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { HTTP_CONNECTIONS_CHECK_MS, HTTP_REQUEST_TIMEOUT_MS } from '../../../config/limits.ts';
import { markManagedIngress, type TailnetIdentity } from '../../auth/tailscale-ingress.ts';
import type { GatewayContext } from '../../context.ts';
import { handleHttpRequest } from '../../http/router.ts';
import type { Closer } from '../../phases/closer.ts';
import type { WsRuntime } from '../../ws/connection.ts';
import { TailscaleCli, TailscaleCliError } from './tailscale-cli.ts';

// As in http-listen.ts: require skips the ES-module facade of node:http, which loads Node's bundled undici.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/** What the foreground `tailscale serve|funnel` prints once its route is live (OpenClaw waits for the same). */
const READY_MARKER = 'Press Ctrl+C to exit.';
/** How long the claim may take to come up: the daemon provisions a certificate on first use. */
export const TAILSCALE_CLAIM_TIMEOUT_MS = 15_000;
/** After SIGTERM, how long the CLI gets to remove its route before it is killed. */
export const TAILSCALE_RELEASE_GRACE_MS = 4_000;
/** A whois answer is reused this long; a failed lookup only briefly, so a daemon hiccup is not remembered. */
const WHOIS_CACHE_MS = 60_000;
const WHOIS_ERROR_CACHE_MS = 5_000;
const OUTPUT_LIMIT_CHARS = 20_000;

/**
 * `gateway.tailscale.mode` serve or funnel: a dedicated loopback listener (same routes and WebSocket as the
 * main one), exposed by a foreground `tailscale serve|funnel --bg=false` claim that lives as long as this
 * gateway. Provenance comes from the listener: only its sockets can carry Tailscale identity, and they are never
 * "local" however loopback they look. Stopping sends SIGTERM, which makes the CLI remove its route; nothing is
 * left configured in tailscaled (OpenClaw retired `resetOnExit` for the same reason). A missing CLI or a failed
 * claim is logged and shown by `/readyz` (`tailscale` unhealthy); the gateway keeps serving its own port.
 */
export async function startTailscaleExposure(
  ctx: GatewayContext,
  ws: WsRuntime,
  closers: Closer[],
): Promise<void> {
  const mode = ctx.configState.config.gateway.tailscale.mode;
  if (mode === 'off') return;
  const cli = new TailscaleCli(ctx.env);
  ctx.network.tailscale = { mode, state: 'starting' };
  const whois = cachedWhois(ctx, cli);
  const { limits } = ctx.configState.config.gateway;
  const server = createServer(
    {
      headersTimeout: limits.handshakeTimeoutMs,
      requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: HTTP_CONNECTIONS_CHECK_MS,
    },
    (req, res) => handleHttpRequest(ctx, req, res),
  );
  server.on('connection', (socket: Socket) => markManagedIngress(socket, { mode, whois }));
  server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  server.on('clientError', (_error, socket) => socket.destroy());
  await listenLoopback(server);
  closers.push({ name: 'tailscale-listener', close: () => closeServer(server) });
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let claim: Claim | undefined;
  closers.push({
    name: 'tailscale-claim',
    close: async () => {
      await claim?.release();
      ctx.network.tailscale = { mode, state: 'off' };
    },
  });
  try {
    claim = await startClaim(cli, mode, target, (error) => {
      // The CLI exited on its own: the route is gone while the gateway runs.
      ctx.logger.warn(`tailscale ${mode} ended: ${error}`);
      fail(ctx, mode, error);
    });
    ctx.network.tailscale = { mode, state: 'active', ...(claim.url ? { url: claim.url } : {}) };
    ctx.readiness.setUnhealthy('tailscale', undefined);
    ctx.logger.info(`tailscale ${mode} active`, { url: claim.url, target });
  } catch (error) {
    const message = (error as Error).message;
    const hint =
      error instanceof TailscaleCliError && error.missing
        ? '; install Tailscale (and log in) or set gateway.tailscale.mode to "off"'
        : '';
    ctx.logger.warn(`tailscale ${mode} is not exposing the gateway: ${message}${hint}`);
    fail(ctx, mode, `${message}${hint}`);
    // Nothing proxies to the listener without a route; it would only be a header-trusting port for local processes.
    await closeServer(server);
  }
}

function fail(ctx: GatewayContext, mode: 'serve' | 'funnel', error: string): void {
  ctx.network.tailscale = { mode, state: 'failed', error };
  ctx.readiness.setUnhealthy('tailscale', { mode, error });
}

function cachedWhois(ctx: GatewayContext, cli: TailscaleCli) {
  const cache = new Map<string, { value: TailnetIdentity | undefined; until: number }>();
  return async (ip: string): Promise<TailnetIdentity | undefined> => {
    const now = ctx.now();
    const hit = cache.get(ip);
    if (hit && hit.until > now) return hit.value;
    let value: TailnetIdentity | undefined;
    let ttl = WHOIS_CACHE_MS;
    try {
      value = await cli.whois(ip);
    } catch (error) {
      ctx.logger.debug('tailscale whois failed', { ip, error: (error as Error).message });
      ttl = WHOIS_ERROR_CACHE_MS;
    }
    // Pruned on write, so addresses seen once do not pile up.
    for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
    cache.set(ip, { value, until: now + ttl });
    return value;
  };
}

type Claim = { url: string | undefined; release(): Promise<void> };

function startClaim(
  cli: TailscaleCli,
  mode: 'serve' | 'funnel',
  target: string,
  onLost: (error: string) => void,
): Promise<Claim> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(cli.binary, [mode, '--yes', '--bg=false', target], {
        env: cli.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(new TailscaleCliError(`cannot run ${cli.binary}: ${(error as Error).message}`, false));
      return;
    }
    let output = '';
    let ready = false;
    let releasing = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new TailscaleCliError(
          `tailscale ${mode} did not come up within ${TAILSCALE_CLAIM_TIMEOUT_MS} ms`,
          false,
        ),
      );
    }, TAILSCALE_CLAIM_TIMEOUT_MS);
    const release = async () => {
      if (!releasing) {
        releasing = true;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      }
      const grace = setTimeout(() => child.kill('SIGKILL'), TAILSCALE_RELEASE_GRACE_MS);
      await exited;
      clearTimeout(grace);
    };
    const onOutput = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT_CHARS);
      if (ready || !output.includes(READY_MARKER)) return;
      ready = true;
      clearTimeout(timer);
      resolve({ url: /https:\/\/\S+/.exec(output)?.[0], release });
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (ready) return;
      reject(
        error.code === 'ENOENT'
          ? new TailscaleCliError(`the tailscale CLI (${cli.binary}) is not installed or not on PATH`, true)
          : new TailscaleCliError(`cannot run ${cli.binary}: ${error.message}`, false),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const detail = output.trim().split('\n').at(-1) || `exit ${signal ?? code}`;
      if (!ready) reject(new TailscaleCliError(`tailscale ${mode} failed: ${detail}`, false));
      else if (!releasing) onLost(detail);
    });
  });
}

function listenLoopback(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
