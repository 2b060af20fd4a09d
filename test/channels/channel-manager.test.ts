import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, configGet } from '../helpers/admin.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import type { RawClient } from '../helpers/raw-client.ts';
import { eventually } from './conformance.ts';
import { FakeChannel } from './fake-channel.ts';

type Obj = Record<string, unknown>;

async function call(client: RawClient, method: string, params: unknown = {}): Promise<Obj> {
  const res = await client.request(method, params, 30_000);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as Obj;
}

async function start(t: { after(fn: () => void): void }, fake: FakeChannel, channel: Obj, extra: Obj = {}) {
  const gw = await startTestGateway({
    config: { models: { echo: { wordDelayMs: 0 } }, channels: { fake: channel }, ...extra },
    modules: [fake.module],
  });
  t.after(() => gw.close());
  return { gw, client: await admin(t, gw) };
}

async function patch(client: RawClient, raw: string): Promise<void> {
  const { hash } = await configGet<{ hash: string }>(client);
  await call(client, 'config.patch', { raw, baseHash: hash });
}

async function readyz(gw: TestGateway): Promise<{ status: number; body: Obj }> {
  const res = await fetch(`${gw.httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Obj };
}

test('a DM streams its reply into one message by edits, then continues past the limit in new messages', async (t) => {
  const fake = new FakeChannel();
  const { gw } = await start(t, fake, {
    token: 't',
    dmPolicy: 'open',
    allowFrom: ['*'],
    streaming: true,
    textChunkLimit: 40,
  });
  const words = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
  // Slow enough words that the preview is edited while the turn runs.
  await fake.receive({ messageId: 'm1', text: words });
  const expected = `Echo: ${words}`;
  const texts = await eventually(
    () => fake.texts('100'),
    (list) => list.join('') === expected,
    'the full streamed reply',
  );
  assert.ok(texts.length >= 2);
  assert.ok(texts.every((text) => text.length <= 40));
  assert.ok(fake.typing.includes('100'), 'typing was shown while the turn ran');
  void gw;
});

test('pairing: an unknown sender gets one code, the request is listed, approval (with notice) lets the sender in', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(t, fake, { token: 't' });
  await fake.receive({ senderId: '500', messageId: 'a', text: 'hello?' });
  const [reply] = await eventually(
    () => fake.texts('500'),
    (list) => list.length === 1,
    'the pairing reply',
  );
  const code = /Pairing code: ([A-Z2-9]{8})/.exec(reply ?? '')?.[1];
  assert.ok(code, reply);
  assert.match(reply ?? '', /Your fake user id: 500/);
  assert.doesNotMatch(code, /[01IO]/);
  await fake.receive({ senderId: '500', messageId: 'b', text: 'hello again' });

  const list = await call(client, 'channels.pairing.list', { channel: 'fake' });
  assertMatchesOfficial('ChannelsPairingListResult', list);
  const requests = list.requests as {
    requestId: string;
    senderId: string;
    expiresAt: string;
    createdAt: string;
  }[];
  assert.equal(requests.length, 1);
  assert.equal(requests[0]?.senderId, '500');
  assert.equal(
    Date.parse(requests[0]?.expiresAt ?? '') - Date.parse(requests[0]?.createdAt ?? ''),
    3_600_000,
  );
  assert.deepEqual(list.limits, { pendingPerAccount: 3, ttlMs: 3_600_000 });
  assert.equal(fake.texts('500').length, 1, 'a second message while pending gets no second code');

  // Three pending requests at most per account: a fourth sender is ignored.
  for (const sender of ['501', '502', '503'])
    await fake.receive({ senderId: sender, messageId: 'x', text: 'hi' });
  await eventually(
    () => fake.texts('502'),
    (list) => list.length === 1,
    'the third code',
  );
  assert.deepEqual(fake.texts('503'), []);

  const approved = await call(client, 'channels.pairing.approve', {
    channel: 'fake',
    accountId: 'default',
    requestId: requests[0]?.requestId,
    notify: true,
  });
  assertMatchesOfficial('ChannelsPairingApproveResult', approved);
  assert.equal(approved.notification, 'sent');
  assert.equal(approved.commandOwnerBootstrap, 'not-requested');
  await fake.receive({ senderId: '500', messageId: 'c', text: 'now?' });
  await eventually(
    () => fake.texts('500'),
    (list) => list.at(-1) === 'Echo: now?',
    'the turn after approval',
  );
  assert.match(fake.texts('500')[1] ?? '', /approved/);

  // Approval by the code the sender was sent works too; dismissing frees the slot without approving.
  const byCode = await client.request('channels.pairing.approve', {
    channel: 'fake',
    accountId: 'default',
    requestId: 'NOTACODE',
  });
  assert.equal(byCode.error?.message, 'pending DM access request no longer exists');
  const rest = (await call(client, 'channels.pairing.list', {})).requests as {
    requestId: string;
    senderId: string;
  }[];
  const dismissed = await call(client, 'channels.pairing.dismiss', {
    channel: 'fake',
    accountId: 'default',
    requestId: rest.find((r) => r.senderId === '501')?.requestId,
  });
  assertMatchesOfficial('ChannelsPairingDismissResult', dismissed);
  assert.equal(dismissed.senderId, '501');
  const unknown = await client.request('channels.pairing.list', { channel: 'nope' });
  assert.equal(unknown.error?.message, 'unknown pairing channel: nope');
});

test('groups: listed groups only, senders from allowFrom, and a mention is required unless the group says otherwise', async (t) => {
  const fake = new FakeChannel();
  await start(t, fake, {
    token: 't',
    allowFrom: ['100'],
    groups: { '-5': {}, '-6': { requireMention: false } },
  });
  await fake.receive({
    chatId: '-5',
    peerKind: 'group',
    senderId: '100',
    messageId: '1',
    text: 'unmentioned',
  });
  await fake.receive({
    chatId: '-5',
    peerKind: 'group',
    senderId: '200',
    messageId: '2',
    text: 'stranger',
    wasMentioned: true,
  });
  await fake.receive({
    chatId: '-7',
    peerKind: 'group',
    senderId: '100',
    messageId: '3',
    text: 'other group',
    wasMentioned: true,
  });
  await fake.receive({
    chatId: '-5',
    peerKind: 'group',
    senderId: '100',
    messageId: '4',
    text: 'mentioned',
    wasMentioned: true,
  });
  await fake.receive({ chatId: '-6', peerKind: 'group', senderId: '100', messageId: '5', text: 'open room' });
  await eventually(
    () => fake.texts('-6'),
    (list) => list.length === 1,
    'the reply in -6',
  );
  await eventually(
    () => fake.texts('-5'),
    (list) => list.length === 1,
    'the reply in -5',
  );
  assert.deepEqual(fake.texts('-5'), ['Echo: mentioned']);
  assert.deepEqual(fake.texts('-6'), ['Echo: open room']);
  assert.deepEqual(fake.texts('-7'), []);
});

test('/new answers without a model, resets the session, and a re-delivered /new is not applied twice', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(t, fake, { token: 't', dmPolicy: 'open', allowFrom: ['*'] });
  await fake.receive({ messageId: 'm1', text: 'remember me' });
  await eventually(
    () => fake.texts('100'),
    (list) => list.length === 1,
    'the first reply',
  );
  await fake.receive({ messageId: 'm2', text: '/new' });
  await fake.receive({ messageId: 'm2', text: '/new' });
  await eventually(
    () => fake.texts('100'),
    (list) => list.length === 2,
    'the /new reply',
  );
  assert.equal(fake.texts('100')[1], '✅ New session started.');
  const history = (await call(client, 'chat.history', { sessionKey: 'agent:main:main' })).messages as Obj[];
  assert.equal(JSON.stringify(history).includes('remember me'), false, 'the transcript starts afresh');
  await fake.receive({ messageId: 'm3', text: '/reset@fake_bot and then this' });
  await eventually(
    () => fake.texts('100'),
    (list) => list.length === 3,
    'the turn after /reset',
  );
  assert.equal(fake.texts('100')[2], 'Echo: and then this');
  assert.equal(fake.texts('100').length, 3);
});

test('a failed start is reported in channels.status and /readyz without stopping the gateway; a fixed token restarts it', async (t) => {
  const fake = new FakeChannel();
  const { gw, client } = await start(t, fake, {
    token: 'bad-token-123456',
    dmPolicy: 'open',
    allowFrom: ['*'],
  });
  const status = await call(client, 'channels.status', { channel: 'fake' });
  assertMatchesOfficial('ChannelsStatusResult', status);
  const [account] = (status.channelAccounts as Record<string, Obj[]>).fake ?? [];
  assert.equal(account?.running, false);
  assert.match(String(account?.lastError), /401 Unauthorized/);
  assert.doesNotMatch(String(account?.lastError), /bad-token-123456/, 'the token is not shown');
  // The verdict OpenClaw's CLI prints (doctor's "Channel warnings", update status's channelIssues).
  assert.deepEqual(status.statusIssues, [
    {
      channel: 'fake',
      accountId: 'default',
      kind: 'runtime',
      message: `Channel is enabled and configured, but its runtime is not running. Last error: ${account?.lastError}`,
      fix: 'restart the channel or gateway',
    },
  ]);
  const notReady = await readyz(gw);
  assert.equal(notReady.status, 503);
  assert.deepEqual(notReady.body.failing, ['fake']);
  assert.deepEqual((notReady.body.unhealthy as Obj).fake, {
    accounts: [{ accountId: 'default', error: account?.lastError }],
  });
  // The gateway serves: chat waits for ready, and it is started.
  const chat = await client.request('chat.send', {
    sessionKey: 'main',
    message: 'still here',
    idempotencyKey: 'k1',
  });
  assert.equal(chat.ok, true, JSON.stringify(chat.error));
  assert.equal((await fetch(`${gw.httpUrl}/startupz`)).status, 200);

  await patch(client, '{ channels: { fake: { token: "good" } } }');
  await eventually(
    () => readyz(gw),
    (ready) => ready.status === 200,
    '/readyz after the fix',
  );
  await fake.receive({ messageId: 'z', text: 'fixed' });
  await eventually(
    () => fake.texts('100'),
    (list) => list.includes('Echo: fixed'),
    'a reply after the restart',
  );
  assert.deepEqual((await call(client, 'channels.status', { channel: 'fake' })).statusIssues, []);
});

test('channels.stop, channels.start and channels.logout; probe; status fields; config changes restart only what changed', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(t, fake, {
    token: 't',
    dmPolicy: 'open',
    allowFrom: ['*'],
    accounts: { second: { token: 't2' } },
  });
  assert.equal(fake.starts, 2);
  const probed = await call(client, 'channels.status', { probe: true });
  assertMatchesOfficial('ChannelsStatusResult', probed);
  const accounts = (probed.channelAccounts as Record<string, Obj[]>).fake ?? [];
  assert.deepEqual(
    accounts.map((a) => [a.accountId, a.running, a.botUsername, a.mode, a.dmPolicy]),
    [
      ['default', true, 'fake_bot', 'fake', 'open'],
      ['second', true, 'fake_bot', 'fake', 'open'],
    ],
  );
  assert.deepEqual(accounts[0]?.probe, { ok: true, bot: { username: 'fake_bot' } });
  assert.deepEqual((probed.channelDefaultAccountId as Obj).fake, 'default');
  assert.deepEqual((probed.channelMeta as Obj[])[0], {
    id: 'fake',
    label: 'Fake',
    detailLabel: 'Fake network',
  });

  const health = await call(client, 'health', { probe: true });
  assert.deepEqual(health.channelOrder, ['fake']);
  assert.deepEqual(health.channelLabels, { fake: 'Fake' });
  const fakeHealth = (health.channels as Record<string, Obj>).fake;
  assert.equal(fakeHealth?.running, true);
  assert.deepEqual(Object.keys(fakeHealth?.accounts as Obj), ['default', 'second']);

  const stopped = await call(client, 'channels.stop', { channel: 'fake', accountId: 'second' });
  assert.deepEqual(stopped, { channel: 'fake', accountId: 'second', stopped: true });
  const afterStop = await call(client, 'channels.status', {});
  assertMatchesOfficial('ChannelsStatusResult', afterStop);
  const after = (afterStop.channelAccounts as Record<string, Obj[]>).fake;
  assert.equal(after?.[1]?.running, false);
  assert.equal(typeof after?.[1]?.lastStopAt, 'number');
  // A stopped account is an issue until started again; the fix names the call that starts it.
  assert.deepEqual(afterStop.statusIssues, [
    {
      channel: 'fake',
      accountId: 'second',
      kind: 'runtime',
      message: 'Channel is enabled and configured, but its runtime is not running.',
      fix: `openclaw gateway call channels.start --params '{"channel":"fake","accountId":"second"}'`,
    },
  ]);
  // An access change applies without a restart; the stopped account stays stopped.
  await patch(client, '{ channels: { fake: { allowFrom: ["100"] } } }');
  await eventually(
    async () => ((await call(client, 'channels.status', {})).channelAccounts as Record<string, Obj[]>).fake,
    (list) => JSON.stringify(list?.[0]?.allowFrom) === '["100"]',
    'the new allowFrom',
  );
  assert.equal(fake.starts, 2);
  const started = await call(client, 'channels.start', { channel: 'fake', accountId: 'second' });
  assert.deepEqual(started, { channel: 'fake', accountId: 'second', started: true });
  assert.equal(fake.starts, 3);
  // A changed token restarts that account only.
  await patch(client, '{ channels: { fake: { accounts: { second: { token: "t3" } } } } }');
  await eventually(
    () => fake.starts,
    (n) => n === 4,
    'the restart of the changed account',
  );

  const loggedOut = await call(client, 'channels.logout', { channel: 'fake', accountId: 'second' });
  assert.deepEqual(loggedOut, { channel: 'fake', accountId: 'second', cleared: true, loggedOut: true });
  assert.equal(fake.logouts, 1);
  const again = await client.request('channels.logout', { channel: 'fake', accountId: 'second' });
  assert.match(again.error?.message ?? '', /is not running/);
  const unknown = await client.request('channels.start', { channel: 'nope' });
  assert.equal(unknown.error?.message, 'unknown channel: nope');
  const noAccount = await client.request('channels.stop', { channel: 'fake', accountId: 'third' });
  assert.equal(noAccount.error?.message, 'channel fake has no account third configured');
});

test('send and message.action deliver through a named channel, split, idempotent by key; refusals say why', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(t, fake, { token: 't', textChunkLimit: 10 });
  const sent = await call(client, 'send', {
    channel: 'fake',
    to: 'fake:42:topic:7',
    message: 'one two three four',
    idempotencyKey: 's1',
  });
  assert.deepEqual(sent, { runId: 's1', messageId: '2', channel: 'fake', chatId: '42' });
  assert.deepEqual(
    fake.messages.map((m) => [m.chatId, m.text, m.threadId]),
    [
      ['42', 'one two ', '7'],
      ['42', 'three four', '7'],
    ],
  );
  assert.deepEqual(
    await call(client, 'send', { channel: 'fake', to: '42', message: 'different', idempotencyKey: 's1' }),
    sent,
  );
  assert.equal(fake.messages.length, 2, 'a repeated idempotency key sends nothing');
  // Without channel: the one running channel.
  await call(client, 'send', { to: '43', message: 'hi', idempotencyKey: 's2' });
  assert.deepEqual(fake.texts('43'), ['hi']);

  const action = await call(client, 'message.action', {
    channel: 'fake',
    action: 'send',
    params: { target: '44', to: 'fake:44', message: 'from the CLI' },
    idempotencyKey: 'a1',
  });
  assert.deepEqual(action, {
    ok: true,
    messageId: fake.messages.at(-1)?.id,
    chatId: '44',
    channel: 'fake',
    accountId: 'default',
  });
  assert.deepEqual(fake.texts('44'), ['from the ', 'CLI']);

  const unsupported = await client.request('send', {
    channel: 'carrier-pigeon',
    to: '1',
    message: 'x',
    idempotencyKey: 's3',
  });
  assert.equal(unsupported.error?.message, 'unsupported channel: carrier-pigeon');
  const empty = await client.request('send', { channel: 'fake', to: '1', idempotencyKey: 's4' });
  assert.equal(empty.error?.message, 'invalid send params: text or media is required');
  const react = await client.request('message.action', {
    channel: 'fake',
    action: 'react',
    params: {},
    idempotencyKey: 'a2',
  });
  assert.equal(react.error?.message, 'Channel fake does not support action react.');
  fake.failSends = 1;
  const refused = await client.request('send', {
    channel: 'fake',
    to: '45',
    message: 'x',
    idempotencyKey: 's5',
  });
  assert.equal(refused.error?.code, 'UNAVAILABLE');
  assert.equal(refused.error?.details?.code, 'CHANNEL_UNAVAILABLE');
  assert.match(refused.error?.message ?? '', /network refused/);
  const status = ((await call(client, 'channels.status', {})).channelAccounts as Record<string, Obj[]>).fake;
  assert.match(String(status?.[0]?.lastError), /delivering to 45 failed: network refused/);
  await call(client, 'channels.stop', { channel: 'fake' });
  const stopped = await client.request('send', {
    channel: 'fake',
    to: '45',
    message: 'x',
    idempotencyKey: 's6',
  });
  assert.equal(stopped.error?.details?.code, 'CHANNEL_UNAVAILABLE');
  assert.match(stopped.error?.message ?? '', /fake\[default\] is not running/);
});

test('cron announce delivers a job’s result through the channel and records it in the run log', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(t, fake, { token: 't' });
  const add = async (name: string, delivery: Obj) =>
    (await call(client, 'cron.add', {
      name,
      schedule: { kind: 'every', everyMs: 3_600_000 },
      sessionTarget: 'isolated',
      wakeMode: 'now',
      payload: { kind: 'agentTurn', message: `report ${name}` },
      delivery,
    })) as { id: string; deliveryPreview: Obj };
  const runAndWait = async (id: string) => {
    await call(client, 'cron.run', { id, mode: 'force' });
    const runs = await eventually(
      async () => (await call(client, 'cron.runs', { id })).entries as Obj[],
      (entries) => entries.length === 1,
      'the run log entry',
    );
    assertMatchesOfficial('CronRunLogEntry', runs[0]);
    return runs[0] as Obj;
  };
  const good = await add('daily', { mode: 'announce', channel: 'fake', to: '77' });
  const entry = await runAndWait(good.id);
  assert.equal(entry.deliveryStatus, 'delivered');
  assert.equal(entry.delivered, true);
  assert.equal(entry.completionStatus, 'succeeded');
  assert.deepEqual((entry.delivery as Obj).resolved, {
    channel: 'fake',
    to: '77',
    accountId: 'default',
    source: 'explicit',
    ok: true,
  });
  assert.deepEqual(fake.texts('77'), ['Echo: report daily']);
  assert.deepEqual(good.deliveryPreview, { label: 'announce: fake', detail: 'to 77' });

  fake.failSends = 1;
  const bad = await add('weekly', { mode: 'announce', channel: 'fake', to: '78' });
  const failed = await runAndWait(bad.id);
  assert.equal(failed.status, 'ok');
  assert.equal(failed.deliveryStatus, 'not-delivered');
  assert.equal(failed.completionStatus, 'failed');
  assert.match(String(failed.deliveryError), /network refused/);
  const nowhere = await add('nowhere', { mode: 'announce', channel: 'pigeon', to: '1', bestEffort: true });
  const unsent = await runAndWait(nowhere.id);
  assert.equal(unsent.deliveryStatus, 'not-delivered');
  assert.equal(unsent.completionStatus, 'succeeded');
  assert.match(String(unsent.deliveryError), /unsupported channel: pigeon/);
});

test('a heartbeat with target: <channel id> and to sends its alert there', async (t) => {
  const fake = new FakeChannel();
  const { client } = await start(
    t,
    fake,
    { token: 't' },
    { agents: { defaults: { heartbeat: { every: '30m', target: 'fake', to: '88' } } } },
  );
  await call(client, 'wake', { mode: 'now', text: 'disk almost full' });
  const [alert] = await eventually(
    () => fake.texts('88'),
    (list) => list.length === 1,
    'the heartbeat alert',
  );
  assert.match(alert ?? '', /^Echo: System event \(wake\): disk almost full/);
});
