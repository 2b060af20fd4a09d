/**
 * Starts a gateway and stops it: with `configured`, the webhook channel runs and one message goes through it;
 * otherwise nothing is configured and only `/health` is asked. The lazy-loading test records the modules loaded.
 */
import { startTestGateway } from '../helpers/gateway.ts';
import { eventually } from './conformance.ts';
import { startWebhookNetwork } from './webhook-network.ts';

const configured = process.argv[2] === 'configured';
const network = await startWebhookNetwork();
const gw = await startTestGateway({
  config: configured
    ? {
        models: { echo: { wordDelayMs: 0 } },
        channels: { webhook: { ...network.config, dmPolicy: 'open', allowFrom: ['*'] } },
      }
    : {},
});
let status = (await fetch(`${gw.httpUrl}/health`)).status;
if (configured) {
  await network.inject(gw, { chatId: 'c', senderId: 'c', messageId: '1', text: 'hi' });
  await eventually(
    () => network.delivered('c'),
    (texts) => texts.length === 1,
    'the reply',
  );
  status = 202;
}
await gw.close();
await network.close();
process.stdout.write(String(status));
