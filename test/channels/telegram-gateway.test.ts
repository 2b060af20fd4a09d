import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { exited, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { type FakeBotApi, startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import type { RawClient } from '../helpers/raw-client.ts';

type TestContext = { after(fn: () => unknown): void };
type AccountStatus = {
  accountId: string;
  running?: boolean;
  configured?: boolean;
  connected?: boolean;
  lastError?: string | null;
  mode?: string;
  tokenSource?: string;
  probe?: { ok: boolean; bot?: { username?: string } };
};

const DEADLINE_MS = 20_000;
const OWNER = 4242;
const GROUP = -1001234;

async function fakeApi(t: TestContext): Promise<FakeBotApi> {
  const api = await startFakeBotApi();
  t.after(() => api.close());
  return api;
}

function telegramBlock(api: FakeBotApi, extra: Record<string, unknown> = {}) {
  return { botToken: api.token, apiRoot: api.apiRoot, ...extra };
}

function gatewayConfig(
  api: FakeBotApi,
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return { models: { echo: { wordDelayMs: 0 } }, channels: { telegram: telegramBlock(api, extra) }, ...top };
}

async function gateway(
  t: TestContext,
  config: Record<string, unknown>,
  stateDir?: string,
): Promise<TestGateway> {
  const gw = await startTestGateway({ config, ...(stateDir ? { stateDir } : {}) });
  t.after(() => gw.close());
  return gw;
}

async function status(client: RawClient): Promise<{ payload: unknown; account: AccountStatus }> {
  const res = await client.request('channels.status', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const payload = res.payload as { channelAccounts: Record<string, AccountStatus[]> };
  return { payload, account: payload.channelAccounts.telegram?.[0] as AccountStatus };
}

/** Waits until the chat has received `count` messages from the bot; returns their texts. */
async function replies(api: FakeBotApi, chatId: number, count: number, what: string): Promise<string[]> {
  await api.waitFor(() => api.sentTo(chatId).length >= count, DEADLINE_MS, what);
  return api.sentTo(chatId);
}

test('DM under pairing: a code for the unknown sender; approved, the sender is answered', async (t) => {
  const api = await fakeApi(t);
  const gw = await gateway(t, gatewayConfig(api));
  api.dm({ id: OWNER, first_name: 'Owner', username: 'owner' }, 'hello?');
  const [pairing] = await replies(api, OWNER, 1, 'the pairing reply');
  assert.match(pairing, new RegExp(`Your Telegram user id: ${OWNER}`));
  const code = /Pairing code: ([A-Z2-9]{8})/.exec(pairing)?.[1];
  assert.ok(code, pairing);
  const client = await admin(t, gw);
  const list = await client.request('channels.pairing.list', { channel: 'telegram' });
  assert.equal(list.ok, true, JSON.stringify(list.error));
  const { requests } = list.payload as {
    requests: { requestId: string; senderId: string; senderLabel: string }[];
  };
  const request = requests.find((entry) => entry.senderId === String(OWNER));
  assert.ok(request, JSON.stringify(list.payload));
  assert.equal(request.senderLabel, 'Telegram user id');
  const approve = await client.request('channels.pairing.approve', {
    channel: 'telegram',
    accountId: 'default',
    requestId: request.requestId,
  });
  assert.equal(approve.ok, true, JSON.stringify(approve.error));
  api.dm({ id: OWNER }, 'now?');
  const texts = await replies(api, OWNER, 2, 'the answer after approval');
  assert.equal(texts[1], 'Echo: now?');
});

test('allowlisted DM is echoed; a stranger under allowlist gets nothing', async (t) => {
  const api = await fakeApi(t);
  await gateway(t, gatewayConfig(api, { dmPolicy: 'allowlist', allowFrom: [`tg:${OWNER}`] }));
  api.dm({ id: 999 }, 'let me in');
  api.dm({ id: OWNER }, 'ping');
  assert.deepEqual(await replies(api, OWNER, 1, 'the echo'), ['Echo: ping']);
  assert.deepEqual(api.sentTo(999), []);
});

test('groups: without a mention nothing, with a mention, a reply to the bot or /cmd@bot an answer', async (t) => {
  const api = await fakeApi(t);
  await gateway(
    t,
    gatewayConfig(api, { allowFrom: [String(OWNER)], groups: { [String(GROUP)]: { requireMention: true } } }),
  );
  const chat = { id: GROUP };
  api.group(chat, { id: OWNER }, 'just chatting');
  api.group(chat, { id: OWNER }, 'are you there', { mention: true });
  const [first] = await replies(api, GROUP, 1, 'the mention answer');
  assert.equal(first, 'Echo: are you there');
  const botMessage = api.outbox.find((message) => message.chat.id === GROUP);
  api.group(chat, { id: OWNER }, 'replying to you', { replyTo: botMessage });
  assert.equal((await replies(api, GROUP, 2, 'the reply answer'))[1], 'Echo: replying to you');
  api.group(chat, { id: 777 }, 'not allowed', { mention: true });
  api.group(chat, { id: OWNER }, 'last', { mention: true });
  const texts = await replies(api, GROUP, 3, 'the last answer');
  assert.deepEqual(texts, ['Echo: are you there', 'Echo: replying to you', 'Echo: last']);
});

test('forum topics: the answer goes to the topic it came from', async (t) => {
  const api = await fakeApi(t);
  await gateway(t, gatewayConfig(api, { groupPolicy: 'open', groups: { '*': { requireMention: false } } }));
  api.group({ id: GROUP, is_forum: true }, { id: OWNER }, 'in topic seven', { threadId: 7 });
  await replies(api, GROUP, 1, 'the topic answer');
  const call = api.callsOf('sendMessage').find((entry) => Number(entry.params.chat_id) === GROUP);
  assert.equal(call?.params.message_thread_id, 7);
});

test('/new and /reset start a fresh session; /reset@bot in a group is addressed to the bot', async (t) => {
  const api = await fakeApi(t);
  const gw = await gateway(
    t,
    gatewayConfig(api, {
      dmPolicy: 'open',
      allowFrom: ['*'],
      groupPolicy: 'open',
      groups: { '*': { requireMention: true } },
    }),
  );
  const client = await admin(t, gw);
  const history = async () => {
    const res = await client.request('chat.history', { sessionKey: 'agent:main:main', limit: 50 });
    assert.equal(res.ok, true, JSON.stringify(res.error));
    return (res.payload as { messages: unknown[] }).messages.length;
  };
  api.dm({ id: OWNER }, 'remember me');
  await replies(api, OWNER, 1, 'the first echo');
  assert.ok((await history()) >= 2);
  api.dm({ id: OWNER }, '/new');
  await replies(api, OWNER, 2, 'the /new answer');
  assert.ok((await history()) <= 2, 'the session starts over');
  api.dm({ id: OWNER }, '/reset');
  await replies(api, OWNER, 3, 'the /reset answer');
  const group = { id: GROUP };
  api.group(group, { id: OWNER }, '/reset@claw_test_bot', {
    extra: { entities: [{ type: 'bot_command', offset: 0, length: 20 }] },
  });
  await replies(api, GROUP, 1, 'the group /reset answer');
  api.group(group, { id: OWNER }, '/reset@some_other_bot', {
    extra: { entities: [{ type: 'bot_command', offset: 0, length: 21 }] },
  });
  api.group(group, { id: OWNER }, 'after', { mention: true });
  const texts = await replies(api, GROUP, 2, 'the mention after');
  assert.equal(texts.length, 2, 'the other bot’s command got no answer');
  assert.equal(texts[1], 'Echo: after');
  assert.deepEqual(api.commands, [
    { command: 'new', description: 'Start a new session.' },
    { command: 'reset', description: 'Reset the current session.' },
  ]);
});

test('a reply longer than 4096 characters arrives split, each piece within the limit', async (t) => {
  const api = await fakeApi(t);
  await gateway(t, gatewayConfig(api, { dmPolicy: 'open', allowFrom: ['*'] }));
  const words = Array.from({ length: 1_500 }, (_, i) => `w${i}`);
  const text = words.join(' ');
  api.dm({ id: OWNER }, text);
  await api.waitFor(
    () => api.sentTo(OWNER).join(' ').split(/\s+/).length >= words.length + 1,
    DEADLINE_MS,
    'the whole reply',
  );
  const pieces = api.sentTo(OWNER);
  assert.ok(pieces.length >= 2, `${pieces.length} pieces`);
  for (const piece of pieces) assert.ok(piece.length <= 4000, `a piece of ${piece.length}`);
  assert.equal(pieces.join(' ').split(/\s+/).join(' '), `Echo: ${text}`);
});

test('streaming partial: a live preview edited in place, throttled, ending with the whole reply', async (t) => {
  const api = await fakeApi(t);
  await gateway(t, {
    ...gatewayConfig(api, { dmPolicy: 'open', allowFrom: ['*'], streaming: 'partial' }),
    models: { echo: { wordDelayMs: 40 } },
  });
  const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
  api.dm({ id: OWNER }, words);
  await api.waitFor(() => api.sentTo(OWNER)[0] === `Echo: ${words}`, DEADLINE_MS, 'the final text in place');
  assert.equal(api.sentTo(OWNER).length, 1, 'one message, edited');
  const edits = api.callsOf('editMessageText');
  assert.ok(edits.length >= 1, 'edited at least once');
  // 60 words at 40 ms stream for ~2.4 s; at one edit per second there can be only a few.
  assert.ok(edits.length <= 6, `${edits.length} edits: not throttled`);
  const sent = api.callsOf('sendMessage')[0];
  for (const [index, edit] of edits.entries()) {
    const since = index === 0 ? sent.at : edits[index - 1].at;
    if (index < edits.length - 1)
      assert.ok(edit.at - since >= 900, `edit ${index} came ${edit.at - since} ms after`);
  }
});

test('429 retry_after is honoured: the reply waits, then arrives once', async (t) => {
  const api = await fakeApi(t);
  await gateway(t, gatewayConfig(api, { dmPolicy: 'open', allowFrom: ['*'] }));
  await api.waitForCall('getUpdates');
  api.failNext('sendMessage', {
    error_code: 429,
    description: 'Too Many Requests: retry after 1',
    parameters: { retry_after: 1 },
  });
  api.dm({ id: OWNER }, 'slowly');
  await replies(api, OWNER, 1, 'the reply after the flood wait');
  const [refused, accepted] = api.callsOf('sendMessage');
  assert.ok(accepted.at - refused.at >= 950, `retried after ${accepted.at - refused.at} ms`);
  assert.deepEqual(api.sentTo(OWNER), ['Echo: slowly']);
});

test('restart: the stored offset is used, nothing is answered twice and nothing is lost', async (t) => {
  const api = await fakeApi(t);
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-tg-restart-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const config = gatewayConfig(api, { dmPolicy: 'open', allowFrom: ['*'] });
  const first = await startTestGateway({ config, stateDir });
  api.dm({ id: OWNER }, 'one');
  const two = api.dm({ id: OWNER }, 'two');
  await replies(api, OWNER, 2, 'two answers');
  await first.close();
  // Sent while no gateway runs: Telegram keeps it.
  api.dm({ id: OWNER }, 'three');
  const polls = api.callsOf('getUpdates').length;
  await gateway(t, config, stateDir);
  const texts = await replies(api, OWNER, 3, 'the third answer');
  assert.deepEqual(texts, ['Echo: one', 'Echo: two', 'Echo: three']);
  assert.equal(api.callsOf('getUpdates')[polls].params.offset, two.updateId + 1);
});

test('kill -9 between updates: after the restart every update is answered exactly once', async (t) => {
  const api = await fakeApi(t);
  const stateDir = tempDir(t, 'clawgate-tg-kill-');
  writeFileSync(
    join(stateDir, 'clawgate.json'),
    JSON.stringify(
      gatewayConfig(api, { dmPolicy: 'open', allowFrom: ['*'] }, { session: { dmScope: 'per-peer' } }),
    ),
  );
  const args = ['--port', '0', '--token', TEST_TOKEN];
  const first = await startGatewayChild(t, args, stateDir);
  const updates = [];
  for (const [index, chatId] of [101, 102, 101, 103].entries()) {
    updates.push(api.dm({ id: chatId }, `before ${index}`));
    await api.waitFor(
      () => api.outbox.some((message) => message.text === `Echo: before ${index}`),
      DEADLINE_MS,
      `reply ${index}`,
    );
  }
  first.child.kill('SIGKILL');
  assert.deepEqual(await exited(first.child), { code: null, signal: 'SIGKILL' });
  // Telegram never got the confirmation of the last update (the next poll would have sent it): it comes again.
  const last = updates.at(-1);
  assert.ok(last);
  const held = { update_id: last.updateId, message: last.message };
  const polls = api.callsOf('getUpdates').length;
  await startGatewayChild(t, args, stateDir);
  await api.redeliver(held);
  for (const [index, chatId] of [103, 104].entries()) api.dm({ id: chatId }, `after ${index}`);
  await api.waitFor(
    () =>
      ['Echo: after 0', 'Echo: after 1'].every((text) => api.outbox.some((message) => message.text === text)),
    DEADLINE_MS,
    'the answers after the restart',
  );
  assert.equal(
    api.callsOf('getUpdates')[polls].params.offset,
    last.updateId + 1,
    'resumed from the saved offset',
  );
  const answered = api.outbox.map((message) => message.text);
  for (const text of ['before 0', 'before 1', 'before 2', 'before 3', 'after 0', 'after 1']) {
    assert.equal(answered.filter((reply) => reply === `Echo: ${text}`).length, 1, `"${text}" answered once`);
  }
});

test('a bad token: channels.status and /readyz name it, the gateway keeps serving', async (t) => {
  const api = await fakeApi(t);
  const gw = await gateway(t, {
    channels: { telegram: { botToken: '999:not-the-token', apiRoot: api.apiRoot } },
  });
  const client = await admin(t, gw);
  const deadline = performance.now() + DEADLINE_MS;
  let account: AccountStatus | undefined;
  while (performance.now() < deadline) {
    ({ account } = await status(client));
    if (account?.lastError) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { payload } = await status(client);
  assertMatchesOfficial('ChannelsStatusResult', payload);
  assert.ok(account);
  assert.match(String(account.lastError), /unauthorized/i);
  assert.equal(account.running, false);
  assert.equal(account.tokenSource, 'config');
  assert.ok(!JSON.stringify(payload).includes('not-the-token'), 'the token is not shown');
  const readyz = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(readyz.status, 503);
  const body = (await readyz.json()) as { failing?: string[] };
  assert.ok(body.failing?.includes('telegram'), JSON.stringify(body));
  assert.equal((await fetch(`${gw.httpUrl}/health`)).status, 200);
  const health = await client.request('health', {});
  assert.equal(health.ok, true);
  assert.equal(api.callsOf('getUpdates').length, 0);
});

test('channels.status shows the bot as the Control UI reads it', async (t) => {
  const api = await fakeApi(t);
  const gw = await gateway(t, gatewayConfig(api));
  await api.waitForCall('getUpdates');
  const client = await admin(t, gw);
  const { payload, account } = await status(client);
  assertMatchesOfficial('ChannelsStatusResult', payload);
  assert.equal(account.running, true);
  assert.equal(account.configured, true);
  assert.equal(account.mode, 'polling');
  assert.equal(account.tokenSource, 'config');
  assert.equal(account.probe?.ok, true);
  assert.equal(account.probe?.bot?.username, 'claw_test_bot');
  const { channelLabels, channels } = payload as {
    channelLabels: Record<string, string>;
    channels: Record<string, { mode?: string; running?: boolean }>;
  };
  assert.equal(channelLabels.telegram, 'Telegram');
  assert.equal(channels.telegram?.running, true);
});

test('send delivers through Telegram: a chat id, a forum topic target, silent', async (t) => {
  const api = await fakeApi(t);
  const gw = await gateway(t, gatewayConfig(api));
  await api.waitForCall('getUpdates');
  api.group({ id: GROUP, is_forum: true }, { id: OWNER }, 'make the chat known');
  api.dm({ id: OWNER }, 'and this one');
  const client = await admin(t, gw);
  const toChat = await client.request('send', {
    channel: 'telegram',
    to: String(OWNER),
    message: 'hello from send',
    silent: true,
    idempotencyKey: 'tg-send-1',
  });
  assert.equal(toChat.ok, true, JSON.stringify(toChat.error));
  const toTopic = await client.request('send', {
    to: `telegram:${GROUP}:topic:9`,
    message: 'into topic nine',
    idempotencyKey: 'tg-send-2',
  });
  assert.equal(toTopic.ok, true, JSON.stringify(toTopic.error));
  const again = await client.request('send', {
    channel: 'telegram',
    to: String(OWNER),
    message: 'hello from send',
    idempotencyKey: 'tg-send-1',
  });
  assert.equal(again.ok, true, JSON.stringify(again.error));
  assert.ok(api.sentTo(OWNER).includes('hello from send'));
  assert.equal(api.sentTo(OWNER).filter((text) => text === 'hello from send').length, 1, 'idempotent');
  const calls = api.callsOf('sendMessage');
  assert.equal(
    calls.find((call) => call.params.text === 'hello from send')?.params.disable_notification,
    true,
  );
  assert.equal(calls.find((call) => call.params.text === 'into topic nine')?.params.message_thread_id, 9);
});
