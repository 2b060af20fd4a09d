import type { GatewayModule } from '../server/registry.ts';
import { channelsMethods } from './methods.ts';
import { channelsRoute } from './route.ts';

/**
 * Channels: `channels.status`, start/stop/logout, DM pairing, `send` and `message.action`, the HTTP entry of
 * channels that take webhooks, and the service that runs every configured account in the plugin-bootstrap phase
 * (`/readyz` waits until each has started or failed). The channels themselves register as other modules'
 * `channels` (the built-in webhook channel's, Telegram's, a plugin's).
 */
export const channelsModule: GatewayModule = {
  id: 'channels',
  methods: channelsMethods,
  routes: [channelsRoute],
  services: [
    {
      name: 'channels',
      phase: 'plugin-bootstrap',
      requiredForReady: true,
      start: (ctx) => ctx.channels.start(ctx.config),
      stop: (ctx) => ctx.channels.stop(),
    },
  ],
};
