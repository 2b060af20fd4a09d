import type { GatewayContext } from '../context.ts';
import type { Closer } from './closer.ts';
import { startPhaseServices } from './services.ts';

/**
 * Phase 7, post-attach runtime: the config file starts being watched (every subscriber is in place by now),
 * then the `post-attach` services start: cron, the memory backend, hooks and the update check register here.
 */
export async function startPostAttachRuntime(ctx: GatewayContext, closers: Closer[]): Promise<void> {
  ctx.config.watch(ctx.configState.config.gateway.reload.mode === 'hybrid');
  await startPhaseServices(ctx, 'post-attach', closers);
}
