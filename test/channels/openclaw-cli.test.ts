import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { eventually } from './conformance.ts';
import { startWebhookNetwork } from './webhook-network.ts';

ensureOpenClaw();

/**
 * The real OpenClaw CLI against clawgate with the webhook channel configured. `openclaw message send` is not here:
 * the CLI checks `--channel` against its own channel catalog before it calls the gateway, and `webhook` is not one
 * of OpenClaw's channels (for `--channel telegram` it calls `message.action`, covered with the CLI's exact params in
 * channel-manager.test.ts); `openclaw gateway call send` reaches the same delivery.
 */
test('openclaw channels status (text and --json) and gateway call send against clawgate’s webhook channel', async (t) => {
  const network = await startWebhookNetwork();
  t.after(() => network.close());
  const gw = await startTestGateway({
    config: { channels: { webhook: { ...network.config, dmPolicy: 'open', allowFrom: ['*'] } } },
  });
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };

  const text = await runOpenClaw(t, ['channels', 'status'], cli);
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /Gateway reachable\./);
  assert.match(
    text.stdout,
    /- Webhook default: enabled, configured, running, connected, mode:webhook, dm:open, allow:\*/,
  );

  const json = await runOpenClaw(t, ['channels', 'status', '--json'], cli);
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const status = JSON.parse(json.stdout) as { channelAccounts: Record<string, { accountId: string }[]> };
  assertMatchesOfficial('ChannelsStatusResult', status);
  assert.equal(status.channelAccounts.webhook?.[0]?.accountId, 'default');

  const params = {
    channel: 'webhook',
    to: 'ops-room',
    message: 'deploy finished',
    idempotencyKey: 'cli-send-1',
  };
  const sent = await runOpenClaw(
    t,
    ['gateway', 'call', 'send', '--params', JSON.stringify(params), '--json'],
    cli,
  );
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  const result = JSON.parse(sent.stdout) as { runId: string; channel: string; chatId: string };
  assert.deepEqual([result.runId, result.channel, result.chatId], ['cli-send-1', 'webhook', 'ops-room']);
  await eventually(
    () => network.delivered('ops-room'),
    (texts) => texts.length === 1,
    'the sent message',
  );
  assert.deepEqual(network.delivered('ops-room'), ['deploy finished']);
});
