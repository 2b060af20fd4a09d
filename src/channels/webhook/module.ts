import type { GatewayModule } from '../../server/registry.ts';
import type { ChannelAdapter } from '../channel-types.ts';
import { WEBHOOK_CHANNEL_ID, webhookAccounts, webhookDefaultAccount } from './config.ts';

/**
 * The webhook channel (clawgate's own; OpenClaw has none): any system that can POST JSON becomes a chat network.
 * Inbound `POST /channels/webhook[/<accountId>]` signed with HMAC-SHA256, replies POSTed to the account's `url`
 * signed the same way, retried with back-off and dead-lettered when every retry failed. Reading the config is all
 * this module does; the running part loads when an account starts.
 */
export const webhookChannel: ChannelAdapter = {
  id: WEBHOOK_CHANNEL_ID,
  label: 'Webhook',
  detailLabel: 'Webhook (signed HTTP)',
  senderIdLabel: 'sender id',
  accounts: webhookAccounts,
  defaultAccountId: webhookDefaultAccount,
  start: async (ctx) => (await import('./account.ts')).startWebhookAccount(ctx),
};

export const webhookChannelModule: GatewayModule = { id: 'channel-webhook', channels: [webhookChannel] };
