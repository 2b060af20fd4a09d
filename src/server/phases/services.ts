import type { GatewayContext } from '../context.ts';
import type { ServicePhase } from '../registry.ts';
import type { Closer } from './closer.ts';

/** Starts the services registered for `phase`; their stop joins the closers (reverse order on shutdown). */
export async function startPhaseServices(ctx: GatewayContext, phase: ServicePhase, closers: Closer[]) {
  closers.push({
    name: `${phase} services`,
    close: () =>
      ctx.registry.stopServices(ctx, phase, (message, error) =>
        ctx.logger.warn(message, { error: error.message }),
      ),
  });
  await ctx.registry.startServices(ctx, phase);
}
