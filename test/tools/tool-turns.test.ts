import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { exited, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

/**
 * Tool turns end to end on the echo model's `@tool` directives: what the transcript keeps (OpenClaw's toolCall
 * blocks and toolResult messages), what chat.history returns, who receives the tool stream, the step cap, an abort
 * reaching a running tool, and a crash mid-tool.
 */
const WAIT_MS = 15_000;
const KEY = 'agent:main:main';

type ChatPayload = { runId: string; state: string; errorMessage?: string; stopReason?: string };
type WireMessage = {
  role: string;
  content: string | Record<string, unknown>[];
  runId?: string;
  stopReason?: string;
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  details?: unknown;
  timestamp: number;
};

async function gateway(t: TestContext, config: Record<string, unknown> = {}) {
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 0 } }, ...config } });
  t.after(() => gw.close());
  const workspace = join(gw.stateDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'hello.txt'), 'hello from the workspace\n');
  return { gw, workspace };
}

async function client(t: TestContext, url: string, caps: string[] = ['tool-events']): Promise<RawClient> {
  const { client: c, hello } = await connectClient(url, TEST_TOKEN, { caps });
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  t.after(() => c.close());
  return c;
}

async function send(c: RawClient, message: string, runId: string): Promise<void> {
  const res = await c.request('chat.send', { sessionKey: KEY, message, idempotencyKey: runId }, WAIT_MS);
  assert.equal(res.ok, true, JSON.stringify(res.error));
}

function end(c: RawClient, runId: string): Promise<ChatPayload> {
  return c
    .waitFor(
      (f) =>
        f.event === 'chat' &&
        (f.payload as ChatPayload).runId === runId &&
        ['final', 'error', 'aborted'].includes((f.payload as ChatPayload).state),
      WAIT_MS,
    )
    .then((f) => f.payload as ChatPayload);
}

async function history(c: RawClient): Promise<WireMessage[]> {
  const res = await c.request('chat.history', { sessionKey: KEY }, WAIT_MS);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return (res.payload as { messages: WireMessage[] }).messages;
}

const toolStarted = (f: Frame) =>
  f.event === 'agent' &&
  (f.payload as { stream: string }).stream === 'tool' &&
  (f.payload as { data: { phase?: string } }).data.phase === 'start';

const toolFrames = (c: RawClient, event: string) =>
  c.frames.filter((f: Frame) => f.event === event && (f.payload as { stream?: string }).stream === 'tool');

test('a tool turn is stored as OpenClaw shapes it and chat.history returns it: toolCall blocks, then toolResult messages', async (t) => {
  const { gw } = await gateway(t);
  const c = await client(t, gw.url);
  await send(c, '@tool read {"path":"hello.txt"}\n@tool nope {}', 'h-1');
  assert.equal((await end(c, 'h-1')).state, 'final');
  const messages = await history(c);
  assert.deepEqual(
    messages.map((m) => [m.role, m.stopReason ?? m.toolName ?? '']),
    [
      ['user', ''],
      ['assistant', 'toolUse'],
      ['toolResult', 'read'],
      ['assistant', 'toolUse'],
      ['toolResult', 'nope'],
      ['assistant', 'stop'],
    ],
  );
  const [, call, result, , unknown, final] = messages as WireMessage[];
  assert.deepEqual(call?.content, [
    { type: 'toolCall', id: 'echo-call-1', name: 'read', arguments: { path: 'hello.txt' } },
  ]);
  assert.equal(result?.toolCallId, 'echo-call-1');
  assert.equal(result?.isError, false);
  assert.deepEqual(result?.content, [{ type: 'text', text: 'hello from the workspace' }]);
  assert.deepEqual(result?.details, { kind: 'text', totalLines: 1, startLine: 1, endLine: 1 });
  assert.equal(typeof result?.timestamp, 'number');
  assert.equal(result?.runId, 'h-1');
  assert.equal(unknown?.isError, true);
  assert.deepEqual(unknown?.content, [{ type: 'text', text: 'Tool nope not found.' }]);
  // The echo model answers with the last result it was fed: the results reached the model.
  assert.deepEqual(final?.content, [{ type: 'text', text: 'Echo: Tool nope not found.' }]);
});

test('the tool stream: agent events for tool-events clients, session.tool for subscribed watchers, nothing for others', async (t) => {
  const { gw } = await gateway(t);
  const withCap = await client(t, gw.url);
  const watcher = await client(t, gw.url, []);
  const bystander = await client(t, gw.url, []);
  const sub = await watcher.request('sessions.subscribe', {}, WAIT_MS);
  assert.equal(sub.ok, true, JSON.stringify(sub.error));
  await send(withCap, '@tool read {"path":"hello.txt"}', 's-1');
  await end(withCap, 's-1');
  await watcher.waitFor(
    (f) => f.event === 'session.tool' && (f.payload as { data: { phase: string } }).data.phase === 'result',
    WAIT_MS,
  );
  await end(bystander, 's-1');
  assert.deepEqual(
    toolFrames(withCap, 'agent').map((f) => (f.payload as { data: { phase: string } }).data.phase),
    ['start', 'result'],
  );
  assert.equal(toolFrames(withCap, 'session.tool').length, 0);
  assert.equal(toolFrames(watcher, 'agent').length, 0);
  const watched = toolFrames(watcher, 'session.tool').map((f) => f.payload as Record<string, unknown>);
  assert.deepEqual(
    watched.map((p) => [p.sessionKey, (p.data as { phase: string }).phase]),
    [
      [KEY, 'start'],
      [KEY, 'result'],
    ],
  );
  assert.equal(toolFrames(bystander, 'agent').length + toolFrames(bystander, 'session.tool').length, 0);
  // Every tool message reaches message watchers as session.message, in order.
  const roles = watcher.frames
    .filter((f) => f.event === 'session.message')
    .map((f) => (f.payload as { message: WireMessage }).message.role);
  assert.deepEqual(roles, ['user', 'assistant', 'toolResult', 'assistant']);
});

test('tools.maxSteps stops a turn that keeps calling tools; every call it made still has a result', async (t) => {
  const { gw } = await gateway(t, { tools: { maxSteps: 2 } });
  const c = await client(t, gw.url);
  await send(
    c,
    '@tool read {"path":"hello.txt"}\n@tool read {"path":"hello.txt"}\n@tool read {"path":"hello.txt"}',
    'm-1',
  );
  const done = await end(c, 'm-1');
  assert.equal(done.state, 'error');
  assert.match(done.errorMessage ?? '', /2 model steps that called tools \(tools\.maxSteps\)/);
  const messages = await history(c);
  const calls = messages.filter((m) => m.role === 'assistant' && m.stopReason === 'toolUse').length;
  const results = messages.filter((m) => m.role === 'toolResult');
  assert.equal(calls, 2);
  assert.equal(results.length, 2);
  assert.match(JSON.stringify(results[1]?.content), /Not run: the turn reached its limit of 2 model steps/);
});

/** An HTTP server on loopback that never answers: a tool waiting on it is "running" until aborted. */
async function stallingServer(t: TestContext): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  const server: Server = createServer(() => {
    count += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`, requests: () => count };
}

const PRIVATE_FETCH = { tools: { web: { fetch: { ssrfPolicy: { dangerouslyAllowPrivateNetwork: true } } } } };

test('chat.abort reaches the running tool: its result says aborted, the run ends aborted, the transcript is paired', async (t) => {
  const slow = await stallingServer(t);
  const { gw } = await gateway(t, PRIVATE_FETCH);
  const c = await client(t, gw.url);
  await send(c, `@tool web_fetch {"url":"${slow.url}"}`, 'a-1');
  await c.waitFor(toolStarted, WAIT_MS);
  for (const deadline = performance.now() + WAIT_MS; slow.requests() === 0; ) {
    assert.ok(performance.now() < deadline, 'the fetch reached the server');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const aborted = await c.request('chat.abort', { sessionKey: KEY, runId: 'a-1' }, WAIT_MS);
  assert.equal(aborted.ok, true, JSON.stringify(aborted.error));
  assert.equal((await end(c, 'a-1')).state, 'aborted');
  const messages = await history(c);
  const result = messages.find((m) => m.role === 'toolResult');
  assert.equal(result?.isError, true);
  assert.match(JSON.stringify(result?.content), /aborted/i);
});

test('kill -9 while a tool runs: at the next start the call gets an interrupted result and the run is failed', async (t) => {
  const slow = await stallingServer(t);
  const stateDir = tempDir(t, 'clawgate-tool-crash-');
  writeFileSync(
    join(stateDir, 'clawgate.json'),
    JSON.stringify({ models: { echo: { wordDelayMs: 0 } }, ...PRIVATE_FETCH }),
  );
  const child = await startGatewayChild(t, ['--port', '0', '--token', TEST_TOKEN], stateDir);
  const { client: c } = await connectClient(child.url, TEST_TOKEN, { caps: ['tool-events'] });
  await send(c, `@tool web_fetch {"url":"${slow.url}"}`, 'k-1');
  await c.waitFor(toolStarted, WAIT_MS);
  child.child.kill('SIGKILL');
  await exited(child.child);
  c.close();

  const store = SqliteStore.open(stateDir);
  try {
    const stored = await store.listMessages(KEY, { limit: 10 });
    assert.deepEqual(
      stored.map((m) => m.role),
      ['user', 'assistant'],
      'the call was committed before the tool ran; no result yet',
    );
  } finally {
    store.close();
  }

  const restarted = await startTestGateway({ stateDir, keepStateDir: true });
  t.after(() => restarted.close());
  const again = await client(t, restarted.url);
  const messages = await history(again);
  const result = messages.at(-1);
  assert.equal(result?.role, 'toolResult');
  assert.equal(result?.toolCallId, 'echo-call-1');
  assert.equal(result?.toolName, 'web_fetch');
  assert.equal(result?.isError, true);
  assert.match(JSON.stringify(result?.content), /interrupted by a gateway restart/);
  // The run itself was failed at start-up: its idempotency key answers with the interruption.
  const repeat = await again.request(
    'chat.send',
    { sessionKey: KEY, message: 'x', idempotencyKey: 'k-1' },
    WAIT_MS,
  );
  assert.equal(repeat.ok, false);
  assert.match(repeat.error?.message ?? '', /interrupted by a gateway restart/);
  // The next turn in the session works, its context paired (the echo model is fed the whole transcript).
  await send(again, 'after the crash', 'k-2');
  assert.equal((await end(again, 'k-2')).state, 'final');
});
