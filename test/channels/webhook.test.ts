import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin, configGet } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import type { RawClient } from '../helpers/raw-client.ts';
import { eventually } from './conformance.ts';
import { startWebhookNetwork, WEBHOOK_SECRET, type WebhookNetwork } from './webhook-network.ts';

type Obj = Record<string, unknown>;

async function call(client: RawClient, method: string, params: unknown = {}): Promise<Obj> {
  const res = await client.request(method, params, 30_000);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as Obj;
}

async function setup(t: { after(fn: () => void): void }, webhook: Obj = {}, extra: Obj = {}) {
  const network = await startWebhookNetwork();
  t.after(() => network.close());
  const gw = await startTestGateway({
    config: {
      models: { echo: { wordDelayMs: 0 } },
      channels: { webhook: { ...network.config, dmPolicy: 'open', allowFrom: ['*'], ...webhook } },
      ...extra,
    },
  });
  t.after(() => gw.close());
  return { network, gw, client: await admin(t, gw) };
}

const message = (id: string, text = 'hello', from = 'u1') => JSON.stringify({ messageId: id, from, text });

test('inbound: a valid signature is taken (202); a missing, wrong, stale or other-secret one is refused (401) and never runs a turn', async (t) => {
  const { network, gw } = await setup(t);
  const accepted = await network.post(gw, message('1'));
  assert.deepEqual(accepted, { status: 202, json: { ok: true, messageId: '1' } });
  await eventually(
    () => network.delivered('u1'),
    (texts) => texts.length === 1,
    'the reply',
  );

  const missing = await network.post(gw, message('2'), { signature: null });
  assert.deepEqual(missing, {
    status: 401,
    json: { ok: false, error: 'missing X-Clawgate-Signature or X-Clawgate-Timestamp' },
  });
  const wrong = await network.post(gw, message('3'), { signature: `sha256=${'0'.repeat(64)}` });
  assert.deepEqual(wrong.json, { ok: false, error: 'invalid signature' });
  const otherSecret = await network.post(gw, message('4'), { secret: 'some-other-secret-0123456789' });
  assert.equal(otherSecret.status, 401);
  const stale = await network.post(gw, message('5'), { timestamp: Math.floor(Date.now() / 1000) - 301 });
  assert.deepEqual(stale, {
    status: 401,
    json: { ok: false, error: 'timestamp outside the 300 s tolerance' },
  });
  // A body changed after signing: the signature no longer covers it.
  const timestamp = Math.floor(Date.now() / 1000);
  const { sign } = await import('./webhook-network.ts');
  const tampered = await network.post(gw, message('6', 'evil'), {
    timestamp,
    signature: sign(WEBHOOK_SECRET, timestamp, message('6', 'nice')),
  });
  assert.equal(tampered.status, 401);

  // Refused before the pipeline: a later message is the next (and only other) reply.
  assert.equal((await network.post(gw, message('7', 'last'))).status, 202);
  await eventually(
    () => network.delivered('u1'),
    (texts) => texts.length === 2,
    'the last reply',
  );
  assert.deepEqual(network.delivered('u1'), ['Echo: hello', 'Echo: last'], 'refused requests ran no turn');
  const log = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8');
  assert.match(log, /refused an inbound request/);
  assert.equal(log.includes(WEBHOOK_SECRET), false, 'the secret never reaches the log');
});

test('inbound: a body over maxBodyBytes is 413 (closing the connection), bad JSON or a missing field 400 naming it', async (t) => {
  const { network, gw } = await setup(t, { maxBodyBytes: 200 });
  const big = JSON.stringify({ messageId: '1', from: 'u', text: 'x'.repeat(300) });
  const tooLarge = await network.post(gw, big);
  assert.equal(tooLarge.status, 413);
  assert.deepEqual(tooLarge.json, { ok: false, error: 'request body over 200 bytes' });
  const notJson = await network.post(gw, '{"messageId":');
  assert.equal(notJson.status, 400);
  assert.match(String(notJson.json.error), /^the body is not valid JSON/);
  const noText = await network.post(gw, JSON.stringify({ messageId: '1', from: 'u' }));
  assert.deepEqual(noText, { status: 400, json: { ok: false, error: 'text: a string is required' } });
  const noId = await network.post(gw, JSON.stringify({ from: 'u', text: 'x' }));
  assert.deepEqual(noId.json, { ok: false, error: 'messageId: a string or number is required' });
  const badType = await network.post(
    gw,
    JSON.stringify({ messageId: 1, from: 'u', text: 'x', chatType: 'dm' }),
  );
  assert.deepEqual(badType.json, { ok: false, error: 'chatType: must be direct, group or channel' });
  // Anything but POST is not the channel's: the Control UI (or 404) answers.
  const get = await fetch(`${gw.httpUrl}/channels/webhook`);
  assert.notEqual(get.status, 202);
});

test('outbound: signed POSTs, retried through 503s with back-off, the same delivery id on every attempt', async (t) => {
  const { network, gw } = await setup(t);
  network.failNext(2, 503);
  await network.post(gw, message('1', 'retry me', 'u2'));
  await eventually(
    () => network.delivered('u2'),
    (texts) => texts.length === 1,
    'the reply after two 503s',
  );
  assert.equal(network.deliveries.length, 3);
  assert.ok(
    network.deliveries.every((delivery) => delivery.signatureOk),
    'every attempt is signed',
  );
  const ids = new Set(network.deliveries.map((delivery) => delivery.headers['x-clawgate-delivery']));
  assert.equal(ids.size, 1);
  const body = network.deliveries[2]?.body as Obj;
  assert.deepEqual(
    {
      type: body.type,
      channel: body.channel,
      accountId: body.accountId,
      chatId: body.chatId,
      text: body.text,
    },
    { type: 'message', channel: 'webhook', accountId: 'default', chatId: 'u2', text: 'Echo: retry me' },
  );
});

test('outbound: after the last retry (or a refusal that is not worth retrying) the reply is a dead letter', async (t) => {
  const { network, gw, client } = await setup(t, { retries: 2 });
  network.failNext(3, 500);
  await network.post(gw, message('1', 'doomed', 'u3'));
  const letters = await eventually(
    async () => (await call(client, 'channels.deadLetters.list', { channel: 'webhook' })).entries as Obj[],
    (entries) => entries.length === 1,
    'the dead letter',
  );
  assert.equal(network.deliveries.length, 3);
  assert.deepEqual(
    { chatId: letters[0]?.chatId, attempts: letters[0]?.attempts, error: letters[0]?.error },
    { chatId: 'u3', attempts: 3, error: 'HTTP 500: try later' },
  );
  assert.equal((letters[0]?.payload as Obj | undefined)?.text, 'Echo: doomed');

  network.failNext(1, 400);
  await network.post(gw, message('2', 'refused', 'u4'));
  await eventually(
    async () => (await call(client, 'channels.deadLetters.list', {})).entries as Obj[],
    (entries) => entries.length === 2,
    'the second dead letter',
  );
  assert.equal(network.deliveries.length, 4, 'a 400 is not retried');
  const status = await call(client, 'channels.status', { channel: 'webhook' });
  const [account] = (status.channelAccounts as Record<string, Obj[]>).webhook ?? [];
  assert.equal(account?.deadLetters, 2);
  assert.match(String(account?.lastError), /failed after 1 attempt\(s\): HTTP 400/);
  assert.equal(account?.webhookPath, '/channels/webhook');
  assert.equal(account?.webhookUrl, network.url);
  // The gateway is still ready: a delivery failure is not a broken account.
  assert.equal((await fetch(`${gw.httpUrl}/readyz`)).status, 200);
});

test('named accounts each have their own path and secret; config.get redacts every channel secret', async (t) => {
  const second = await startWebhookNetwork('second-account-secret-0123456789');
  t.after(() => second.close());
  const { network, gw, client } = await setup(t, {
    accounts: { second: { secret: 'second-account-secret-0123456789', url: second.url } },
  });
  const wrongSecret = await network.post(gw, message('1', 'x', 'u5'), { path: '/channels/webhook/second' });
  assert.equal(wrongSecret.status, 401);
  const ok = await second.post(gw, message('1', 'to the second', 'u5'), { path: '/channels/webhook/second' });
  assert.equal(ok.status, 202);
  await eventually(
    () => second.delivered('u5'),
    (texts) => texts.length === 1,
    'the second account’s reply',
  );
  assert.deepEqual(network.delivered('u5'), []);
  const missing = await network.post(gw, message('1'), { path: '/channels/webhook/third' });
  assert.notEqual(missing.status, 202);

  const config = await configGet<{
    config: { channels: { webhook: Obj & { accounts: Record<string, Obj> } } };
  }>(client);
  assert.equal(config.config.channels.webhook.secret, '__OPENCLAW_REDACTED__');
  assert.equal(config.config.channels.webhook.accounts.second?.secret, '__OPENCLAW_REDACTED__');
});

test('config: a secret reference is resolved, a placeholder or an allowlist with no sender is refused naming the key', async (t) => {
  const network = await startWebhookNetwork();
  t.after(() => network.close());
  const gw = await startTestGateway({
    config: {
      channels: {
        webhook: { secret: 'env:HOOK_SECRET', url: network.url, dmPolicy: 'open', allowFrom: ['*'] },
      },
    },
    env: { HOOK_SECRET: WEBHOOK_SECRET },
  });
  t.after(() => gw.close());
  assert.equal((await network.post(gw, message('1'))).status, 202);
  await assert.rejects(
    startTestGateway({ config: { channels: { webhook: { secret: 'changeme', url: network.url } } } }),
    /channels\.webhook\.secret is blank or a placeholder/,
  );
  await assert.rejects(
    startTestGateway({
      config: { channels: { webhook: { secret: WEBHOOK_SECRET, url: network.url, dmPolicy: 'allowlist' } } },
    }),
    /channels\.webhook\.dmPolicy: dmPolicy "allowlist" needs at least one sender id in allowFrom/,
  );
});

test('close() leaves nothing of a running webhook channel open', async () => {
  const network: WebhookNetwork = await startWebhookNetwork();
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({
      config: {
        models: { echo: { wordDelayMs: 0 } },
        channels: {
          webhook: { ...network.config, dmPolicy: 'open', allowFrom: ['*'], retryDelayMs: 60_000 },
        },
      },
    });
    await network.post(gw, message('1', 'before close', 'u6'));
    await eventually(
      () => network.delivered('u6'),
      (texts) => texts.length === 1,
      'the reply',
    );
    // A reply waiting out a long back-off when the gateway closes: dead-lettered, its timer cleared.
    network.failNext(1, 503);
    await network.post(gw, message('2', 'in back-off', 'u6'));
    await eventually(
      () => network.deliveries.length,
      (n) => n === 2,
      'the refused attempt',
    );
    await gw.close();
  });
  await network.close();
  assert.deepEqual(left, []);
});
