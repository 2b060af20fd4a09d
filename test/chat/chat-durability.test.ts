import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { exited, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

type ChatPayload = { runId: string; state: string; message?: { content: { text: string }[] } };
type WireMessage = {
  role: string;
  content: string | { type: string; text?: string }[];
  runId?: string;
  stopReason?: string;
};

const WAIT_MS = 10_000;
const KEY = 'agent:main:main';

function chatOf(frame: Frame): ChatPayload {
  return frame.payload as ChatPayload;
}

function textOf(content: WireMessage['content']): string {
  return typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');
}

async function send(client: RawClient, message: string, idempotencyKey: string): Promise<void> {
  const res = await client.request('chat.send', { sessionKey: KEY, message, idempotencyKey }, WAIT_MS);
  assert.deepEqual(res.payload, { runId: idempotencyKey, status: 'started' }, JSON.stringify(res.error));
}

function final(client: RawClient, runId: string): Promise<Frame> {
  return client.waitFor(
    (f) => f.event === 'chat' && chatOf(f).runId === runId && chatOf(f).state === 'final',
    WAIT_MS,
  );
}

test('kill -9 mid-turn: the acknowledged message and every finished reply survive, and a new gateway carries on', async (t) => {
  const stateDir = tempDir(t, 'clawgate-chat-durability-');
  // 50 ms per word: a long message streams for seconds, so the kill lands mid-turn.
  writeFileSync(join(stateDir, 'clawgate.json'), JSON.stringify({ models: { echo: { wordDelayMs: 50 } } }));
  const gateway = await startGatewayChild(t, ['--port', '0', '--token', TEST_TOKEN], stateDir);
  const { client, hello } = await connectClient(gateway.url, TEST_TOKEN);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));

  // A turn that ends before the kill: its final was received, so its reply is committed.
  await send(client, 'finished first', 'dur-1');
  await final(client, 'dur-1');

  // A long turn killed after a few deltas. Its `started` answer came after the user message was committed.
  const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
  await send(client, long, 'dur-2');
  await client.waitFor(
    (f) =>
      f.event === 'chat' &&
      chatOf(f).runId === 'dur-2' &&
      chatOf(f).state === 'delta' &&
      chatOf(f).message?.content[0]?.text.includes('word1') === true,
    WAIT_MS,
  );
  gateway.child.kill('SIGKILL');
  assert.deepEqual(await exited(gateway.child), { code: null, signal: 'SIGKILL' });
  assert.ok(
    !client.frames.some(
      (f) => f.event === 'chat' && chatOf(f).runId === 'dur-2' && chatOf(f).state === 'final',
    ),
    'the long turn did not finish before the kill',
  );

  const store = SqliteStore.open(stateDir);
  let stored: WireMessage[];
  try {
    stored = await store.listMessages(KEY, { limit: 10 });
    assert.equal((await store.getRun('dur-1'))?.status, 'ok');
    assert.ok(await store.getRun('dur-2'), 'the run was recorded before it was acknowledged');
  } finally {
    store.close();
  }
  assert.deepEqual(
    stored.map((m) => [m.role, textOf(m.content), m.runId]),
    [
      ['user', 'finished first', 'dur-1'],
      ['assistant', 'Echo: finished first', 'dur-1'],
      ['user', long, 'dur-2'],
    ],
  );
  assert.equal(stored[1]?.stopReason, 'stop');

  // A new gateway on the same state directory reads the same transcript and runs new turns.
  const gw = await startTestGateway({ stateDir, config: { models: { echo: { wordDelayMs: 1 } } } });
  t.after(() => gw.close());
  const { client: again } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => again.close());
  const history = (await again.request('chat.history', { sessionKey: KEY }, WAIT_MS)).payload as {
    messages: WireMessage[];
    sessionInfo: { hasActiveRun: boolean };
  };
  assert.deepEqual(
    history.messages.map((m) => [m.role, textOf(m.content)]),
    [
      ['user', 'finished first'],
      ['assistant', 'Echo: finished first'],
      ['user', long],
    ],
  );
  assert.equal(history.sessionInfo.hasActiveRun, false);

  await send(again, 'after the crash', 'dur-3');
  const reply = chatOf(await final(again, 'dur-3'));
  assert.equal(reply.message?.content[0]?.text, 'Echo: after the crash');
  const after = (await again.request('chat.history', { sessionKey: KEY }, WAIT_MS)).payload as {
    messages: WireMessage[];
  };
  assert.deepEqual(
    after.messages.slice(3).map((m) => [m.role, textOf(m.content)]),
    [
      ['user', 'after the crash'],
      ['assistant', 'Echo: after the crash'],
    ],
  );
  again.close();
  await gw.close();
});
