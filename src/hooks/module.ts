import type { ConfigChange } from '../config/reload.ts';
import type { GatewayContext } from '../server/context.ts';
import type { GatewayModule } from '../server/registry.ts';
import { hooksMethods } from './methods.ts';
import { hooksRoute } from './route.ts';

function describe(ctx: GatewayContext): string {
  const { path, mappings } = ctx.configState.config.hooks;
  return `webhooks: serving POST ${path}/wake, ${path}/agent${mappings.length > 0 ? ` and ${mappings.length} mapping(s)` : ''}`;
}

function onChange(ctx: GatewayContext, { before, after }: ConfigChange): void {
  if (before.hooks.enabled === after.hooks.enabled && before.hooks.path === after.hooks.path) return;
  if (after.hooks.enabled) ctx.logger.info(describe(ctx));
  else ctx.logger.info('webhooks: disabled; the hooks path is no longer served');
}

/**
 * Webhooks (OpenClaw's `hooks.*`): `POST <hooks.path>/wake`, `/agent` and the configured mappings, plus
 * `hooks.status`. The route reads the live config per request; the service only reports the endpoint's state in
 * the log and, on close, waits for hook runs in flight to record their tasks before the store closes.
 */
export const hooksModule: GatewayModule = {
  id: 'hooks',
  methods: hooksMethods,
  routes: [hooksRoute],
  services: [
    {
      name: 'hooks',
      phase: 'post-attach',
      start: (ctx) => {
        if (ctx.configState.config.hooks.enabled) ctx.logger.info(describe(ctx));
        ctx.hooks.attach(ctx.config.subscribe((change) => onChange(ctx, change)));
      },
      stop: (ctx) => ctx.hooks.close(),
    },
  ],
};
