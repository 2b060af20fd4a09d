import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startTestGateway } from '../../helpers/gateway.ts';

const TOKEN = 'openai-api-token-0123456789';
const config = (enabled: boolean) => ({
  gateway: { auth: { token: TOKEN }, http: { endpoints: { chatCompletions: { enabled } } } },
  models: { echo: { wordDelayMs: 1 } },
});

test('the official OpenAI SDK talks to /v1: models, a completion, a stream, and the history it left', async (t) => {
  const gw = await startTestGateway({ config: config(true) });
  t.after(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.httpUrl}/v1`, apiKey: TOKEN, maxRetries: 0 });

  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['clawgate', 'clawgate/main'],
  );

  const completion = await client.chat.completions.create({
    model: 'clawgate',
    messages: [
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: 'hello gateway' },
    ],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0]?.message.content, 'Echo: hello gateway');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok((completion.usage?.total_tokens ?? 0) > 0);

  const stream = await client.chat.completions.create({
    model: 'openclaw/main',
    stream: true,
    user: 'alice',
    messages: [{ role: 'user', content: 'stream these words' }],
  });
  let text = '';
  let finish: string | null = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, 'Echo: stream these words');
  assert.equal(finish, 'stop');
  assert.ok(chunks > 3, 'streamed word by word');

  // `user` keeps one session per caller; its history is readable over HTTP with the same Bearer secret.
  const history = await fetch(`${gw.httpUrl}/sessions/agent:main:openai-user:alice/history`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(history.status, 200);
  const body = (await history.json()) as { messages: { role: string }[] };
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ['user', 'assistant'],
  );
});

test('errors: wrong bearer 401, unknown model 404, bad body 400, and the API is off by default', async (t) => {
  const gw = await startTestGateway({ config: config(true) });
  t.after(() => gw.close());
  const bad = new OpenAI({ baseURL: `${gw.httpUrl}/v1`, apiKey: 'wrong-token-0123456789', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (error: unknown) => (error as { status?: number }).status === 401);
  const good = new OpenAI({ baseURL: `${gw.httpUrl}/v1`, apiKey: TOKEN, maxRetries: 0 });
  await assert.rejects(
    good.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (error: unknown) => (error as { status?: number; code?: string }).status === 404,
  );
  await assert.rejects(
    good.chat.completions.create({ model: 'clawgate/nobody', messages: [{ role: 'user', content: 'x' }] }),
    (error: unknown) => /unknown agent/.test((error as Error).message),
  );
  const noUser = await fetch(`${gw.httpUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'clawgate', messages: [{ role: 'assistant', content: 'no user turn' }] }),
  });
  assert.equal(noUser.status, 400);
  const notJson = await fetch(`${gw.httpUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: '{',
  });
  assert.equal(notJson.status, 400);
  const historyNoAuth = await fetch(`${gw.httpUrl}/sessions/main/history`);
  assert.equal(historyNoAuth.status, 401);

  const off = await startTestGateway({ config: config(false) });
  t.after(() => off.close());
  const disabled = await fetch(`${off.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(disabled.status, 404);
});

test('wrong Bearer secrets count against the failed-auth limit: 401, then 429 with Retry-After', async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: {
        auth: { token: TOKEN, rateLimit: { maxAttempts: 2, exemptLoopback: false } },
        http: { endpoints: { chatCompletions: { enabled: true } } },
      },
    },
  });
  t.after(() => gw.close());
  const get = (token: string) =>
    fetch(`${gw.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get('wrong-token-0123456789')).status, 401);
  const locked = await get('wrong-token-0123456789');
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  // While locked out even the right secret is refused, and so is the history route.
  assert.equal((await get(TOKEN)).status, 429);
  const history = await fetch(`${gw.httpUrl}/sessions/main/history`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(history.status, 429);
});
