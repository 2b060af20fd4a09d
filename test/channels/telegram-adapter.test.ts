import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/channels/telegram/bot-api-retry.ts';
import { OFFSET_STATE_KEY } from '../../src/channels/telegram/polling-offset.ts';
import { createTelegramAdapter } from '../../src/channels/telegram/telegram-adapter.ts';
import { FAKE_BOT_TOKEN, FakeBotApi, startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import { accountOf, type RecordingContext, recordingContext, until } from './telegram-test-context.ts';

type TestContext = { after(fn: () => unknown): void };

/** Waits asked for by a 429, answered at once so the test never sleeps through `retry_after`. */
function recordingRetry(waits: number[]): RetryPolicy {
  return {
    ...DEFAULT_RETRY_POLICY,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
}

async function fakeApi(t: TestContext): Promise<FakeBotApi> {
  const api = await startFakeBotApi();
  t.after(() => api.close());
  return api;
}

function adapterFor(waits: number[] = []) {
  return createTelegramAdapter({
    retry: recordingRetry(waits),
    pollTimeoutSeconds: 5,
    backoff: { initialMs: 10, maxMs: 50 },
  });
}

async function startAccount(t: TestContext, api: FakeBotApi, ctx?: RecordingContext, waits: number[] = []) {
  const context =
    ctx ?? recordingContext(accountOf({ botToken: api.token, apiRoot: api.apiRoot, dmPolicy: 'open' }));
  const handle = await adapterFor(waits).start(context);
  t.after(() => handle.stop());
  return { ctx: context, handle };
}

test('start: getMe, the command menu and webhook removal, then long polling with the stored offset', async (t) => {
  const api = await fakeApi(t);
  const { ctx } = await startAccount(t, api);
  await api.waitForCall('getUpdates');
  assert.deepEqual(
    api.calls.slice(0, 4).map((call) => call.method),
    ['getMe', 'setMyCommands', 'deleteWebhook', 'getUpdates'],
  );
  assert.deepEqual(api.commands, [
    { command: 'new', description: 'Start a new session.' },
    { command: 'reset', description: 'Reset the current session.' },
  ]);
  const poll = api.callsOf('getUpdates')[0].params;
  assert.equal(poll.offset, undefined, 'nothing stored: start from what Telegram holds');
  assert.equal(poll.timeout, 5);
  assert.deepEqual(poll.allowed_updates, ['message', 'edited_message']);
  await until(() => ctx.status().connected === true, 'connected');
  const { fields } = ctx.status();
  assert.equal(fields.botUsername, 'claw_test_bot');
  assert.equal((fields.probe as { ok: boolean; bot: { username: string } }).bot.username, 'claw_test_bot');
  assert.equal(typeof fields.lastProbeAt, 'number');
  assert.ok(!JSON.stringify(ctx.reports).includes(api.token), 'the token is never reported');
});

test('a DM becomes an inbound message; the offset is saved only after receive resolved', async (t) => {
  const api = await fakeApi(t);
  const { ctx } = await startAccount(t, api);
  await api.waitForCall('getUpdates');
  const { updateId, message } = api.dm(
    { id: 42, first_name: 'Ada', last_name: 'L', username: 'ada' },
    'hello',
  );
  await until(() => ctx.received.length === 1, 'the DM');
  assert.deepEqual(ctx.received[0], {
    messageId: String(message.message_id),
    chatId: '42',
    peerKind: 'direct',
    senderId: '42',
    senderName: 'Ada L',
    senderUsername: 'ada',
    text: 'hello',
    timestamp: message.date * 1000,
  });
  await until(() => ctx.stateData.has(OFFSET_STATE_KEY), 'the saved offset');
  assert.deepEqual(JSON.parse(ctx.stateData.get(OFFSET_STATE_KEY) as string), {
    botId: api.bot.id,
    lastUpdateId: updateId,
  });
  const next = await api.waitForCall('getUpdates', 2);
  assert.equal(next.params.offset, updateId + 1, 'the next call confirms the update');
});

test('restart from the stored offset: an accepted update is not delivered again, a new one is', async (t) => {
  const api = await fakeApi(t);
  const state = new Map<string, string>();
  const account = accountOf({ botToken: api.token, apiRoot: api.apiRoot });
  const first = recordingContext(account, state);
  const adapter = adapterFor();
  const handle = await adapter.start(first);
  await api.waitForCall('getUpdates');
  const { updateId } = api.dm({ id: 7 }, 'one');
  await until(() => state.has(OFFSET_STATE_KEY), 'the saved offset');
  await handle.stop();
  // Telegram still holds the update until an offset confirms it; the restarted poller asks past it.
  const second = recordingContext(account, state);
  const again = await adapter.start(second);
  t.after(() => again.stop());
  api.dm({ id: 7 }, 'two');
  await until(() => second.received.length === 1, 'the new DM');
  // The poll after the new DM confirms it (it may not have been sent yet when the DM arrived).
  await until(
    () => api.callsOf('getUpdates').at(-1)?.params.offset === updateId + 2,
    'the poll confirming the new DM',
  );
  const polls = api.callsOf('getUpdates');
  assert.ok(polls.slice(1).every((call) => Number(call.params.offset) >= updateId + 1));
  assert.deepEqual(
    second.received.map((message) => message.text),
    ['two'],
  );
});

test('a stored offset of another bot is not used (update ids are per bot)', async (t) => {
  const api = await fakeApi(t);
  const state = new Map([[OFFSET_STATE_KEY, JSON.stringify({ botId: 999, lastUpdateId: 5_000_000 })]]);
  const ctx = recordingContext(accountOf({ botToken: api.token, apiRoot: api.apiRoot }), state);
  await startAccount(t, api, ctx);
  api.dm({ id: 8 }, 'still heard');
  await until(() => ctx.received.length === 1, 'the DM');
  assert.equal(api.callsOf('getUpdates')[0].params.offset, undefined);
});

test('a message the gateway could not hold is not confirmed: it comes again and is received once', async (t) => {
  const api = await fakeApi(t);
  const ctx = recordingContext(accountOf({ botToken: api.token, apiRoot: api.apiRoot }));
  ctx.failReceives(1);
  await startAccount(t, api, ctx);
  await api.waitForCall('getUpdates');
  const { updateId } = api.dm({ id: 9 }, 'retry me');
  await until(() => ctx.received.length === 1, 'the redelivered DM');
  assert.equal(ctx.received[0].text, 'retry me');
  await until(() => ctx.stateData.has(OFFSET_STATE_KEY), 'the saved offset');
  assert.equal(JSON.parse(ctx.stateData.get(OFFSET_STATE_KEY) as string).lastUpdateId, updateId);
  assert.ok(ctx.reports.some((patch) => /could not accept update/.test(String(patch.lastError))));
});

test('a batch: one chat in order, other chats at once; the offset waits for the slowest', async (t) => {
  const api = await fakeApi(t);
  api.dm({ id: 1 }, 'a1');
  api.dm({ id: 1 }, 'a2');
  const last = api.dm({ id: 2 }, 'b1');
  const ctx = recordingContext(accountOf({ botToken: api.token, apiRoot: api.apiRoot }));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const order: string[] = [];
  const receive = ctx.receive;
  ctx.receive = async (message) => {
    order.push(`start ${message.text}`);
    if (message.text === 'a1') await gate;
    await receive(message);
    order.push(`done ${message.text}`);
  };
  await startAccount(t, api, ctx);
  await until(() => order.includes('done b1'), 'the other chat');
  assert.ok(!order.includes('start a2'), 'a chat’s next message waits for its previous one');
  assert.equal(ctx.stateData.has(OFFSET_STATE_KEY), false, 'nothing confirmed while a1 is not held');
  release();
  await until(() => order.includes('done a2'), 'the slow chat');
  assert.ok(order.indexOf('done a1') < order.indexOf('start a2'));
  await until(() => ctx.stateData.has(OFFSET_STATE_KEY), 'the saved offset');
  assert.equal(JSON.parse(ctx.stateData.get(OFFSET_STATE_KEY) as string).lastUpdateId, last.updateId);
});

test('non-text updates are confirmed without a turn', async (t) => {
  const api = await fakeApi(t);
  const { ctx } = await startAccount(t, api);
  await api.waitForCall('getUpdates');
  const chat = { id: 11, type: 'private', first_name: 'S' };
  const from = { id: 11, is_bot: false, first_name: 'S' };
  api.queue('message', { message_id: 1, date: 1, chat, from, sticker: { file_id: 'x' } });
  api.queue('edited_message', { message_id: 1, date: 1, chat, from, text: 'edited', edit_date: 2 });
  api.queue('message', {
    message_id: 2,
    date: 1,
    chat,
    from: { id: 5, is_bot: true, first_name: 'B' },
    text: 'bot',
  });
  const last = api.dm({ id: 11 }, 'real text');
  await until(() => ctx.received.length === 1, 'the text DM');
  assert.equal(ctx.received[0].text, 'real text');
  await until(
    () => JSON.parse(ctx.stateData.get(OFFSET_STATE_KEY) ?? '{}').lastUpdateId === last.updateId,
    'the offset past every update',
  );
});

test('send, edit (not-modified is no error), typing and a forum topic reply', async (t) => {
  const api = await fakeApi(t);
  const { handle } = await startAccount(t, api);
  api.dm({ id: 21 }, 'hi');
  api.group({ id: -100500, is_forum: true }, { id: 21 }, 'topic', { mention: true, threadId: 77 });
  await api.waitFor(() => api.pendingUpdates === 0 || api.callsOf('getUpdates').length > 1, 10_000, 'polled');
  const sent = await handle.send({ chatId: '21', text: 'draft', replyToMessageId: '1', silent: true });
  assert.deepEqual(sent, { chatId: '21', messageId: '2' });
  const call = api.callsOf('sendMessage')[0].params;
  assert.deepEqual(call.reply_parameters, { message_id: 1, allow_sending_without_reply: true });
  assert.equal(call.disable_notification, true);
  await handle.edit?.(sent, 'final');
  await handle.edit?.(sent, 'final');
  assert.equal(api.callsOf('editMessageText').length, 2);
  await handle.typing?.('21');
  assert.equal(api.callsOf('sendChatAction')[0].params.action, 'typing');
  await handle.send({ chatId: '-100500', threadId: '77', text: 'in the topic' });
  assert.equal(api.callsOf('sendMessage')[1].params.message_thread_id, 77);
  await handle.send({ chatId: '-100500', threadId: '1', text: 'general' });
  assert.equal(api.callsOf('sendMessage')[2].params.message_thread_id, undefined, 'General topic: no thread');
  await handle.typing?.('-100500', '1');
  assert.equal(
    api.callsOf('sendChatAction')[1].params.message_thread_id,
    1,
    'typing keeps the General topic',
  );
});

test('a text over 4096 is still delivered whole in pieces; an edit over it is refused', async (t) => {
  const api = await fakeApi(t);
  const { handle } = await startAccount(t, api);
  api.dm({ id: 31 }, 'hi');
  const long = `${'a'.repeat(4000)}\n${'b'.repeat(3000)}`;
  const sent = await handle.send({ chatId: '31', text: long });
  assert.deepEqual(api.sentTo(31), ['a'.repeat(4000), 'b'.repeat(3000)]);
  await assert.rejects(
    () => handle.edit?.(sent, 'x'.repeat(4097)) ?? Promise.resolve(),
    /exceeds Telegram's 4096/,
  );
});

test('429 retry_after is waited out, then the message is sent once', async (t) => {
  const api = await fakeApi(t);
  const waits: number[] = [];
  const { handle } = await startAccount(t, api, undefined, waits);
  api.dm({ id: 41 }, 'hi');
  api.failNext('sendMessage', {
    error_code: 429,
    description: 'Too Many Requests: retry after 3',
    parameters: { retry_after: 3 },
  });
  await handle.send({ chatId: '41', text: 'after the flood wait' });
  assert.deepEqual(waits, [3000]);
  assert.equal(api.callsOf('sendMessage').length, 2, 'one refused, one sent');
  assert.deepEqual(api.sentTo(41), ['after the flood wait']);
});

test('429 beyond the retry budget fails with Telegram’s error; other 4xx fail at once', async (t) => {
  const api = await fakeApi(t);
  const waits: number[] = [];
  const { handle } = await startAccount(t, api, undefined, waits);
  api.dm({ id: 51 }, 'hi');
  api.failNext(
    'sendMessage',
    { error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 1 } },
    3,
  );
  await assert.rejects(handle.send({ chatId: '51', text: 'x' }), /429: Too Many Requests/);
  assert.deepEqual(waits, [1000, 1000], 'three attempts in all, as OpenClaw makes');
  api.failNext('sendMessage', {
    error_code: 429,
    description: 'Too Many Requests',
    parameters: { retry_after: 120 },
  });
  await assert.rejects(handle.send({ chatId: '51', text: 'x' }), /429/, 'a wait over a minute is not held');
  assert.equal(waits.length, 2);
  await assert.rejects(handle.send({ chatId: '999', text: 'x' }), /400: Bad Request: chat not found/);
  assert.equal(waits.length, 2, '4xx is final');
  assert.deepEqual(api.sentTo(51), []);
});

test('5xx and a dropped connection are retried with back-off (400 ms, doubling), then the message goes once', async (t) => {
  const api = await fakeApi(t);
  const waits: number[] = [];
  const { handle } = await startAccount(t, api, undefined, waits);
  api.dm({ id: 52 }, 'hi');
  api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
  api.dropNext('sendMessage');
  await handle.send({ chatId: '52', text: 'through' });
  assert.deepEqual(waits, [400, 800]);
  assert.deepEqual(api.sentTo(52), ['through']);
});

test('a bad token fails the start with an unauthorized lastError and probe', async (t) => {
  const api = await fakeApi(t);
  const ctx = recordingContext(accountOf({ botToken: '999:wrong-token-value', apiRoot: api.apiRoot }));
  await assert.rejects(adapterFor().start(ctx), /unauthorized/i);
  const status = ctx.status();
  assert.match(String(status.lastError), /401 Unauthorized/);
  assert.deepEqual(status.fields.probe, { ok: false, status: 401, error: 'Unauthorized' });
  assert.equal(api.callsOf('getUpdates').length, 0, 'no polling with a refused token');
});

test('an unreachable API root is reported and retried until it answers', async (t) => {
  const gone = await startFakeBotApi();
  const apiRoot = gone.apiRoot;
  await gone.close();
  const ctx = recordingContext(accountOf({ botToken: FAKE_BOT_TOKEN, apiRoot }));
  const handle = await adapterFor().start(ctx);
  t.after(() => handle.stop());
  assert.match(String(ctx.status().lastError), /getMe failed: network error/);
  assert.equal(ctx.status().connected, false);
  const back = await new FakeBotApi().listen(Number(new URL(apiRoot).port));
  t.after(() => back.close());
  back.dm({ id: 12 }, 'you are back');
  await until(() => ctx.received.length === 1, 'the DM once the API answers');
  assert.equal(ctx.status().connected, true);
  assert.equal(ctx.status().lastError, null);
  assert.equal(back.callsOf('setMyCommands').length, 1, 'the skipped start-up steps ran');
});

test('polling recovers after Bot API errors, reporting connected false then true', async (t) => {
  const api = await fakeApi(t);
  const { ctx } = await startAccount(t, api);
  await until(() => ctx.status().connected === true, 'connected');
  api.failNext('getUpdates', { error_code: 502, description: 'Bad Gateway' }, 2);
  // The held poll times out after 5 s at the latest; queueing an update answers it at once.
  api.dm({ id: 61 }, 'wake');
  await until(() => ctx.reports.some((patch) => patch.connected === false), 'the failure', 30_000);
  api.dm({ id: 61 }, 'after');
  await until(() => ctx.received.some((message) => message.text === 'after'), 'recovery', 30_000);
  assert.equal(ctx.status().connected, true);
  assert.equal(ctx.status().lastError, null);
});

test('a webhook set elsewhere is cleared when getUpdates conflicts', async (t) => {
  const api = await fakeApi(t);
  api.failNext('deleteWebhook', { error_code: 500, description: 'Internal Server Error' });
  api.webhookUrl = 'https://example.invalid/hook';
  const { ctx } = await startAccount(t, api);
  api.dm({ id: 71 }, 'through');
  await until(() => ctx.received.length === 1, 'the DM after the conflict');
  assert.ok(api.callsOf('deleteWebhook').length >= 2);
});

test('stop ends the long poll and leaves no socket or timer behind', async () => {
  const api = await startFakeBotApi();
  const leftovers = await handlesLeftBy(async () => {
    const ctx = recordingContext(accountOf({ botToken: api.token, apiRoot: api.apiRoot }));
    const handle = await adapterFor().start(ctx);
    await api.waitForCall('getUpdates');
    api.dm({ id: 81 }, 'x');
    await until(() => ctx.received.length === 1, 'a DM');
    await handle.send({ chatId: '81', text: 'y' });
    await handle.stop();
    await handle.stop();
  });
  await api.close();
  assert.deepEqual(leftovers, []);
});

test('OpenClaw keys clawgate ignores are named in one warning when the account starts', async (t) => {
  const api = await fakeApi(t);
  const ctx = recordingContext(
    accountOf({
      botToken: api.token,
      apiRoot: api.apiRoot,
      webhookUrl: 'https://example.invalid/h',
      replyToMode: 'first',
    }),
  );
  await startAccount(t, api, ctx);
  const warnings = ctx.logs.filter((line) => line.level === 'warn' && /ignored/.test(line.msg));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].msg, /channels\.telegram\.webhookUrl, channels\.telegram\.replyToMode$/);
});
