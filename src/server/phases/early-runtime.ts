import type { GatewayContext } from '../context.ts';
import type { Closer } from './closer.ts';
import { startPhaseServices } from './services.ts';

/**
 * Phase 4, early runtime: the services that run before plugins, today the maintenance timers (`tick`, health
 * refresh); discovery (mDNS) and Tailscale exposure register here as `early-runtime` services.
 */
export function startEarlyRuntime(ctx: GatewayContext, closers: Closer[]): Promise<void> {
  return startPhaseServices(ctx, 'early-runtime', closers);
}
