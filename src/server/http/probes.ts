import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackIp } from '../auth/net-address.ts';
import { requestSourceIp } from '../auth/tailscale-ingress.ts';
import type { GatewayContext } from '../context.ts';
import type { RouteDefinition } from '../registry.ts';
import { bearerAuthorized } from './bearer-auth.ts';
import { sendJson } from './respond.ts';

const PROBE_METHODS = new Set(['GET', 'HEAD']);

/** `/health` is liveness: 200 as soon as the listener is bound (protocol.md §1). */
function liveness(_ctx: GatewayContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { ok: true, status: 'live' });
}

/**
 * `/readyz`: 503 until every start-up phase finished, and while a component is unhealthy (a failed channel account,
 * named in `failing` with its detail in `unhealthy`); anonymous remote callers learn only `ready`.
 */
function readiness(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const ready = ctx.readiness.healthy;
  const local = isLoopbackIp(requestSourceIp(req));
  const unhealthy = ctx.readiness.unhealthy();
  const body =
    local || bearerAuthorized(ctx, req)
      ? {
          ready,
          failing: ctx.readiness.failing(),
          ...degradedField(ctx),
          uptimeMs: ctx.now() - ctx.startedAt,
          eventLoop: ctx.healthSnapshot().eventLoop,
          ...(Object.keys(unhealthy).length > 0 ? { unhealthy } : {}),
        }
      : { ready };
  sendJson(res, ready ? 200 : 503, body);
}

/** What failed cleanly without blocking readiness (a disabled plugin), when anything did. */
function degradedField(ctx: GatewayContext): { degraded?: { name: string; reason: string }[] } {
  const degraded = ctx.readiness.degraded();
  return degraded.length > 0 ? { degraded } : {};
}

function startup(ctx: GatewayContext, _req: IncomingMessage, res: ServerResponse): void {
  // Start-up is over once the sidecars are up; a component failing later affects /readyz, not this.
  const status = ctx.readiness.draining ? 'draining' : ctx.readiness.started ? 'started' : 'starting';
  const body: Record<string, unknown> = {
    ok: status === 'started',
    status,
    version: ctx.version,
    uptimeMs: ctx.now() - ctx.startedAt,
  };
  if (status === 'starting') body.pendingReason = 'startup-sidecars';
  sendJson(res, status === 'started' ? 200 : 503, body);
}

const PROBES: Record<string, (ctx: GatewayContext, req: IncomingMessage, res: ServerResponse) => void> = {
  '/health': liveness,
  '/healthz': liveness,
  '/ready': readiness,
  '/readyz': readiness,
  '/startup': startup,
  '/startupz': startup,
};

/** Liveness, readiness and start-up probes: unauthenticated, details only for loopback or Bearer callers. */
export const probeRoute: RouteDefinition = {
  name: 'probes',
  auth: 'none',
  match: (_ctx, path) => Object.hasOwn(PROBES, path),
  handle: (ctx, req, res, path) => handleProbe(ctx, req, res, path),
};

function handleProbe(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  const probe = PROBES[path] as (typeof PROBES)[string];
  if (!PROBE_METHODS.has(req.method ?? 'GET')) {
    sendJson(
      res,
      405,
      { error: { message: 'Method Not Allowed', type: 'method_not_allowed' } },
      { allow: 'GET, HEAD' },
    );
    return;
  }
  probe(ctx, req, res);
}
