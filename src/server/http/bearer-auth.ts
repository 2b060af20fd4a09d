import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackIp, sourceBucket } from '../auth/net-address.ts';
import { secretsEqual } from '../auth/secret-compare.ts';
import { requestSourceIp } from '../auth/tailscale-ingress.ts';
import type { GatewayContext } from '../context.ts';
import { sendJson, unauthorized } from './respond.ts';

/**
 * HTTP routes authenticate with `Authorization: Bearer <shared secret>` (token or password, as the mode says).
 * A valid bearer grants what OpenClaw grants it: admin, read, write, approvals, pairing, talk.secrets.
 */
export function bearerAuthorized(ctx: GatewayContext, req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const offered = header.slice(7).trim();
  const { auth } = ctx.secrets.current();
  const expected = auth.mode === 'token' ? auth.token : auth.mode === 'password' ? auth.password : undefined;
  return expected !== undefined && offered !== '' && secretsEqual(offered, expected);
}

/**
 * The gate of a Bearer-only route: answers 401 for a missing or wrong secret and 429 (with `Retry-After`) while
 * the source is locked out. Wrong secrets count against the same failed-auth limit as WebSocket connects.
 */
export function requireBearer(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): boolean {
  const ip = requestSourceIp(req);
  const key = `http:${sourceBucket(ip)}`;
  const loopback = isLoopbackIp(ip);
  const verdict = ctx.authLimiter.check(key, loopback);
  if (verdict.locked) {
    tooManyAttempts(res, verdict.retryAfterMs);
    return false;
  }
  if (bearerAuthorized(ctx, req)) {
    ctx.authLimiter.succeed(key);
    return true;
  }
  if (typeof req.headers.authorization === 'string') {
    const failed = ctx.authLimiter.fail(key, loopback);
    if (failed.locked) {
      tooManyAttempts(res, failed.retryAfterMs);
      return false;
    }
  }
  unauthorized(res);
  return false;
}

function tooManyAttempts(res: ServerResponse, retryAfterMs: number): void {
  sendJson(
    res,
    429,
    { error: { message: 'Too many failed authentication attempts; retry later', type: 'rate_limited' } },
    { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) },
  );
}
