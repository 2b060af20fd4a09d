import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../registry.ts';
import type { Closer } from './closer.ts';
import { startPhaseServices } from './services.ts';

/**
 * Phase 5, plugin bootstrap: plugins register their modules into the registry (as the core's did in the state
 * phase) and their `plugin-bootstrap` services, channels among them, start. A channel that fails to start is
 * marked failed and listed by `/readyz`; the gateway still starts. `modules` are the in-process ones (an
 * embedder's, a test's); a clash with a core name stops start-up with the owner named.
 */
export function bootstrapPlugins(
  ctx: GatewayContext,
  closers: Closer[],
  modules: readonly GatewayModule[],
): Promise<void> {
  for (const module of modules) ctx.registry.register(module);
  return startPhaseServices(ctx, 'plugin-bootstrap', closers);
}
