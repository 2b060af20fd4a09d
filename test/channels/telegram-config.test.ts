import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TelegramSettings } from '../../src/channels/telegram/telegram-accounts.ts';
import { telegramAdapter } from '../../src/channels/telegram/telegram-adapter.ts';
import type { TelegramChannelConfig } from '../../src/channels/telegram/telegram-config.ts';
import { buildConfig, validateConfigFile } from '../../src/config/load.ts';
import { REDACTED } from '../../src/config/methods.ts';
import { admin, configGet } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { accountOf, telegramConfig } from './telegram-test-context.ts';

const TOKEN = '123456:ABCdefGhIJKlmnoPQRstuVWxyz012345678';

/** OpenClaw's documented block (gateway/config-channels/personal-messaging.md) plus access-control examples. */
const OPENCLAW_BLOCK = {
  enabled: true,
  botToken: TOKEN,
  dmPolicy: 'pairing',
  allowFrom: ['tg:123456789', 987654321, '@admin'],
  groups: {
    '*': { requireMention: true },
    '-1001234567890': {
      allowFrom: ['@admin'],
      systemPrompt: 'Keep answers brief.',
      topics: { '99': { requireMention: false, skills: ['search'], systemPrompt: 'Stay on topic.' } },
    },
    '-1009999999999': { groupPolicy: 'open', requireMention: false },
  },
  customCommands: [
    { command: 'backup', description: 'Git backup' },
    { command: 'generate', description: 'Create an image' },
  ],
  historyLimit: 50,
  replyToMode: 'first',
  linkPreview: true,
  streaming: { mode: 'partial', preview: { toolProgress: false } },
  actions: { reactions: true, sendMessage: true },
  reactionNotifications: 'own',
  mediaMaxMb: 100,
  network: { autoSelectFamily: true, dnsResultOrder: 'ipv4first' },
  apiRoot: 'https://api.telegram.org',
  trustedLocalFileRoots: ['/srv/telegram-bot-api-data'],
  proxy: 'socks5://localhost:9050',
  webhookUrl: 'https://example.com/telegram-webhook',
  webhookSecret: 'wh-secret-8a3f0c21d9',
  webhookPath: '/telegram-webhook',
  textChunkLimit: 4000,
};

function load(block: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  return buildConfig({ channels: { telegram: structuredClone(block) } }, env, {});
}

test('an OpenClaw channels.telegram block validates and loads as it is', async () => {
  await validateConfigFile({ channels: { telegram: OPENCLAW_BLOCK } }, 'clawgate.json');
  const config = load(OPENCLAW_BLOCK);
  const [account] = telegramAdapter.accounts(config);
  assert.equal(account.accountId, 'default');
  assert.equal(account.configured, true);
  assert.equal(account.enabled, true);
  assert.equal(account.streaming, true);
  assert.equal(account.textChunkLimit, 4000);
  assert.deepEqual(account.access, {
    dmPolicy: 'pairing',
    allowFrom: ['123456789', '987654321'],
    groupPolicy: 'allowlist',
    groupAllowFrom: [],
    groups: {
      '*': { requireMention: true },
      '-1001234567890': { allowFrom: [] },
      '-1009999999999': { requireMention: false, groupPolicy: 'open' },
    },
    requireMention: true,
  });
  assert.deepEqual(account.statusFields, { mode: 'polling', tokenSource: 'config' });
  const settings = account.settings as TelegramSettings;
  assert.equal(settings.apiRoot, 'https://api.telegram.org');
  assert.deepEqual(settings.ignoredKeys, [
    'channels.telegram.historyLimit',
    'channels.telegram.replyToMode',
    'channels.telegram.linkPreview',
    'channels.telegram.streaming.preview',
    'channels.telegram.actions',
    'channels.telegram.reactionNotifications',
    'channels.telegram.mediaMaxMb',
    'channels.telegram.network',
    'channels.telegram.trustedLocalFileRoots',
    'channels.telegram.proxy',
    'channels.telegram.webhookUrl',
    'channels.telegram.webhookSecret',
    'channels.telegram.webhookPath',
    'channels.telegram.groups.*.systemPrompt',
    'channels.telegram.groups.*.topics',
  ]);
});

test('a misspelt key is still an error that names it', async () => {
  await assert.rejects(
    validateConfigFile({ channels: { telegram: { botTokne: TOKEN } } }, 'clawgate.json'),
    /channels\.telegram\.botTokne/,
  );
  await assert.rejects(
    validateConfigFile({ channels: { telegram: { dmPolicy: 'everyone' } } }, 'clawgate.json'),
    /channels\.telegram\.dmPolicy/,
  );
});

test('token sources: tokenFile beats botToken beats TELEGRAM_BOT_TOKEN, which serves the default account only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}-file\n`);
  const env = { TELEGRAM_BOT_TOKEN: `${TOKEN}-env` };
  const token = (block: Record<string, unknown>, id = 'default') => {
    const account = telegramAdapter.accounts(load(block, env)).find((entry) => entry.accountId === id);
    const settings = account?.settings as TelegramSettings;
    return [settings.token, settings.tokenSource, account?.configured];
  };
  assert.deepEqual(token({ tokenFile: file, botToken: TOKEN }), [`${TOKEN}-file`, 'tokenFile', true]);
  assert.deepEqual(token({ botToken: TOKEN }), [TOKEN, 'config', true]);
  assert.deepEqual(token({}), [`${TOKEN}-env`, 'env', true]);
  assert.deepEqual(token({ accounts: { alerts: {} } }, 'alerts'), ['', 'none', false], 'env: default only');
  assert.deepEqual(token({ botToken: TOKEN, accounts: { alerts: {} } }, 'alerts'), [TOKEN, 'config', true]);
  const link = join(dir, 'link');
  symlinkSync(file, link);
  assert.deepEqual(token({ tokenFile: link, botToken: TOKEN }), ['', 'tokenFile', false], 'symlinks refused');
  assert.deepEqual(token({ tokenFile: join(dir, 'missing') }), ['', 'tokenFile', false]);
  assert.equal(telegramAdapter.accounts(load({})).length, 1);
  assert.equal(telegramAdapter.accounts(load({})).at(0)?.configured, false, 'no token anywhere');
  assert.deepEqual(telegramAdapter.accounts(buildConfig({}, env, {})), [], 'no block: no account');
});

test('secret references resolve at load; an unresolvable one names the key', () => {
  const env = { TG_TOKEN: TOKEN };
  const byString = accountOf(
    load({ botToken: 'env:TG_TOKEN' }, env).channels?.telegram as TelegramChannelConfig,
  );
  assert.equal((byString.settings as TelegramSettings).token, TOKEN);
  const byObject = load({ botToken: { source: 'env', provider: 'default', id: 'TG_TOKEN' } }, env);
  assert.equal((byObject.channels.telegram as TelegramChannelConfig).botToken, TOKEN);
  assert.throws(() => load({ botToken: 'env:NOPE' }, env), /channels\.telegram\.botToken refers to env:NOPE/);
  assert.throws(
    () => load({ accounts: { ops: { botToken: { source: 'exec', provider: 'vault', id: 'X' } } } }, env),
    /channels\.telegram\.accounts\.ops\.botToken: secret source "exec" is not supported/,
  );
});

test('accounts: each overrides the root; defaultAccount, then default, then the first', () => {
  const block = {
    botToken: TOKEN,
    dmPolicy: 'allowlist',
    allowFrom: ['1'],
    groups: { '-1': { requireMention: false } },
    accounts: {
      Alerts: { name: 'Alerts bot', botToken: `${TOKEN}-a`, dmPolicy: 'open', allowFrom: ['*'], groups: {} },
      ops: { enabled: false, streaming: 'block', textChunkLimit: 9000 },
    },
  };
  const config = telegramConfig(block as TelegramChannelConfig);
  const accounts = telegramAdapter.accounts(config);
  assert.deepEqual(
    accounts.map((account) => account.accountId),
    ['alerts', 'default', 'ops'],
  );
  const [alerts, main, ops] = accounts;
  assert.equal(alerts.name, 'Alerts bot');
  assert.equal(alerts.access.dmPolicy, 'open');
  assert.deepEqual(alerts.access.groups, {}, 'an empty groups map isolates an account among several');
  assert.equal(main.access.dmPolicy, 'allowlist');
  assert.deepEqual(main.access.groups, { '-1': { requireMention: false } });
  assert.equal(ops.enabled, false);
  assert.equal(ops.streaming, true);
  assert.equal(ops.textChunkLimit, 4096, 'never above Telegram’s limit');
  assert.equal(telegramAdapter.defaultAccountId(config), 'default');
  assert.equal(
    telegramAdapter.defaultAccountId(
      telegramConfig({ ...block, defaultAccount: 'OPS' } as TelegramChannelConfig),
    ),
    'ops',
  );
  const { botToken: _, ...noRootToken } = block;
  assert.equal(
    telegramAdapter.defaultAccountId(telegramConfig(noRootToken as TelegramChannelConfig)),
    'alerts',
  );
  assert.equal(accountOf({ enabled: false, botToken: TOKEN }).enabled, false);
});

test('streaming: partial and block preview by edits; progress (the default), off and unset do not', () => {
  const streaming = (value: unknown) =>
    accountOf({ botToken: TOKEN, streaming: value } as TelegramChannelConfig).streaming;
  assert.equal(streaming('partial'), true);
  assert.equal(streaming({ mode: 'block' }), true);
  assert.equal(streaming(true), true);
  assert.equal(streaming('progress'), false);
  assert.equal(streaming('off'), false);
  assert.equal(streaming(false), false);
  assert.equal(streaming(undefined), false);
});

test('config.get never shows a bot token', async (t) => {
  const gw = await startTestGateway({
    config: {
      channels: {
        telegram: { enabled: false, botToken: TOKEN, accounts: { two: { botToken: `${TOKEN}-2` } } },
      },
    },
    env: { TELEGRAM_BOT_TOKEN: `${TOKEN}-env` },
  });
  t.after(() => gw.close());
  const got = await configGet<{
    raw: string;
    parsed: unknown;
    config: { channels: { telegram: Record<string, unknown> } };
  }>(await admin(t, gw));
  for (const part of [got.raw, JSON.stringify(got.parsed), JSON.stringify(got.config)]) {
    assert.ok(!part.includes(TOKEN), part);
  }
  assert.equal(got.config.channels.telegram.botToken, REDACTED);
  assert.equal(got.config.channels.telegram.envBotToken, REDACTED);
});
