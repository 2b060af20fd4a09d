import { SECRET_POLL_INTERVAL_MS } from '../../config/limits.ts';
import type { GatewayContext } from '../context.ts';
import type { Closer } from './closer.ts';

/**
 * Phase 6, auth: the shared secret goes live. A config change re-resolves it at once; one coarse poll also
 * covers the generated-token file and any `file:` secret (a few stat calls), so sockets using a rotated secret
 * are closed within a second even if nobody connects.
 */
export function startAuth(ctx: GatewayContext, closers: Closer[]): void {
  const closeStale = (generation: number) => {
    ctx.logger.info('gateway auth changed: closing sockets that used the old secret');
    ctx.connections.disconnectStaleSecret(generation);
  };
  const unsubscribe = ctx.config.subscribe(({ after }) => {
    ctx.authLimiter.updateSettings(after.gateway.auth.rateLimit);
    const { auth, changed } = ctx.secrets.reload();
    // Deferred one turn so a config.set/patch caller, usually one of those sockets, gets its answer first.
    if (changed) setImmediate(() => closeStale(auth.generation));
  });
  const poll = setInterval(() => {
    const { auth, changed } = ctx.secrets.current();
    if (changed) closeStale(auth.generation);
  }, SECRET_POLL_INTERVAL_MS);
  poll.unref();
  closers.push({
    name: 'auth-watch',
    close: () => {
      unsubscribe();
      clearInterval(poll);
    },
  });
}
