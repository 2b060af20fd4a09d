import { runChannelConformance } from './conformance.ts';
import { startWebhookNetwork } from './webhook-network.ts';

runChannelConformance({
  channel: 'webhook',
  textChunkLimit: 200,
  createNetwork: () => startWebhookNetwork(),
});
