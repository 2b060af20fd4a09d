import type { GatewayContext } from '../context.ts';

/**
 * Phase 8, WS handlers attached: from now on `connect` is answered and ⏳ methods run. Services still pending
 * or failed (`requiredForReady`) keep `/readyz` at 503, naming them.
 */
export function attachWsHandlers(ctx: GatewayContext): void {
  ctx.readiness.markStarted();
}
