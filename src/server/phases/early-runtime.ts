import type { GatewayContext } from '../context.ts';
import type { Closer } from './closer.ts';
import type { Listener } from './http-listen.ts';
import { startPhaseServices } from './services.ts';

/**
 * Phase 4, early runtime: the services that run before plugins (the maintenance timers, discovery), then the
 * optional Tailscale exposure, which needs the listener's WebSocket runtime for its own loopback listener and
 * is imported only when `gateway.tailscale.mode` asks for it.
 */
export async function startEarlyRuntime(
  ctx: GatewayContext,
  listener: Listener,
  closers: Closer[],
): Promise<void> {
  await startPhaseServices(ctx, 'early-runtime', closers);
  if (ctx.configState.config.gateway.tailscale.mode === 'off') return;
  const { startTailscaleExposure } = await import('../runtime/tailscale/tailscale-exposure.ts');
  await startTailscaleExposure(ctx, listener.ws, closers);
}
