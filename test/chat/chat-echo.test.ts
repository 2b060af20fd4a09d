import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { GatewayClient, type GatewayClientOptions } from '@openclaw/gateway-client';
import { EventLog } from '../helpers/event-log.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertEachMatchesOfficial, assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

type RequestError = Error & { gatewayCode?: string; details?: Record<string, unknown> };
type TextBlock = { type: string; text: string };
type WireMessage = {
  role: string;
  content: string | TextBlock[];
  timestamp: number;
  id?: string;
  provider?: string;
  model?: string;
  /** Token counts; the total is `totalTokens` on OpenClaw's wire (`total` tolerated). */
  usage?: { input: number; output: number; total?: number; totalTokens?: number };
  stopReason?: string;
};
type ChatPayload = {
  runId: string;
  sessionKey: string;
  agentId?: string;
  seq: number;
  state: string;
  phase?: string;
  deltaText?: string;
  message?: WireMessage;
  stopReason?: string;
  errorMessage?: string;
};
type AgentPayload = { runId: string; seq: number; stream: string; ts: number; data: Record<string, unknown> };
type History = {
  sessionKey?: string;
  sessionId?: string;
  messages: WireMessage[];
  hasMore?: boolean;
  totalMessages?: number;
  deltaCursor?: string;
  nextCursor?: string;
  kind?: string;
  sessionInfo?: { hasActiveRun: boolean; activeRunIds: string[] };
};
type SessionRowish = { key: string; sessionId?: string; agentId?: string; label?: string; isMain?: boolean };

const WAIT_MS = 10_000;
/** Echo with a 1 ms pause between words: real streaming, fast tests. */
const FAST = { models: { echo: { wordDelayMs: 1 } } };
const TERMINAL = new Set(['final', 'error', 'aborted']);

/** A reference client (`@openclaw/gateway-client`) connected with the shared token; stopped after the test. */
async function connectReference(t: TestContext, options: GatewayClientOptions) {
  const events = new EventLog(WAIT_MS);
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const connected = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const client = new GatewayClient({
    requestTimeoutMs: WAIT_MS,
    ...options,
    onHelloOk: () => settle?.resolve(),
    onConnectError: (error) => settle?.reject(error),
    onEvent: (event) => events.push(event),
  });
  t.after(() => client.stopAndWait());
  client.start();
  await connected;
  return { client, events };
}

async function requestError(promise: Promise<unknown>): Promise<RequestError> {
  try {
    const value = await promise;
    assert.fail(`expected an error, got ${JSON.stringify(value)}`);
  } catch (error) {
    return error as RequestError;
  }
}

async function raw(t: TestContext, url: string, overrides: Record<string, unknown> = {}) {
  const { client, hello } = await connectClient(url, TEST_TOKEN, overrides);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

async function call<T>(client: RawClient, method: string, params: unknown = {}): Promise<T> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, true, `${method} failed: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

async function callError(
  client: RawClient,
  method: string,
  params: unknown,
): Promise<NonNullable<Frame['error']>> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, false, `${method} should fail, got ${JSON.stringify(res.payload)}`);
  return res.error as NonNullable<Frame['error']>;
}

function chatOf(frame: Frame): ChatPayload {
  return frame.payload as ChatPayload;
}

/** The run's terminal `chat` event (final, error or aborted) on this client. */
function chatEnd(client: RawClient, runId: string): Promise<ChatPayload> {
  return client
    .waitFor((f) => f.event === 'chat' && chatOf(f).runId === runId && TERMINAL.has(chatOf(f).state), WAIT_MS)
    .then(chatOf);
}

function textOf(message: WireMessage | undefined): string {
  if (!message) return '';
  return typeof message.content === 'string' ? message.content : message.content.map((b) => b.text).join('');
}

/** Sends a chat turn and waits for its end on the same client. */
async function turn(client: RawClient, sessionKey: string, message: string, idempotencyKey: string) {
  const started = await call<{ runId: string; status: string }>(client, 'chat.send', {
    sessionKey,
    message,
    idempotencyKey,
  });
  assert.deepEqual(started, { runId: idempotencyKey, status: 'started' });
  return chatEnd(client, idempotencyKey);
}

function totalOf(usage: WireMessage['usage']): number | undefined {
  return usage?.totalTokens ?? usage?.total;
}

function base64Of(bytes: number): string {
  return Buffer.alloc(bytes, 7).toString('base64');
}

test('chat.send over the reference client: status, cumulative deltas, final; every payload matches the official schemas', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const gaps: unknown[] = [];
  const { client, events } = await connectReference(t, {
    url: gw.url,
    token: TEST_TOKEN,
    onGap: (gap) => gaps.push(gap),
  });
  const message = 'hello brave new world';
  const reply = `Echo: ${message}`;
  const params = { sessionKey: 'agent:main:main', message, idempotencyKey: 'echo-run-1' };
  assertMatchesOfficial('ChatSendParams', params);

  assert.deepEqual(await client.request('chat.send', params), { runId: 'echo-run-1', status: 'started' });
  const finalFrame = await events.wait('chat', (p) => p.runId === 'echo-run-1' && p.state === 'final');
  await events.wait(
    'agent',
    (p) => p.runId === 'echo-run-1' && (p.data as { phase?: string }).phase === 'end',
  );

  const chat = events.events
    .filter((e) => e.event === 'chat' && (e.payload as ChatPayload).runId === 'echo-run-1')
    .map((e) => e.payload as ChatPayload);
  const states = chat.map((p) => p.state);
  const firstDelta = states.indexOf('delta');
  assert.ok(firstDelta > 0, `status phases come before the first delta: ${states.join(',')}`);
  assert.ok(states.slice(0, firstDelta).every((s) => s === 'status'));
  assert.equal(chat[firstDelta - 1]?.phase, 'starting_model', 'the model starts right before streaming');
  assert.deepEqual(states.slice(firstDelta), [
    ...Array(states.length - firstDelta - 1).fill('delta'),
    'final',
  ]);

  let streamed = '';
  for (const delta of chat.filter((p) => p.state === 'delta')) {
    streamed += delta.deltaText;
    assert.equal(delta.sessionKey, 'agent:main:main');
    assert.equal(delta.message?.role, 'assistant');
    assert.deepEqual(delta.message?.content, [{ type: 'text', text: streamed }], 'message is cumulative');
    assert.equal(typeof delta.message?.timestamp, 'number');
  }
  assert.equal(streamed, reply);
  const final = finalFrame.payload as ChatPayload;
  assert.equal(final.stopReason, 'stop');
  assert.equal(final.message?.role, 'assistant');
  assert.deepEqual(final.message?.content, [{ type: 'text', text: reply }]);
  assert.equal(typeof final.message?.timestamp, 'number');

  // payload.seq counts per run; the frame seq counts per socket, with no gap.
  const chatSeqs = chat.map((p) => p.seq);
  assert.ok(
    chatSeqs.every((seq, i) => i === 0 || seq > (chatSeqs[i - 1] as number)),
    `chat seqs: ${chatSeqs}`,
  );
  const agent = events.events
    .filter((e) => e.event === 'agent' && (e.payload as AgentPayload).runId === 'echo-run-1')
    .map((e) => e.payload as AgentPayload);
  const agentSeqs = agent.map((p) => p.seq);
  assert.ok(
    agentSeqs.every((seq, i) => i === 0 || seq > (agentSeqs[i - 1] as number)),
    `agent seqs: ${agentSeqs}`,
  );
  const frameSeqs = events.events.map((e) => e.seq);
  assert.equal(frameSeqs[0], 1);
  assert.ok(
    frameSeqs.every((seq, i) => seq === i + 1),
    `frame seqs are contiguous: ${frameSeqs.join(',')}`,
  );
  assert.deepEqual(gaps, []);

  for (const event of events.events) {
    if (event.event === 'chat') assertMatchesOfficial('ChatEvent', event.payload);
    if (event.event === 'agent') assertMatchesOfficial('AgentEvent', event.payload);
  }
  const lifecycle = agent.filter((p) => p.stream === 'lifecycle').map((p) => p.data.phase);
  assert.equal(lifecycle[0], 'start');
  assert.equal(lifecycle.at(-1), 'end');
  assert.equal(agent.filter((p) => p.stream === 'assistant').at(-1)?.data.text, reply);

  const history = await client.request<History>('chat.history', { sessionKey: 'agent:main:main' });
  assert.equal(history.sessionKey, 'agent:main:main');
  assert.equal(history.messages.length, 2);
  const [user, assistant] = history.messages as [WireMessage, WireMessage];
  assert.equal(user.role, 'user');
  assert.equal(user.content, message, 'user content is the string as sent');
  assert.equal(typeof user.timestamp, 'number');
  assert.equal(assistant.role, 'assistant');
  assert.deepEqual(assistant.content, [{ type: 'text', text: reply }]);
  assert.equal(assistant.provider, 'echo');
  assert.equal(assistant.model, 'echo');
  assert.equal(assistant.stopReason, 'stop');
  assert.equal(typeof assistant.usage?.output, 'number');
  assert.equal(totalOf(assistant.usage), (assistant.usage?.input ?? 0) + (assistant.usage?.output ?? 0));
  assert.deepEqual(history.sessionInfo, { hasActiveRun: false, activeRunIds: [] });

  // The same key after completion: `ok`, and no second run.
  assert.deepEqual(await client.request('chat.send', params), { runId: 'echo-run-1', status: 'ok' });
  assert.deepEqual(
    await client.request('chat.send', {
      sessionKey: 'agent:main:other',
      message: 'barrier',
      idempotencyKey: 'b1',
    }),
    { runId: 'b1', status: 'started' },
  );
  await events.wait('chat', (p) => p.runId === 'b1' && p.state === 'final');
  const finals = events.events.filter(
    (e) =>
      e.event === 'chat' &&
      (e.payload as ChatPayload).runId === 'echo-run-1' &&
      (e.payload as ChatPayload).state === 'final',
  );
  assert.equal(finals.length, 1);
  const again = await client.request<History>('chat.history', { sessionKey: 'agent:main:main' });
  assert.equal(again.messages.length, 2);
});

test('the same idempotency key while a run is going answers in_flight, after it ok; a burst of duplicates starts one run', async (t) => {
  // 20 ms per word: the run outlives several round trips.
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 20 } } } });
  t.after(() => gw.close());
  const { client, events } = await connectReference(t, { url: gw.url, token: TEST_TOKEN });
  const words = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
  const params = { sessionKey: 'agent:main:slow', message: words, idempotencyKey: 'slow-1' };
  assert.deepEqual(await client.request('chat.send', params), { runId: 'slow-1', status: 'started' });
  assert.deepEqual(await client.request('chat.send', params), { runId: 'slow-1', status: 'in_flight' });
  const during = await client.request<History>('chat.history', { sessionKey: 'agent:main:slow' });
  assert.deepEqual(during.sessionInfo, { hasActiveRun: true, activeRunIds: ['slow-1'] });
  await events.wait('chat', (p) => p.runId === 'slow-1' && p.state === 'final');
  assert.deepEqual(await client.request('chat.send', params), { runId: 'slow-1', status: 'ok' });
  const history = await client.request<History>('chat.history', { sessionKey: 'agent:main:slow' });
  assert.equal(history.messages.length, 2);

  // Two frames in one write: both handlers start before either has committed the user message.
  const rawClient = await raw(t, gw.url);
  const burst = { sessionKey: 'agent:main:burst', message: 'once only', idempotencyKey: 'burst-1' };
  rawClient.send({ type: 'req', id: 'b-1', method: 'chat.send', params: burst });
  rawClient.send({ type: 'req', id: 'b-2', method: 'chat.send', params: burst });
  const [first, second] = await Promise.all([rawClient.response('b-1'), rawClient.response('b-2')]);
  assert.deepEqual(first.payload, { runId: 'burst-1', status: 'started' }, JSON.stringify(first.error));
  assert.deepEqual(second.payload, { runId: 'burst-1', status: 'in_flight' }, JSON.stringify(second.error));
  await chatEnd(rawClient, 'burst-1');
  const burstHistory = await call<History>(rawClient, 'chat.history', { sessionKey: 'agent:main:burst' });
  assert.deepEqual(
    burstHistory.messages.map((m) => m.role),
    ['user', 'assistant'],
    'one user message, one reply',
  );
});

test('chat.history pages with limit and nextCursor, continues from a deltaCursor, reports a reset, and keeps to maxChars', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const client = await raw(t, gw.url);
  const key = 'agent:main:paging';
  for (const n of [1, 2, 3]) await turn(client, key, `message ${n}`, `page-${n}`);

  const full = await call<History>(client, 'chat.history', { sessionKey: key });
  assert.deepEqual(full.messages.map(textOf), [
    'message 1',
    'Echo: message 1',
    'message 2',
    'Echo: message 2',
    'message 3',
    'Echo: message 3',
  ]);
  assert.equal(full.totalMessages, 6);
  assert.equal(full.hasMore, false);

  // Newest first, two at a time, back to the start.
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page: History = await call<History>(client, 'chat.history', {
      sessionKey: key,
      limit: 2,
      ...(cursor ? { cursor } : {}),
    });
    pages.push(page.messages.map(textOf));
    if (!page.hasMore) break;
    assert.ok(page.nextCursor, 'a page with more behind it has a nextCursor');
    cursor = page.nextCursor;
    assert.ok(pages.length < 5, 'paging ends');
  }
  assert.deepEqual(pages, [
    ['message 3', 'Echo: message 3'],
    ['message 2', 'Echo: message 2'],
    ['message 1', 'Echo: message 1'],
  ]);

  // A deltaCursor passed back as cursor: only what came after it.
  assert.ok(full.deltaCursor);
  await turn(client, key, 'message 4', 'page-4');
  const delta = await call<History>(client, 'chat.history', { sessionKey: key, cursor: full.deltaCursor });
  assertMatchesOfficial('ChatHistoryCursorResult', delta);
  assert.equal(delta.kind, 'delta');
  assert.deepEqual(delta.messages.map(textOf), ['message 4', 'Echo: message 4']);
  assert.ok(delta.deltaCursor && delta.deltaCursor !== full.deltaCursor);
  const nothingNew = await call<History>(client, 'chat.history', {
    sessionKey: key,
    cursor: delta.deltaCursor,
  });
  assertMatchesOfficial('ChatHistoryCursorResult', nothingNew);
  assert.equal(nothingNew.kind, 'delta');
  assert.deepEqual(nothingNew.messages, []);

  // More new messages than `limit`: nothing may be skipped silently, so the client is told to reload.
  await turn(client, key, 'message 5', 'page-5');
  const overflow = await call<History>(client, 'chat.history', {
    sessionKey: key,
    cursor: delta.deltaCursor,
    limit: 1,
  });
  assertMatchesOfficial('ChatHistoryCursorResult', overflow);
  assert.equal(overflow.kind, 'reset');
  const overBudget = await call<History>(client, 'chat.history', {
    sessionKey: key,
    cursor: delta.deltaCursor,
    maxChars: 12,
  });
  assert.equal(overBudget.kind, 'reset', 'new messages beyond maxChars are not dropped from a delta');
  const fits = await call<History>(client, 'chat.history', { sessionKey: key, cursor: delta.deltaCursor });
  assert.equal(fits.kind, 'delta');
  assert.deepEqual(fits.messages.map(textOf), ['message 5', 'Echo: message 5']);

  // After sessions.reset the old cursor belongs to a transcript that is gone.
  await call(client, 'sessions.reset', { key });
  const reset = await call<History>(client, 'chat.history', { sessionKey: key, cursor: delta.deltaCursor });
  assertMatchesOfficial('ChatHistoryCursorResult', reset);
  assert.equal(reset.kind, 'reset');
  const afterReset = await call<History>(client, 'chat.history', { sessionKey: key });
  assert.deepEqual(afterReset.messages, []);
  assert.notEqual(afterReset.sessionId, full.sessionId);

  // maxChars keeps the newest messages that fit.
  await turn(client, key, 'a fairly long first message here', 'chars-1');
  await turn(client, key, 'short', 'chars-2');
  const budget = await call<History>(client, 'chat.history', { sessionKey: key, maxChars: 20 });
  assert.deepEqual(budget.messages.map(textOf), ['short', 'Echo: short']);
  assert.equal(budget.hasMore, true);
  assert.ok(budget.messages.map(textOf).join('').length <= 20);

  const bad = await callError(client, 'chat.history', { sessionKey: key, cursor: 'not-a-cursor' });
  assert.equal(bad.code, 'INVALID_REQUEST');
  assert.match(bad.message, /^invalid chat\.history params: cursor/);
  const tooMany = await callError(client, 'chat.history', { sessionKey: key, limit: 1001 });
  assert.equal(tooMany.code, 'INVALID_REQUEST');
  assert.match(tooMany.message, /^invalid chat\.history params: .*limit/);
});

test('/new and /reset start a new transcript; "/new hello" runs hello in it', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const client = await raw(t, gw.url);
  await turn(client, 'main', 'before the reset', 'pre-1');
  const before = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.equal(before.messages.length, 2);

  // The old transcript is gone from the session (a gateway may note the command itself in the new one).
  const reset = await call<{ runId: string }>(client, 'chat.send', {
    sessionKey: 'main',
    message: '/reset',
    idempotencyKey: 'cmd-reset',
  });
  assert.equal(reset.runId, 'cmd-reset');
  const afterReset = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.ok(afterReset.sessionId && afterReset.sessionId !== before.sessionId);
  assert.ok(
    !afterReset.messages.map(textOf).some((text) => text.includes('before the reset')),
    JSON.stringify(afterReset.messages),
  );
  assert.ok(afterReset.messages.length <= 2, 'at most the command and its acknowledgement');

  const final = await turn(client, 'main', '/new hello', 'cmd-new');
  assert.equal(textOf(final.message), 'Echo: hello');
  const afterNew = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.ok(afterNew.sessionId && afterNew.sessionId !== afterReset.sessionId);
  assert.deepEqual(afterNew.messages.map(textOf).slice(-2), ['hello', 'Echo: hello']);
  assert.ok(
    !afterNew.messages.map(textOf).some((text) => text.includes('before the reset') || text === '/reset'),
  );

  // With command interpretation off, "/new" is just text.
  const literal = await call(client, 'chat.send', {
    sessionKey: 'main',
    message: '/new',
    idempotencyKey: 'cmd-literal',
    suppressCommandInterpretation: true,
  });
  assert.deepEqual(literal, { runId: 'cmd-literal', status: 'started' });
  assert.equal(textOf((await chatEnd(client, 'cmd-literal')).message), 'Echo: /new');
  const kept = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.equal(kept.sessionId, afterNew.sessionId);
  assert.deepEqual(kept.messages.map(textOf), [...afterNew.messages.map(textOf), '/new', 'Echo: /new']);
});

test('chat.startup, chat.metadata, agent.identity.get, and chat.inject (admin only) written into the transcript', async (t) => {
  const gw = await startTestGateway({
    config: {
      ...FAST,
      agents: {
        list: [{ id: 'main', default: true, identity: { name: 'Claw', emoji: '🦀' } }, { id: 'plain' }],
      },
    },
  });
  t.after(() => gw.close());
  const client = await raw(t, gw.url);
  await turn(client, 'main', 'hi there', 'startup-1');

  const startup = await call<History & { agentId: string }>(client, 'chat.startup', {
    sessionKey: 'main',
    limit: 10,
  });
  const history = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.equal(startup.sessionKey, 'agent:main:main');
  assert.equal(startup.sessionId, history.sessionId);
  assert.deepEqual(
    startup.messages.map((m) => [m.role, textOf(m), typeof m.timestamp]),
    [
      ['user', 'hi there', 'number'],
      ['assistant', 'Echo: hi there', 'number'],
    ],
  );

  const metadata = await call<{ models: { id: string; provider: string }[]; commands: { name: string }[] }>(
    client,
    'chat.metadata',
    { sessionKey: 'main' },
  );
  assert.ok(
    metadata.models.some((m) => m.provider === 'echo' && m.id === 'echo'),
    JSON.stringify(metadata.models),
  );
  const commands = metadata.commands.map((c) => c.name);
  assert.ok(commands.includes('new') && commands.includes('reset'), JSON.stringify(commands));

  // An agent without a configured identity answers the official shape.
  const plain = await call(client, 'agent.identity.get', { agentId: 'plain' });
  assertMatchesOfficial('AgentIdentityResult', plain);
  assert.equal((plain as { agentId: string }).agentId, 'plain');
  const identity = await call<{ agentId: string; name: string; emoji?: string }>(
    client,
    'agent.identity.get',
    {},
  );
  assert.equal(identity.agentId, 'main');
  assert.equal(identity.name, 'Claw');
  assert.equal(identity.emoji, '🦀');
  const bySession = await call(client, 'agent.identity.get', { sessionKey: 'agent:main:main' });
  assert.deepEqual(bySession, identity);

  const injectParams = { sessionKey: 'main', message: 'operator note', label: 'ops' };
  assertMatchesOfficial('ChatInjectParams', injectParams);
  const injected = await call<{ ok: boolean; messageId: string }>(client, 'chat.inject', injectParams);
  assert.equal(injected.ok, true);
  const withNote = await call<History>(client, 'chat.history', { sessionKey: 'main' });
  assert.equal(withNote.messages.length, 3);
  const note = withNote.messages[2] as WireMessage;
  assert.equal(note.id, injected.messageId);
  assert.equal(note.role, 'assistant');
  assert.match(textOf(note), /operator note/);

  // A writer without admin cannot inject.
  const writer = await raw(t, gw.url, { scopes: ['operator.read', 'operator.write'] });
  const forbidden = await callError(writer, 'chat.inject', injectParams);
  assert.equal(forbidden.code, 'FORBIDDEN');
  assert.equal(forbidden.message, 'missing scope: operator.admin');
  assert.equal(forbidden.details?.code, 'MISSING_SCOPE');
  assert.equal((await call<History>(client, 'chat.history', { sessionKey: 'main' })).messages.length, 3);
});

test('sessions.*: list, resolve, create, patch, send, describe, preview, get, usage, abort, reset, delete; errors name the problem', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const { client: ref } = await connectReference(t, { url: gw.url, token: TEST_TOKEN });
  const client = await raw(t, gw.url);
  await turn(client, 'main', 'first words', 'sess-1');

  const list = await call<{ sessions: SessionRowish[]; count: number }>(client, 'sessions.list', {});
  assertEachMatchesOfficial('SessionRow', list.sessions);
  const mainRow = list.sessions.find((s) => s.key === 'agent:main:main');
  assert.ok(mainRow, JSON.stringify(list.sessions));
  assert.equal(mainRow.agentId, 'main');
  assert.equal(mainRow.isMain, true);
  assert.equal(list.count, list.sessions.length);

  const resolved = await ref.request('sessions.resolve', { key: 'main' });
  assertMatchesOfficial('SessionsResolveResult', resolved);
  assert.deepEqual(resolved, { ok: true, key: 'agent:main:main', agentId: 'main' });

  const key = 'agent:main:work';
  const created = await call<{ ok: boolean; key: string; sessionId: string; entry: SessionRowish }>(
    client,
    'sessions.create',
    { key, label: 'Work' },
  );
  assertMatchesOfficial('SessionsCreateResult', created);
  assertMatchesOfficial('SessionRow', created.entry);
  assert.equal(created.key, key);
  assert.equal(created.entry.label, 'Work');
  const byLabel = await call(client, 'sessions.resolve', { label: 'Work' });
  assertMatchesOfficial('SessionsResolveResult', byLabel);
  assert.deepEqual(byLabel, { ok: true, key, agentId: 'main', displayName: 'Work' });

  const patched = await call<{ ok: boolean; entry: SessionRowish }>(client, 'sessions.patch', {
    key,
    label: 'Deep work',
  });
  assert.equal(patched.entry.label, 'Deep work');

  const sent = await call<{ ok: boolean; key: string; runId: string; status: string }>(
    client,
    'sessions.send',
    {
      key,
      message: 'via sessions.send',
      idempotencyKey: 'sess-send',
    },
  );
  assert.deepEqual(sent, { ok: true, key, runId: 'sess-send', status: 'started' });
  assert.equal(textOf((await chatEnd(client, 'sess-send')).message), 'Echo: via sessions.send');

  const described = await call<{ ok: boolean; session: SessionRowish & { lastMessagePreview?: string } }>(
    client,
    'sessions.describe',
    { key, includeLastMessage: true },
  );
  assertMatchesOfficial('SessionRow', described.session);
  assert.equal(described.session.label, 'Deep work');
  assert.equal(described.session.lastMessagePreview, 'Echo: via sessions.send');

  const preview = await call<{
    previews: { key: string; status: string; items: { role: string; text: string }[] }[];
  }>(client, 'sessions.preview', { keys: [key, 'agent:main:never'] });
  assert.deepEqual(
    preview.previews.map((p) => [p.key, p.status, p.items.map((i) => `${i.role}:${i.text}`)]),
    [
      [key, 'ok', ['user:via sessions.send', 'assistant:Echo: via sessions.send']],
      ['agent:main:never', 'empty', []],
    ],
  );

  const got = await call<{ messages: WireMessage[] }>(client, 'sessions.get', { key });
  assert.deepEqual(got.messages.map(textOf), ['via sessions.send', 'Echo: via sessions.send']);

  const history = await call<History>(client, 'chat.history', { sessionKey: key });
  const replyUsage = (history.messages[1] as WireMessage).usage;
  const usage = await call<{
    totals: { totalTokens: number };
    sessions: { key: string; usage: { totalTokens: number; messageCounts: { total: number } } }[];
  }>(client, 'sessions.usage', { key });
  assert.deepEqual(
    usage.sessions.map((s) => [s.key, s.usage.messageCounts.total, s.usage.totalTokens]),
    [[key, 2, totalOf(replyUsage)]],
  );
  assert.equal(usage.totals.totalTokens, totalOf(replyUsage));
  const allUsage = await call<{ sessions: { key: string }[] }>(client, 'sessions.usage', {});
  assert.deepEqual(allUsage.sessions.map((s) => s.key).sort(), ['agent:main:main', key]);

  // sessions.abort stops the running turn of the session.
  const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
  await call(client, 'sessions.send', { key, message: long, idempotencyKey: 'sess-long' });
  const aborted = await call(client, 'sessions.abort', { key });
  assert.deepEqual(aborted, { ok: true, key, abortedRunId: 'sess-long', status: 'aborted' });
  const abortedEvent = await chatEnd(client, 'sess-long');
  assert.equal(abortedEvent.state, 'aborted');
  assert.equal(abortedEvent.stopReason, 'rpc');
  assert.deepEqual(await call(client, 'sessions.abort', { key }), {
    ok: true,
    key,
    abortedRunId: null,
    status: 'no-active-run',
  });

  const reset = await call<{ ok: boolean; key: string; sessionId: string }>(client, 'sessions.reset', {
    key,
  });
  assert.equal(reset.key, key);
  assert.notEqual(reset.sessionId, created.sessionId);
  assert.deepEqual((await call<History>(client, 'chat.history', { sessionKey: key })).messages, []);

  const deleted = await call(client, 'sessions.delete', { key });
  assertMatchesOfficial('SessionsDeleteResult', deleted);
  assert.deepEqual(deleted, { ok: true, key, deleted: true, archived: [] });
  assert.deepEqual((await call<{ messages: unknown[] }>(client, 'sessions.get', { key })).messages, []);
  const afterDelete = await call<{ sessions: SessionRowish[] }>(client, 'sessions.list', {});
  assert.deepEqual(
    afterDelete.sessions.map((s) => s.key),
    ['agent:main:main'],
  );
  assert.equal((await call<{ deleted: boolean }>(client, 'sessions.delete', { key })).deleted, false);

  // Errors: an unknown agent (by id or inside the key), a malformed key, a session that does not exist.
  for (const [method, params] of [
    ['sessions.create', { agentId: 'ghost' }],
    ['sessions.create', { key: 'agent:ghost:x' }],
    ['chat.send', { sessionKey: 'agent:ghost:main', message: 'hi', idempotencyKey: 'ghost-1' }],
    ['sessions.send', { key: 'x', agentId: 'ghost', message: 'hi' }],
  ] as const) {
    const error = await callError(client, method, params);
    assert.equal(error.code, 'INVALID_REQUEST', method);
    assert.deepEqual(error.details, { code: 'UNKNOWN_AGENT_ID', agentId: 'ghost' }, method);
    assertMatchesOfficial('UnknownAgentIdErrorDetails', error.details);
  }
  const refError = await requestError(ref.request('sessions.create', { agentId: 'ghost' }));
  assert.equal(refError.gatewayCode, 'INVALID_REQUEST');
  assert.deepEqual(refError.details, { code: 'UNKNOWN_AGENT_ID', agentId: 'ghost' });

  const badKey = await callError(client, 'chat.send', {
    sessionKey: 'agent::x',
    message: 'hi',
    idempotencyKey: 'bad-1',
  });
  assert.equal(badKey.code, 'INVALID_REQUEST');
  assert.equal(
    badKey.message,
    'invalid chat.send params: sessionKey has an empty agent id (expected agent:<agentId>:<rest>)',
  );
  const badSessionsKey = await callError(client, 'sessions.create', { key: 'agent:Bad Agent:x' });
  assert.equal(badSessionsKey.code, 'INVALID_REQUEST');
  assert.match(
    badSessionsKey.message,
    /^invalid sessions\.create params: key has an invalid agent id "bad agent"/,
  );
  const controlChar = await callError(client, 'sessions.patch', { key: 'agent:main:a\u0007b', label: 'x' });
  assert.equal(controlChar.code, 'INVALID_REQUEST');
  assert.equal(controlChar.message, 'invalid sessions.patch params: key must not contain control characters');
  const missing = await callError(client, 'sessions.patch', { key: 'agent:main:missing', label: 'x' });
  assert.equal(missing.code, 'INVALID_REQUEST');
  assert.match(missing.message, /agent:main:missing/);
  const empty = await callError(client, 'sessions.send', { key: 'main', message: '   ' });
  assert.equal(empty.code, 'INVALID_REQUEST');
  assert.equal(empty.message, 'invalid sessions.send params: message is empty');
});

test('who hears what: sessions.changed to sessions.subscribe, session.message to message subscribers, chat to every reader, nothing without scopes', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const all = await raw(t, gw.url);
  const watcher = await raw(t, gw.url);
  const plain = await raw(t, gw.url);
  // `test`/`test` with a token and no device keeps no scopes.
  const { client: unscoped, hello } = await connectClient(gw.url, TEST_TOKEN, {
    client: { id: 'test', mode: 'test' },
  });
  t.after(() => unscoped.close());
  assert.deepEqual((hello.payload as { auth: { scopes: string[] } }).auth.scopes, []);

  assert.deepEqual(await call(all, 'sessions.subscribe', {}), { subscribed: true });
  const key = 'agent:main:watched';
  assert.deepEqual(await call(watcher, 'sessions.messages.subscribe', { key }), { subscribed: true, key });

  await turn(all, key, 'watch this', 'watch-1');
  const userOf = (c: RawClient) =>
    c.waitFor(
      (f) =>
        f.event === 'session.message' &&
        (f.payload as { message: WireMessage }).message.role === 'user' &&
        (f.payload as { sessionKey: string }).sessionKey === key,
      WAIT_MS,
    );
  const assistantOf = (c: RawClient) =>
    c.waitFor(
      (f) =>
        f.event === 'session.message' &&
        (f.payload as { message: WireMessage }).message.role === 'assistant' &&
        (f.payload as { sessionKey: string }).sessionKey === key,
      WAIT_MS,
    );
  for (const c of [all, watcher]) {
    const user = (await userOf(c)).payload as { agentId: string; message: WireMessage; messageSeq: number };
    assert.equal(user.agentId, 'main');
    assert.equal(user.message.content, 'watch this');
    assert.equal(user.messageSeq, 1);
    const reply = (await assistantOf(c)).payload as { message: WireMessage; messageSeq: number };
    assert.equal(textOf(reply.message), 'Echo: watch this');
    assert.equal(reply.messageSeq, 2);
  }
  const changed = await all.waitFor(
    (f) => f.event === 'sessions.changed' && (f.payload as { sessionKey: string }).sessionKey === key,
    WAIT_MS,
  );
  const changedPayload = changed.payload as { agentId: string; reason: string; session: unknown; ts: number };
  assert.equal(changedPayload.agentId, 'main');
  assert.equal(changedPayload.reason, 'message');
  assert.equal(typeof changedPayload.ts, 'number');
  assertMatchesOfficial('SessionRow', changedPayload.session);

  // Barrier: a turn on another session started after every event of the first was sent. Each socket is
  // ordered, so once a client has this turn's final it has everything it was ever going to get of the first.
  await turn(all, 'agent:main:elsewhere', 'barrier', 'watch-2');
  for (const c of [watcher, plain]) await chatEnd(c, 'watch-2');
  await all.waitFor(
    (f) =>
      f.event === 'session.message' &&
      (f.payload as { sessionKey: string }).sessionKey === 'agent:main:elsewhere',
    WAIT_MS,
  );

  const names = (c: RawClient) => c.frames.filter((f) => f.type === 'event').map((f) => f.event);
  assert.ok(names(plain).includes('chat'), 'a reader without subscriptions still gets chat events');
  assert.ok(names(plain).includes('agent'));
  assert.ok(!names(plain).includes('session.message'), `plain got ${names(plain)}`);
  assert.ok(!names(plain).includes('sessions.changed'));
  assert.ok(!names(watcher).includes('sessions.changed'), 'message subscribers do not get sessions.changed');
  assert.ok(
    !watcher.frames.some(
      (f) =>
        f.event === 'session.message' &&
        (f.payload as { sessionKey: string }).sessionKey === 'agent:main:elsewhere',
    ),
    'message subscriptions are per session',
  );
  const unscopedEvents = names(unscoped).filter((name) => name !== 'connect.challenge');
  assert.ok(
    !unscopedEvents.some((name) =>
      ['chat', 'agent', 'session.message', 'sessions.changed'].includes(name as string),
    ),
    `a client without scopes got ${unscopedEvents}`,
  );

  // Frame seq stays contiguous for each reader: filtered events take no number.
  for (const c of [all, watcher, plain]) {
    const seqs = c.frames
      .filter((f) => f.type === 'event' && f.seq !== undefined)
      .map((f) => f.seq as number);
    assert.ok(
      seqs.every((seq, i) => seq === i + 1),
      `seqs ${seqs.join(',')}`,
    );
  }

  assert.deepEqual(await call(watcher, 'sessions.messages.unsubscribe', { key }), { subscribed: false, key });
  assert.deepEqual(await call(all, 'sessions.unsubscribe', {}), { subscribed: false });
});

test('agent answers twice on one request id (accepted, then the result); agent.wait waits for the run', async (t) => {
  const gw = await startTestGateway({ config: FAST });
  t.after(() => gw.close());
  const client = await raw(t, gw.url);
  const params = { message: 'run this task', idempotencyKey: 'agent-run-1' };
  assertMatchesOfficial('AgentParams', params);
  client.send({ type: 'req', id: 'agent-req', method: 'agent', params });
  const finalRes = await client.waitFor(
    (f) =>
      f.type === 'res' &&
      f.id === 'agent-req' &&
      (f.payload as { status?: string } | undefined)?.status !== 'accepted',
    WAIT_MS,
  );
  const accepted = client.frames.find((f) => f.type === 'res' && f.id === 'agent-req');
  assert.ok(accepted && accepted !== finalRes);
  assert.equal(accepted.ok, true, JSON.stringify(accepted.error));
  const acceptedPayload = accepted.payload as Record<string, unknown>;
  assert.equal(typeof acceptedPayload.acceptedAt, 'number');
  assert.deepEqual(
    { ...acceptedPayload, acceptedAt: 0 },
    {
      runId: 'agent-run-1',
      sessionKey: 'agent:main:main',
      agentId: 'main',
      status: 'accepted',
      acceptedAt: 0,
    },
  );
  const result = finalRes.payload as {
    runId: string;
    status: string;
    summary: string;
    result: { payloads: { text: string }[]; meta: { stopReason?: string } };
  };
  assert.equal(result.runId, 'agent-run-1');
  assert.equal(result.status, 'ok');
  assert.equal(result.summary, 'completed');
  assert.deepEqual(result.result.payloads, [{ text: 'Echo: run this task' }]);
  assert.equal(typeof result.result.meta, 'object');
  // The run's events come between the two answers.
  const indexOf = (f: Frame) => client.frames.indexOf(f);
  const chatFinal = client.frames.find(
    (f) => f.event === 'chat' && chatOf(f).runId === 'agent-run-1' && chatOf(f).state === 'final',
  );
  assert.ok(chatFinal);
  assert.ok(indexOf(accepted) < indexOf(chatFinal) && indexOf(chatFinal) < indexOf(finalRes));

  const waited = await call<{ runId: string; status: string }>(client, 'agent.wait', {
    runId: 'agent-run-1',
  });
  assert.equal(waited.runId, 'agent-run-1');
  assert.equal(waited.status, 'ok');

  // agent.wait on a running turn: a short timeout says so; a longer one returns the result.
  const long = Array.from({ length: 200 }, (_, i) => `step${i}`).join(' ');
  const second = await call<{ runId: string; status: string }>(client, 'agent', {
    message: long,
    idempotencyKey: 'agent-run-2',
    sessionKey: 'agent:main:agent-wait',
  });
  assert.equal(second.status, 'accepted');
  const early = await call<{ runId: string; status: string }>(client, 'agent.wait', {
    runId: 'agent-run-2',
    timeoutMs: 1,
  });
  assert.deepEqual(early, { runId: 'agent-run-2', status: 'timeout' });
  const done = await call<{ runId: string; status: string }>(client, 'agent.wait', {
    runId: 'agent-run-2',
    timeoutMs: WAIT_MS,
  });
  assert.equal(done.runId, 'agent-run-2');
  assert.equal(done.status, 'ok');
  const runFinal = client.frames.find(
    (f) => f.event === 'chat' && chatOf(f).runId === 'agent-run-2' && chatOf(f).state === 'final',
  );
  assert.equal(
    textOf(runFinal && chatOf(runFinal).message),
    `Echo: ${long}`,
    'agent.wait answered after the run ended',
  );

  // The reference client's expectFinal skips the accepted answer.
  const { client: ref } = await connectReference(t, { url: gw.url, token: TEST_TOKEN });
  const viaRef = await ref.request<{ status: string; summary: string }>(
    'agent',
    { message: 'from the reference client', idempotencyKey: 'agent-run-3' },
    { expectFinal: true },
  );
  assert.equal(viaRef.status, 'ok');
  assert.equal(viaRef.summary, 'completed');
  // Exactly two answers were sent for the first request.
  assert.equal(client.frames.filter((f) => f.type === 'res' && f.id === 'agent-req').length, 2);
});

test('send without a running channel is UNAVAILABLE; diagnostics.lanes; attachments over the limit are refused before anything is stored', async (t) => {
  const gw = await startTestGateway({
    config: { ...FAST, gateway: { limits: { attachmentMaxBytes: 100 } } },
  });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => client.close());
  const policy = (hello.payload as { policy: { attachments?: { maxBytes: number } } }).policy;
  assert.equal(policy.attachments?.maxBytes, 100);

  const sendParams = { to: '+15550001111', message: 'hi', idempotencyKey: 'send-1' };
  assertMatchesOfficial('SendParams', sendParams);
  const send = await callError(client, 'send', sendParams);
  assert.equal(send.code, 'UNAVAILABLE');
  assert.match(send.message, /no channel can deliver to \+15550001111/);
  assert.equal(send.details?.code, 'CHANNEL_UNAVAILABLE');

  const lanes = await call<{
    ts: number;
    lanes: { lane: string; active: number; queued: number; max: number }[];
    sessions: unknown[];
  }>(client, 'diagnostics.lanes', {});
  assert.equal(typeof lanes.ts, 'number');
  assert.deepEqual(
    lanes.lanes.map((l) => l.lane),
    ['main', 'cron', 'subagent', 'hook-dispatch'],
  );
  for (const lane of lanes.lanes) {
    assert.equal(lane.active, 0);
    assert.equal(lane.queued, 0);
    assert.ok(Number.isInteger(lane.max) && lane.max >= 1);
  }
  assert.deepEqual(lanes.sessions, []);

  const key = 'agent:main:files';
  const big = await callError(client, 'chat.send', {
    sessionKey: key,
    message: 'see attached',
    idempotencyKey: 'att-1',
    attachments: [{ type: 'file', mimeType: 'text/plain', fileName: 'big.txt', content: base64Of(200) }],
  });
  assert.equal(big.code, 'INVALID_REQUEST');
  assert.deepEqual(big.details, { code: 'ATTACHMENT_TOO_LARGE', index: 0, bytes: 200, limit: 100 });
  assert.equal(
    big.message,
    'invalid chat.send params: attachments[0] (big.txt) is 200 bytes; the limit is 100',
  );
  const total = await callError(client, 'chat.send', {
    sessionKey: key,
    message: 'two files',
    idempotencyKey: 'att-2',
    attachments: [
      { mimeType: 'text/plain', fileName: 'a.txt', content: base64Of(60) },
      { mimeType: 'text/plain', fileName: 'b.txt', content: base64Of(60) },
    ],
  });
  assert.equal(total.code, 'INVALID_REQUEST');
  assert.equal(total.details?.code, 'ATTACHMENT_TOO_LARGE');
  assert.equal(total.details?.bytes, 120);
  assert.deepEqual((await call<History>(client, 'chat.history', { sessionKey: key })).messages, []);

  await call(client, 'chat.send', {
    sessionKey: key,
    message: 'a small one',
    idempotencyKey: 'att-3',
    attachments: [{ mimeType: 'text/plain', fileName: 'small.txt', content: base64Of(50) }],
  });
  await chatEnd(client, 'att-3');
  const [user] = (await call<History>(client, 'chat.history', { sessionKey: key })).messages;
  assert.match(textOf(user), /^a small one/);
  assert.match(textOf(user), /small\.txt/);
});
