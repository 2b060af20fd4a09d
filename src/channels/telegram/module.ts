import type { GatewayModule } from '../../server/registry.ts';
import { telegramAdapter } from './telegram-adapter.ts';

/** Telegram as a built-in channel, registered the way a plugin's `api.registerChannel` would. */
export const telegramModule: GatewayModule = { id: 'telegram', channels: [telegramAdapter] };
