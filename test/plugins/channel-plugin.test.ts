import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  ChannelAccountContext,
  ChannelStatusPatch,
  InboundMessage,
} from '../../src/channels/channel-types.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { contextProbe, EXAMPLES } from './plugin-helpers.ts';

/** The channel block an OpenClaw user writes (`channels.loopback-chat`); the channel manager passes config so. */
const withChannel = (config: GatewayConfig, block: Record<string, unknown>) =>
  ({ ...config, channels: { 'loopback-chat': block } }) as GatewayConfig;

test('a channel plugin (defineChannelPluginEntry + createChatChannelPlugin) registers its adapter: accounts, DM policy, inbound and outbound', async (t) => {
  const probe = contextProbe();
  const gw = await startTestGateway({
    config: { plugins: { load: { paths: [EXAMPLES.channel] } } },
    modules: [probe.module],
  });
  t.after(() => gw.close());
  const ctx = probe.ctx();

  // The core's own channels (Telegram, the webhook channel) are registered beside it.
  const entry = ctx.registry.channels().find((candidate) => candidate.owner === 'loopback-chat');
  assert.ok(entry, 'the plugin registered its channel');
  const adapter = entry.adapter;
  assert.equal(adapter.id, 'loopback-chat');
  assert.equal(adapter.label, 'Loopback Chat');

  const config = ctx.configState.config;
  const [account] = adapter.accounts(withChannel(config, { token: 's3cret', allowFrom: ['u1', 7] }));
  assert.ok(account);
  assert.equal(adapter.defaultAccountId(withChannel(config, {})), 'default');
  assert.deepEqual(
    { ...account, settings: undefined },
    {
      accountId: 'default',
      enabled: true,
      configured: true,
      access: {
        dmPolicy: 'allowlist',
        allowFrom: ['u1', '7'],
        groupPolicy: 'disabled',
        groupAllowFrom: [],
        groups: {},
        requireMention: true,
      },
      textChunkLimit: 4000,
      streaming: false,
      settings: undefined,
      statusFields: { tokenStatus: 'available' },
    },
  );
  // Without its token the account cannot start: unconfigured, with the plugin's own reason, never a throw.
  const [missing] = adapter.accounts(withChannel(config, {}));
  assert.equal(missing?.configured, false);
  assert.equal(missing?.enabled, false);
  assert.deepEqual(missing?.statusFields, {
    tokenStatus: 'missing',
    lastError: 'loopback-chat: token is required',
  });

  // The account runs as the channel manager would run it: inbound through the plugin's route, outbound out.
  const received: InboundMessage[] = [];
  const reports: ChannelStatusPatch[] = [];
  const controller = new AbortController();
  const accountCtx: ChannelAccountContext = {
    channel: 'loopback-chat',
    account,
    logger: ctx.logger,
    signal: controller.signal,
    state: { get: async () => undefined, set: async () => undefined },
    receive: async (message) => {
      received.push(message);
    },
    report: (patch) => reports.push(patch),
  };
  const handle = await adapter.start(accountCtx);
  const post = (token: string) =>
    fetch(`${gw.httpUrl}/loopback-chat/inbound`, {
      method: 'POST',
      headers: { 'x-loopback-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ messageId: 'm1', chatId: 'u1', senderId: 'u1', text: 'hello' }),
    });
  const deadline = performance.now() + 10_000;
  let accepted = await post('s3cret');
  // startAccount runs in the background: the first POST may come before it registered the account.
  while (accepted.status === 401 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    accepted = await post('s3cret');
  }
  assert.equal(accepted.status, 202);
  assert.equal((await post('wrong-token')).status, 401);
  assert.equal(received.length, 1);
  assert.deepEqual(
    { ...received[0], timestamp: 0 },
    {
      messageId: 'm1',
      chatId: 'u1',
      peerKind: 'direct',
      senderId: 'u1',
      text: 'hello',
      timestamp: 0,
    },
  );
  assert.deepEqual(reports, [{ connected: true }]);

  const sent = await handle.send({ chatId: 'u1', text: 'hi there' });
  assert.deepEqual(sent, { messageId: 'out-1', chatId: 'u1' });
  const client = await admin(t, gw);
  const outbox = await client.request('loopback-chat.outbox', {});
  assert.deepEqual(outbox.payload, {
    messages: [{ accountId: 'default', to: 'u1', text: 'hi there', messageId: 'out-1' }],
  });

  controller.abort();
  await handle.stop();
  assert.equal((await post('s3cret')).status, 401);

  // plugins.inspect reports the channel and the CLI command the plugin declared.
  const inspect = await client.request('plugins.inspect', { pluginId: 'loopback-chat' });
  assertMatchesOfficial('PluginsInspectResult', inspect.payload);
  const declared = (inspect.payload as { declared: { channels: string[]; cliCommands: string[] } }).declared;
  assert.deepEqual(declared.channels, ['loopback-chat']);
  assert.deepEqual(declared.cliCommands, ['loopback-chat']);

  // A channel plugin's change waits for a restart: the channel manager starts channels at boot.
  const off = await client.request(
    'plugins.setEnabled',
    { pluginId: 'loopback-chat', enabled: false },
    30_000,
  );
  assert.equal(off.ok, true, JSON.stringify(off.error));
  assert.equal((off.payload as { restartRequired: boolean }).restartRequired, true);
  assert.ok(ctx.registry.channels().some((candidate) => candidate.owner === 'loopback-chat'));
});
