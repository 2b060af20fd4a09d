import type { IncomingMessage } from 'node:http';
import { secretsEqual } from '../auth/secret-compare.ts';
import type { GatewayContext } from '../context.ts';

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
