import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  type FakeProvider,
  type FakeScript,
  refusedUrl,
  startFakeProvider,
} from '../helpers/fake-provider.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

type WireMessage = {
  role: string;
  content: string | { type: string; text: string }[];
  timestamp: number;
  provider?: string;
  model?: string;
  usage?: { input: number; output: number; total?: number; totalTokens?: number };
  stopReason?: string;
  errorMessage?: string;
};
type ChatPayload = {
  runId: string;
  sessionKey: string;
  seq: number;
  state: string;
  deltaText?: string;
  message?: WireMessage;
  stopReason?: string;
  errorMessage?: string;
  errorKind?: string;
  usage?: { input: number; output: number; total: number };
};
type AgentPayload = { runId: string; stream: string; data: Record<string, unknown> };
type History = { messages: WireMessage[] };

const WAIT_MS = 10_000;
const TERMINAL = new Set(['final', 'error', 'aborted']);
const FAKE_TEXT = 'Hello from the fake model.';

async function fakeProvider(t: TestContext, script: FakeScript = {}): Promise<FakeProvider> {
  const fake = await startFakeProvider(script);
  t.after(() => fake.close());
  return fake;
}

function openaiEntry(fake: FakeProvider) {
  return {
    baseUrl: fake.openaiBaseUrl,
    apiKey: 'sk-test',
    api: 'openai-completions',
    models: [{ id: 'm1' }],
  };
}

async function startGateway(t: TestContext, config: Record<string, unknown>) {
  const gw = await startTestGateway({
    config: { ...config, models: { echo: { wordDelayMs: 1 }, ...(config.models as object) } },
  });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return { gw, client };
}

async function call<T>(client: RawClient, method: string, params: unknown = {}): Promise<T> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, true, `${method} failed: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

function chatOf(frame: Frame): ChatPayload {
  return frame.payload as ChatPayload;
}

function textOf(message: WireMessage | undefined): string {
  if (!message) return '';
  return typeof message.content === 'string' ? message.content : message.content.map((b) => b.text).join('');
}

function chatEnd(client: RawClient, runId: string): Promise<ChatPayload> {
  return client
    .waitFor((f) => f.event === 'chat' && chatOf(f).runId === runId && TERMINAL.has(chatOf(f).state), WAIT_MS)
    .then(chatOf);
}

function chatEvents(client: RawClient, runId: string): ChatPayload[] {
  return client.frames.filter((f) => f.event === 'chat' && chatOf(f).runId === runId).map(chatOf);
}

function agentEvents(client: RawClient, runId: string): AgentPayload[] {
  return client.frames
    .filter((f) => f.event === 'agent' && (f.payload as AgentPayload).runId === runId)
    .map((f) => f.payload as AgentPayload);
}

/** Starts a turn and waits for its terminal `chat` event; every chat/agent payload of the run is official. */
async function turn(client: RawClient, sessionKey: string, message: string, idempotencyKey: string) {
  const started = await call(client, 'chat.send', { sessionKey, message, idempotencyKey });
  assert.deepEqual(started, { runId: idempotencyKey, status: 'started' });
  const end = await chatEnd(client, idempotencyKey);
  for (const payload of chatEvents(client, idempotencyKey)) assertMatchesOfficial('ChatEvent', payload);
  for (const payload of agentEvents(client, idempotencyKey)) assertMatchesOfficial('AgentEvent', payload);
  return end;
}

function streamedText(client: RawClient, runId: string): string {
  return chatEvents(client, runId)
    .filter((p) => p.state === 'delta')
    .map((p) => p.deltaText)
    .join('');
}

/** `[input, output, total]`; the total is `totalTokens` on OpenClaw's wire (`total` tolerated). */
function usageOf(message: WireMessage): [number | undefined, number | undefined, number | undefined] {
  const usage = message.usage;
  return [usage?.input, usage?.output, usage?.totalTokens ?? usage?.total];
}

async function lastAssistant(client: RawClient, sessionKey: string): Promise<WireMessage> {
  const history = await call<History>(client, 'chat.history', { sessionKey });
  const message = history.messages.at(-1);
  assert.equal(message?.role, 'assistant', JSON.stringify(history.messages));
  return message as WireMessage;
}

test('an OpenAI-compatible provider: its stream becomes deltas and the final; the request carries the key and the history', async (t) => {
  const fake = await fakeProvider(t, { text: FAKE_TEXT, chunkSize: 5, usage: { input: 11, output: 7 } });
  const { client } = await startGateway(t, {
    models: { providers: { fake: openaiEntry(fake) } },
    agents: { defaults: { model: 'fake/m1' } },
  });

  const first = await turn(client, 'main', 'first question', 'oa-1');
  assert.equal(first.state, 'final');
  assert.equal(first.stopReason, 'stop');
  assert.equal(textOf(first.message), FAKE_TEXT);
  assert.equal(streamedText(client, 'oa-1'), FAKE_TEXT);
  assert.ok(chatEvents(client, 'oa-1').filter((p) => p.state === 'delta').length >= 5, 'streamed in pieces');
  const request = fake.requests[0];
  assert.ok(request);
  assert.equal(request.method, 'POST');
  assert.equal(request.path, '/v1/chat/completions');
  assert.equal(request.headers.authorization, 'Bearer sk-test');
  assert.equal(request.body.model, 'm1');
  assert.equal(request.body.stream, true);
  assert.deepEqual(request.body.messages, [{ role: 'user', content: 'first question' }]);

  const reply = await lastAssistant(client, 'main');
  assert.equal(reply.provider, 'fake');
  assert.equal(reply.model, 'm1');
  assert.deepEqual(usageOf(reply), [11, 7, 18]);
  assert.equal(reply.stopReason, 'stop');

  // The second turn sends the whole conversation; the provider's stop reason comes through.
  fake.enqueue({ text: 'Cut short', stopReason: 'length' });
  const second = await turn(client, 'main', 'second question', 'oa-2');
  assert.equal(second.stopReason, 'length');
  assert.equal(textOf(second.message), 'Cut short');
  assert.deepEqual(fake.requests[1]?.body.messages, [
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: FAKE_TEXT },
    { role: 'user', content: 'second question' },
  ]);
});

test('an Anthropic Messages provider streams a turn the same way', async (t) => {
  const fake = await fakeProvider(t, {
    text: 'Bonjour from Claude.',
    chunkSize: 4,
    usage: { input: 9, output: 5 },
  });
  const { client } = await startGateway(t, {
    models: {
      providers: {
        claude: {
          baseUrl: fake.anthropicBaseUrl,
          apiKey: 'sk-ant-test',
          api: 'anthropic-messages',
          models: [{ id: 'c1' }],
        },
      },
    },
    agents: { defaults: { model: 'claude/c1' } },
  });
  const final = await turn(client, 'main', 'salut', 'an-1');
  assert.equal(final.state, 'final');
  assert.equal(final.stopReason, 'stop');
  assert.equal(textOf(final.message), 'Bonjour from Claude.');
  assert.equal(streamedText(client, 'an-1'), 'Bonjour from Claude.');

  const request = fake.requests[0];
  assert.ok(request);
  assert.equal(request.path, '/v1/messages');
  assert.equal(request.body.model, 'c1');
  assert.equal(request.body.stream, true);
  assert.equal(typeof request.body.max_tokens, 'number');
  assert.deepEqual(request.body.messages, [{ role: 'user', content: 'salut' }]);
  // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
  assert.ok(
    request.headers['x-api-key'] === 'sk-ant-test' || request.headers.authorization === 'Bearer sk-ant-test',
    `the API key reached the provider: ${JSON.stringify(request.headers)}`,
  );

  const reply = await lastAssistant(client, 'main');
  assert.equal(reply.provider, 'claude');
  assert.equal(reply.model, 'c1');
  assert.deepEqual(usageOf(reply), [9, 5, 14]);

  await turn(client, 'main', 'encore', 'an-2');
  assert.deepEqual(fake.requests[1]?.body.messages, [
    { role: 'user', content: 'salut' },
    { role: 'assistant', content: 'Bonjour from Claude.' },
    { role: 'user', content: 'encore' },
  ]);
});

test('chat.abort mid-stream cancels the HTTP request and commits the partial reply with stopReason rpc', async (t) => {
  const fake = await fakeProvider(t);
  const { client } = await startGateway(t, {
    models: { providers: { fake: openaiEntry(fake) } },
    agents: { defaults: { model: 'fake/m1' } },
  });
  fake.enqueue({
    text: 'one two three four five six',
    chunkSize: 4,
    failure: { mode: 'stall', afterChunks: 3 },
  });
  await call(client, 'chat.send', { sessionKey: 'main', message: 'keep talking', idempotencyKey: 'stall-1' });
  const request = await fake.waitForRequest(1);
  const partial = 'one two thre';
  await client.waitFor(
    (f) => f.event === 'chat' && chatOf(f).runId === 'stall-1' && textOf(chatOf(f).message) === partial,
    WAIT_MS,
  );
  assert.equal(request.aborted, false, 'the stream is still open before the abort');

  const aborted = await call(client, 'chat.abort', { sessionKey: 'main' });
  assert.deepEqual(aborted, { ok: true, aborted: true, runIds: ['stall-1'] });
  const end = await chatEnd(client, 'stall-1');
  assertMatchesOfficial('ChatEvent', end);
  assert.equal(end.state, 'aborted');
  assert.equal(end.stopReason, 'rpc');
  assert.equal(textOf(end.message), partial);
  await request.closed;
  assert.equal(request.aborted, true, 'the provider saw its request socket close');
  const lifecycle = agentEvents(client, 'stall-1').filter((p) => p.stream === 'lifecycle');
  assert.equal(lifecycle.at(-1)?.data.phase, 'end');

  const reply = await lastAssistant(client, 'main');
  assert.equal(textOf(reply), partial);
  assert.equal(reply.stopReason, 'rpc');
  const history = await call<History & { sessionInfo: unknown }>(client, 'chat.history', {
    sessionKey: 'main',
  });
  assert.deepEqual(history.sessionInfo, { hasActiveRun: false, activeRunIds: [] });
  assert.deepEqual(await call(client, 'chat.abort', { sessionKey: 'main' }), {
    ok: true,
    aborted: false,
    runIds: [],
  });
});

test('provider failures end the turn with a clear chat error, commit what streamed, and leave the gateway serving', async (t) => {
  const fake = await fakeProvider(t, { text: FAKE_TEXT, chunkSize: 5 });
  const { client } = await startGateway(t, {
    models: {
      providers: {
        fake: openaiEntry(fake),
        down: { baseUrl: await refusedUrl('/v1'), apiKey: 'sk-down', api: 'openai-completions' },
      },
    },
    agents: {
      defaults: { model: 'fake/m1' },
      list: [
        { id: 'main', default: true },
        { id: 'down', model: 'down/m1' },
        { id: 'echo', model: 'echo/echo' },
      ],
    },
  });

  const cases: {
    name: string;
    script?: FakeScript;
    sessionKey?: string;
    message: RegExp;
    kind?: string;
    partial?: string;
  }[] = [
    {
      name: 'unauthorized',
      script: { failure: { mode: 'status', status: 401, message: 'Incorrect API key provided' } },
      message: /fake rejected the API key \(HTTP 401\).*models\.providers\.fake\.apiKey/,
    },
    {
      name: 'rate-limited',
      script: { failure: { mode: 'status', status: 429, retryAfter: '7' } },
      message: /rate limit.*HTTP 429.*retry after 7 s/,
      kind: 'rate_limit',
    },
    {
      name: 'server-error',
      script: { failure: { mode: 'status', status: 500 } },
      message: /server error \(HTTP 500\)/,
    },
    {
      name: 'refused',
      sessionKey: 'agent:down:main',
      message: /Could not reach down at http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)/,
    },
    {
      name: 'cut',
      script: { text: FAKE_TEXT, chunkSize: 5, failure: { mode: 'cut', afterChunks: 2 } },
      message: /stream ended before completion/,
      partial: 'Hello from',
    },
    {
      name: 'malformed',
      script: { text: FAKE_TEXT, chunkSize: 5, failure: { mode: 'malformed', afterChunks: 2 } },
      message: /malformed streaming data/,
      partial: 'Hello from',
    },
  ];

  for (const failure of cases) {
    const sessionKey = failure.sessionKey ?? `agent:main:${failure.name}`;
    if (failure.script) fake.enqueue(failure.script);
    const end = await turn(client, sessionKey, 'hello?', `fail-${failure.name}`);
    assert.equal(end.state, 'error', `${failure.name}: ${JSON.stringify(end)}`);
    assert.match(end.errorMessage ?? '', failure.message, failure.name);
    if (failure.kind) assert.equal(end.errorKind, failure.kind, failure.name);
    assert.equal(textOf(end.message), failure.partial ?? '', failure.name);
    const lifecycle = agentEvents(client, `fail-${failure.name}`).filter((p) => p.stream === 'lifecycle');
    assert.equal(lifecycle.at(-1)?.data.phase, 'error', failure.name);

    const committed = await lastAssistant(client, sessionKey);
    assert.equal(committed.stopReason, 'error', failure.name);
    assert.equal(committed.errorMessage, end.errorMessage, failure.name);
    assert.equal(textOf(committed), failure.partial ?? '', failure.name);

    const health = await call<{ ok: boolean }>(client, 'health', {});
    assert.equal(health.ok, true, failure.name);
    const echo = await turn(client, 'agent:echo:main', `after ${failure.name}`, `echo-after-${failure.name}`);
    assert.equal(echo.state, 'final', failure.name);
    assert.equal(textOf(echo.message), `Echo: after ${failure.name}`);
  }

  // A failed turn does not poison the session: the next one goes through with the history intact.
  const recovered = await turn(client, 'agent:main:unauthorized', 'again', 'fail-recovered');
  assert.equal(recovered.state, 'final');
  assert.equal(textOf(recovered.message), FAKE_TEXT);
});

test('model fallbacks: a retryable failure of the primary moves to the next model before anything streamed', async (t) => {
  const fake = await fakeProvider(t, { text: FAKE_TEXT });
  const { client } = await startGateway(t, {
    models: { providers: { fake: openaiEntry(fake) } },
    agents: { defaults: { model: { primary: 'fake/m1', fallbacks: ['echo/echo'] } } },
  });
  fake.enqueue({ failure: { mode: 'status', status: 500 } });
  const end = await turn(client, 'main', 'fall back please', 'fb-1');
  assert.equal(end.state, 'final', JSON.stringify(end));
  assert.equal(end.stopReason, 'stop');
  assert.equal(textOf(end.message), 'Echo: fall back please');
  assert.equal(fake.requests.length, 1, 'the primary was tried once');

  const lifecycle = agentEvents(client, 'fb-1')
    .filter((p) => p.stream === 'lifecycle')
    .map((p) => p.data);
  const step = lifecycle.find((d) => d.phase === 'fallback_step');
  assert.ok(step, JSON.stringify(lifecycle));
  assert.equal(step.from, 'fake/m1');
  assert.equal(step.to, 'echo/echo');
  assert.match(String(step.error), /HTTP 500/);
  assert.deepEqual(
    lifecycle.filter((d) => d.phase === 'model').map((d) => `${d.provider}/${d.model}`),
    ['fake/m1', 'echo/echo'],
  );
  const reply = await lastAssistant(client, 'main');
  assert.equal(reply.provider, 'echo');
  assert.equal(reply.stopReason, 'stop');

  // With the primary healthy again, it answers.
  const next = await turn(client, 'main', 'and now?', 'fb-2');
  assert.equal(textOf(next.message), FAKE_TEXT);
});

test('turns queued in one session each send the model only the conversation before them, in order', async (t) => {
  // Each reply takes a while, so the second and third messages are accepted (and stored) before the first ends.
  const fake = await fakeProvider(t, { text: 'ok', chunkSize: 1, delayMs: 10 });
  const { client } = await startGateway(t, {
    models: { providers: { fake: openaiEntry(fake) } },
    agents: { defaults: { model: 'fake/m1' } },
  });
  for (const id of ['q1', 'q2', 'q3']) {
    client.send({
      type: 'req',
      id: `send-${id}`,
      method: 'chat.send',
      params: { sessionKey: 'main', message: id, idempotencyKey: id },
    });
  }
  for (const id of ['q1', 'q2', 'q3']) {
    assert.deepEqual((await client.response(`send-${id}`, WAIT_MS)).payload, {
      runId: id,
      status: 'started',
    });
  }
  for (const id of ['q1', 'q2', 'q3']) assert.equal((await chatEnd(client, id)).state, 'final');
  assert.deepEqual(
    fake.requests.map((r) => r.body.messages),
    [
      [{ role: 'user', content: 'q1' }],
      [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'q2' },
      ],
      [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'q3' },
      ],
    ],
  );
});
