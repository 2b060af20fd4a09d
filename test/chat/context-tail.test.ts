import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import type { CompletionRequest, LlmProvider, StreamEvent } from '../../src/agents/providers/types.ts';
import { ChatService } from '../../src/chat/chat-service.ts';
import { ContextTailStore, MAX_CONTEXT_MESSAGES } from '../../src/chat/context-tail.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Lanes } from '../../src/server/lanes.ts';
import { SessionEvents } from '../../src/sessions/session-events.ts';
import { SessionService } from '../../src/sessions/session-service.ts';
import { databasePath } from '../../src/storage/database.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import type { GatewayStore, ListMessagesOptions, StoredMessage } from '../../src/storage/store.ts';
import { startFakeProvider } from '../helpers/fake-provider.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

const KEY = 'agent:main:main';

/** A real SQLite store in a temp dir, and how many times each of its methods was called. */
function openStore(t: TestContext): {
  real: SqliteStore;
  counted: GatewayStore;
  reads: () => number;
  calls: Map<string, number>;
  dir: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tail-'));
  const real = SqliteStore.open(dir);
  t.after(() => {
    real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = new Map<string, number>();
  const counted = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { real, counted, reads: () => calls.get('listMessages') ?? 0, calls, dir };
}

function say(store: GatewayStore, text: string, key = KEY): Promise<StoredMessage> {
  return store.appendMessage({ sessionKey: key, role: 'user', content: text, timestamp: Date.now() });
}

const texts = (messages: StoredMessage[]) => messages.map((m) => m.content);

test('past the cap the tail is the store’s newest messages, served from memory after one read', async (t) => {
  const { real, counted, reads } = openStore(t);
  const tail = new ContextTailStore(counted);
  await say(tail, 'm0');
  assert.deepEqual(texts(await tail.recent(KEY, MAX_CONTEXT_MESSAGES)), ['m0']);
  assert.equal(reads(), 1);
  for (let i = 1; i < 3 * MAX_CONTEXT_MESSAGES + 7; i += 1) {
    await say(tail, `m${i}`);
    const recent = await tail.recent(KEY, MAX_CONTEXT_MESSAGES);
    assert.deepEqual(recent, await real.listMessages(KEY, { limit: MAX_CONTEXT_MESSAGES }), `after m${i}`);
    assert.deepEqual(await tail.recent(KEY, 3), await real.listMessages(KEY, { limit: 3 }));
  }
  assert.equal(reads(), 1, 'no store read after the first');
  assert.equal(tail.tailStats().messages, MAX_CONTEXT_MESSAGES);
  // A caller may sort what it gets: the tail is not its array.
  (await tail.recent(KEY, MAX_CONTEXT_MESSAGES)).reverse();
  assert.deepEqual(
    await tail.recent(KEY, MAX_CONTEXT_MESSAGES),
    await real.listMessages(KEY, { limit: MAX_CONTEXT_MESSAGES }),
  );
});

test('a reset or a delete drops the tail: the old transcript never comes back', async (t) => {
  const { counted, reads } = openStore(t);
  const tail = new ContextTailStore(counted);
  await say(tail, 'before reset');
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['before reset']);
  await tail.resetSession(KEY, Date.now());
  assert.deepEqual(await tail.recent(KEY, 50), []);
  await say(tail, 'after reset');
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['after reset']);
  const readsBefore = reads();
  await say(tail, 'after reset, 2');
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['after reset', 'after reset, 2']);
  assert.equal(reads(), readsBefore, 'the new transcript’s tail is kept');

  assert.equal(await tail.deleteSession(KEY), true);
  assert.deepEqual(await tail.recent(KEY, 50), []);
  // After a delete seq starts again at 1, under a new session id.
  const again = await say(tail, 'after delete');
  assert.equal(again.seq, 1);
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['after delete']);
  await say(tail, 'after delete, 2');
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['after delete', 'after delete, 2']);
});

test('a write the store refused never reaches the tail', async (t) => {
  const { real, dir } = openStore(t);
  const tail = new ContextTailStore(real);
  await say(tail, 'kept');
  assert.equal((await tail.recent(KEY, 50)).length, 1);
  // SQLite itself refuses the insert (as a full disk would), inside the store's transaction.
  const db = new DatabaseSync(databasePath(dir));
  t.after(() => db.close());
  db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.content LIKE '%refused%'
           BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`);
  await assert.rejects(say(tail, 'refused'), /injected write failure/);
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['kept']);
  await say(tail, 'next');
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['kept', 'next']);
  assert.deepEqual(await tail.recent(KEY, 50), await real.listMessages(KEY, { limit: 50 }));
});

test('a message that does not follow on from the tail drops it, and the next read is the store’s', async (t) => {
  const { real, dir, counted, reads } = openStore(t);
  const tail = new ContextTailStore(counted);
  await say(tail, 'a');
  await tail.recent(KEY, 50);
  // Written behind the tail's back (another connection): the tail cannot know of it...
  const other = SqliteStore.open(dir);
  await say(other, 'b (elsewhere)');
  other.close();
  // ...until the next message through it, whose seq skips one: the tail is read again, whole.
  await say(tail, 'c');
  const readsBefore = reads();
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['a', 'b (elsewhere)', 'c']);
  assert.equal(reads(), readsBefore + 1);
  assert.deepEqual(await tail.recent(KEY, 50), await real.listMessages(KEY, { limit: 50 }));
});

test('a write noted while a fill is reading keeps that fill out of the tail', async (t) => {
  const { real } = openStore(t);
  await say(real, 'first');
  // A store whose message reads wait until released, as a networked one might.
  let release!: () => void;
  let reading!: () => void;
  const readStarted = new Promise<void>((resolve) => (reading = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let gated = true;
  const slow = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'listMessages') {
        return async (key: string, options: ListMessagesOptions) => {
          const result = await target.listMessages(key, options);
          if (gated) {
            reading();
            await gate;
          }
          return result;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const tail = new ContextTailStore(slow);
  const stale = tail.recent(KEY, 50);
  await readStarted;
  await say(tail, 'second');
  gated = false;
  release();
  // What that read saw predates "second"; it is answered, not kept.
  assert.deepEqual(texts(await stale), ['first']);
  assert.equal(tail.tailStats().sessions, 0);
  assert.deepEqual(texts(await tail.recent(KEY, 50)), ['first', 'second']);
  assert.equal(tail.tailStats().sessions, 1);
});

test('the tails are bounded: by sessions and by bytes, least recently used first', async (t) => {
  const { counted, reads } = openStore(t);
  const tail = new ContextTailStore(counted, { sessions: 3 });
  for (let s = 0; s < 5; s += 1) {
    await say(tail, `hello ${s}`, `agent:main:s${s}`);
    await tail.recent(`agent:main:s${s}`, 50);
    if (s === 2) await tail.recent('agent:main:s0', 50);
  }
  assert.equal(tail.tailStats().sessions, 3);
  // s0 was used after s1 and s2: s1 and s2 went.
  const readsBefore = reads();
  await tail.recent('agent:main:s0', 50);
  await tail.recent('agent:main:s4', 50);
  assert.equal(reads(), readsBefore, 's0 and s4 are held');
  assert.deepEqual(texts(await tail.recent('agent:main:s1', 50)), ['hello 1']);
  assert.equal(reads(), readsBefore + 1, 's1 was read again');

  const small = new ContextTailStore(counted, { bytes: 64 * 1024 });
  const big = 'x'.repeat(10 * 1024);
  for (let i = 0; i < 20; i += 1) {
    await say(small, `${big} ${i}`, `agent:main:big${i % 4}`);
    await small.recent(`agent:main:big${i % 4}`, 50);
    assert.ok(small.tailStats().bytes <= 64 * 1024, JSON.stringify(small.tailStats()));
  }
  // One session's tail alone over the budget is not kept, and still answered in full.
  for (let i = 0; i < 4; i += 1) await say(small, `${big} more ${i}`, 'agent:main:huge');
  assert.equal((await small.recent('agent:main:huge', 50)).length, 4);
  assert.ok(small.tailStats().bytes <= 64 * 1024);
});

/** An in-process model that records each context it is sent and answers "ok". */
function recordingProvider(): { provider: LlmProvider; contexts: string[][] } {
  const contexts: string[][] = [];
  const provider: LlmProvider = {
    id: 'rec',
    api: 'echo',
    async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
      contexts.push(request.messages.map((m) => `${m.role}: ${m.content}`));
      yield { type: 'text', delta: 'ok' };
      yield { type: 'done', stopReason: 'stop' };
    },
  };
  return { provider, contexts };
}

function chatOn(t: TestContext, store: ContextTailStore, agentId = 'main') {
  const { provider, contexts } = recordingProvider();
  const bus = { broadcast: () => 0, send: () => undefined };
  const config = defaultConfig();
  const sessionEvents = new SessionEvents(bus, Date.now, () => KEY);
  const chat = new ChatService({
    store,
    events: bus,
    lanes: new Lanes({ main: 1 }),
    logger: createLogger({ level: 'error', console: () => undefined }),
    now: Date.now,
    config: () => config,
    resolveModel: () => ({ provider, providerId: 'rec', model: 'm' }),
    agentSettings: () => ({ models: ['rec/m'] }),
    sessionEvents,
  });
  t.after(() => chat.close());
  const sessions = new SessionService(store, sessionEvents, chat, Date.now);
  let n = 0;
  const turn = async (message: string, sessionKey = KEY) => {
    n += 1;
    const started = await chat.send({ sessionKey, agentId, message, idempotencyKey: `r-${n}` });
    assert.equal((await started.done).status, 'ok');
    return contexts.at(-1) as string[];
  };
  return { chat, sessions, turn };
}

test('the model’s context after a reset, a delete and an inject is the store’s, read once per transcript', async (t) => {
  const { counted, reads } = openStore(t);
  const store = new ContextTailStore(counted);
  const { sessions, turn } = chatOn(t, store);

  assert.deepEqual(await turn('one'), ['user: one']);
  assert.deepEqual(await turn('two'), ['user: one', 'assistant: ok', 'user: two']);
  await sessions.inject(KEY, 'main', 'a note', undefined);
  assert.deepEqual(await turn('three'), [
    'user: one',
    'assistant: ok',
    'user: two',
    'assistant: ok',
    'assistant: a note',
    'user: three',
  ]);
  assert.equal(reads(), 1, 'one store read for the whole transcript');

  await sessions.reset(KEY, 'main', 'reset');
  assert.deepEqual(await turn('after reset'), ['user: after reset']);
  assert.deepEqual(await turn('again'), ['user: after reset', 'assistant: ok', 'user: again']);

  await sessions.delete(KEY, 'main');
  assert.deepEqual(await turn('after delete'), ['user: after delete']);
  assert.equal(reads(), 3, 'one read per transcript');
});

test('a turn writes no session row before its message when the session exists; a new one gets the turn’s agent', async (t) => {
  const { counted, calls } = openStore(t);
  const store = new ContextTailStore(counted);
  const { turn } = chatOn(t, store, 'helper');
  await turn('first', 'plain-key');
  assert.equal(calls.get('ensureSession'), 1);
  assert.equal((await store.getSession('plain-key'))?.agentId, 'helper');
  await turn('second', 'plain-key');
  await turn('third', 'plain-key');
  assert.equal(calls.get('ensureSession'), 1, 'one write (the user message) before the accept, not two');
});

test('past the cap the model gets the newest messages, as the store has them', async (t) => {
  const { real } = openStore(t);
  const store = new ContextTailStore(real);
  const { turn } = chatOn(t, store);
  const turns = MAX_CONTEXT_MESSAGES + 10;
  let context: string[] = [];
  for (let i = 0; i < turns; i += 1) context = await turn(`q${i}`);
  assert.equal(context.length, MAX_CONTEXT_MESSAGES);
  // When the last turn ran, the newest 50 stored were its question and the 49 before it (its reply came after).
  const stored = await real.listMessages(KEY, { limit: MAX_CONTEXT_MESSAGES + 1 });
  const line = (m: StoredMessage) =>
    `${m.role}: ${typeof m.content === 'string' ? m.content : m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')}`;
  assert.deepEqual(context.slice(0, -1), stored.slice(0, MAX_CONTEXT_MESSAGES - 1).map(line));
  assert.equal(context.at(-1), `user: q${turns - 1}`);
});

test('through the gateway: after /new, sessions.reset or sessions.delete the model gets none of the old transcript', async (t) => {
  const fake = await startFakeProvider({ text: 'fine' });
  t.after(() => fake.close());
  const gw = await startTestGateway({
    config: {
      models: {
        providers: {
          fake: {
            baseUrl: fake.openaiBaseUrl,
            apiKey: 'sk-test',
            api: 'openai-completions',
            models: [{ id: 'm1' }],
          },
        },
      },
      agents: { defaults: { model: 'fake/m1' } },
    },
  });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => client.close());
  assert.equal(hello.ok, true);
  let n = 0;
  const turn = async (message: string) => {
    n += 1;
    const runId = `g-${n}`;
    const res = await client.request('chat.send', { sessionKey: 'main', message, idempotencyKey: runId });
    assert.equal(res.ok, true, JSON.stringify(res.error));
    const end = await client.waitFor(
      (f) =>
        f.event === 'chat' &&
        (f.payload as { runId: string }).runId === runId &&
        ['final', 'error', 'aborted'].includes((f.payload as { state: string }).state),
      10_000,
    );
    assert.equal((end.payload as { state: string }).state, 'final', JSON.stringify(end.payload));
    return fake.requests.at(-1)?.body.messages;
  };
  const ok = async (method: string, params: unknown) => {
    const res = await client.request(method, params);
    assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  };

  await turn('old one');
  assert.deepEqual(await turn('old two'), [
    { role: 'user', content: 'old one' },
    { role: 'assistant', content: 'fine' },
    { role: 'user', content: 'old two' },
  ]);
  assert.deepEqual(await turn('/new fresh start'), [{ role: 'user', content: 'fresh start' }]);
  await ok('chat.inject', { sessionKey: 'main', message: 'operator note' });
  assert.deepEqual(await turn('with the note'), [
    { role: 'user', content: 'fresh start' },
    { role: 'assistant', content: 'fine' },
    { role: 'assistant', content: 'operator note' },
    { role: 'user', content: 'with the note' },
  ]);
  await ok('sessions.reset', { key: 'main' });
  assert.deepEqual(await turn('after reset'), [{ role: 'user', content: 'after reset' }]);
  await ok('sessions.delete', { key: 'main' });
  assert.deepEqual(await turn('after delete'), [{ role: 'user', content: 'after delete' }]);
});
