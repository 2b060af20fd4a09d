import { pluginsConfigured } from '../../plugins/policy.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayModule } from '../registry.ts';
import type { Closer } from './closer.ts';
import { startPhaseServices } from './services.ts';

/**
 * Phase 5, plugin bootstrap: the in-process modules (an embedder's, a test's) register, then the configured
 * OpenClaw plugins load, in parallel, each within `plugins.load.timeoutMs` (src/plugins/loader.ts, imported only
 * when a plugin is configured). A plugin that throws, hangs or clashes is disabled, logged once and listed by
 * `/readyz`; the gateway still starts. Then the `plugin-bootstrap` services start, the channel manager among
 * them, with the plugins' channels already registered. A clash between in-process modules and the core still
 * stops start-up with the owner named.
 */
export async function bootstrapPlugins(
  ctx: GatewayContext,
  closers: Closer[],
  modules: readonly GatewayModule[],
): Promise<void> {
  for (const module of modules) ctx.registry.register(module);
  ctx.plugins.attach(ctx);
  closers.push({ name: 'plugins', close: () => ctx.plugins.close() });
  if (pluginsConfigured(ctx.configState.config.plugins)) await (await ctx.plugins.host()).refresh();
  await startPhaseServices(ctx, 'plugin-bootstrap', closers);
}
