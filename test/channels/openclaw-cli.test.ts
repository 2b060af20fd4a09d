import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { eventually } from './conformance.ts';
import { startWebhookNetwork } from './webhook-network.ts';

ensureOpenClaw();

/**
 * The real OpenClaw CLI against clawgate with the webhook channel configured. `openclaw message send --channel
 * webhook` cannot be run: the CLI checks `--channel` against its own channel catalog before it calls the gateway,
 * and `webhook` is not one of OpenClaw's channels; `openclaw gateway call send` reaches the same delivery, and
 * `message send --channel telegram` is run in the next test.
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

/**
 * Issue 13: `openclaw status --deep` degraded to "Gateway not reachable: unknown method: channels.status" and
 * `openclaw message send` failed. With webhook and Telegram (the fake Bot API) configured, status reports the
 * gateway reachable with both channels in its health, and message send is delivered through clawgate's Telegram.
 * (`openclaw doctor` and `update status` read `channels.status` too; they were checked by hand, see
 * docs/channels.md, to keep this file's CPU cost down.)
 */
test('openclaw status --deep --json and message send --channel telegram against clawgate', async (t) => {
  const network = await startWebhookNetwork();
  t.after(() => network.close());
  const api = await startFakeBotApi();
  t.after(() => api.close());
  const gw = await startTestGateway({
    config: {
      models: { echo: { wordDelayMs: 0 } },
      channels: {
        webhook: { ...network.config, dmPolicy: 'open', allowFrom: ['*'] },
        telegram: { botToken: api.token, apiRoot: api.apiRoot, dmPolicy: 'open', allowFrom: ['*'] },
      },
    },
  });
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };

  const status = await runOpenClaw(t, ['status', '--deep', '--json'], cli);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.doesNotMatch(status.stdout + status.stderr, /unknown method|not supported by this gateway/);
  const report = JSON.parse(status.stdout) as {
    gateway: { reachable: boolean; error: unknown };
    health: { channelOrder: string[]; channels: Record<string, { configured: boolean; running: boolean }> };
  };
  assert.deepEqual([report.gateway.reachable, report.gateway.error], [true, null]);
  assert.deepEqual(report.health.channelOrder, ['webhook', 'telegram']);
  for (const channel of ['webhook', 'telegram']) {
    const { configured, running } = report.health.channels[channel] ?? {};
    assert.deepEqual({ channel, configured, running }, { channel, configured: true, running: true });
  }

  // Telegram only lets a bot write to a user who wrote to it first.
  api.dm({ id: 4242 }, 'hello');
  await api.waitFor(() => api.sentTo(4242).length === 1, 20_000, 'the reply to the first DM');
  const sent = await runOpenClaw(
    t,
    [
      'message',
      'send',
      '--channel',
      'telegram',
      '--target',
      '4242',
      '--message',
      'deploy finished',
      '--json',
    ],
    cli,
  );
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  const result = JSON.parse(sent.stdout) as { action: string; channel: string; messageId: string };
  assert.deepEqual([result.action, result.channel], ['send', 'telegram']);
  assert.deepEqual(api.sentTo(4242), ['Echo: hello', 'deploy finished']);
  assert.equal(String(api.outbox.at(-1)?.message_id), result.messageId);
});
