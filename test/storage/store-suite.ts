import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GatewayStore, NewMessage, StoredMessage } from '../../src/storage/store.ts';

/**
 * The GatewayStore contract, run against every implementation (hono's shared router suite): SQLite today, a
 * networked store later. Each test gets a fresh, empty store.
 */
export type StoreFactory = () => Promise<{ store: GatewayStore; cleanup: () => void | Promise<void> }>;

type TestContext = { after(fn: () => unknown): void };

const KEY = 'agent:main:main';
const T0 = 1_700_000_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function userMessage(text: string, timestamp: number, sessionKey = KEY): NewMessage {
  return { sessionKey, role: 'user', content: text, timestamp };
}

function assistantMessage(text: string, timestamp: number, sessionKey = KEY): NewMessage {
  return {
    sessionKey,
    role: 'assistant',
    content: [{ type: 'text', text }],
    timestamp,
    runId: 'run-1',
    provider: 'openai',
    model: 'gpt-test',
    usage: { input: 10, output: 5, total: 15 },
    stopReason: 'stop',
  };
}

export function runStoreSuite(name: string, makeStore: StoreFactory): void {
  async function open(t: TestContext): Promise<GatewayStore> {
    const { store, cleanup } = await makeStore();
    t.after(cleanup);
    return store;
  }

  async function appendAll(store: GatewayStore, messages: NewMessage[]): Promise<StoredMessage[]> {
    const stored: StoredMessage[] = [];
    for (const message of messages) stored.push(await store.appendMessage(message));
    return stored;
  }

  describe(`GatewayStore conformance: ${name}`, () => {
    test('ensureSession creates a session once, then returns it unchanged', async (t) => {
      const store = await open(t);
      assert.equal(await store.getSession(KEY), undefined);
      const created = await store.ensureSession(KEY, 'main', T0);
      assert.match(created.sessionId, UUID);
      assert.deepEqual(created, {
        key: KEY,
        agentId: 'main',
        sessionId: created.sessionId,
        createdAt: T0,
        updatedAt: T0,
        archived: false,
        messageCount: 0,
        usage: { input: 0, output: 0, total: 0 },
      });
      const again = await store.ensureSession(KEY, 'other', T0 + 50);
      assert.deepEqual(again, created);
      assert.deepEqual(await store.getSession(KEY), created);
      const second = await store.ensureSession('agent:ops:x', 'ops', T0);
      assert.notEqual(second.sessionId, created.sessionId);
    });

    test('appendMessage numbers messages 1, 2, 3 per key and returns what it stored', async (t) => {
      const store = await open(t);
      const first = await store.appendMessage(userMessage('hi', T0));
      assert.match(first.id, UUID);
      const session = await store.getSession(KEY);
      assert.ok(session, 'appendMessage creates the session');
      assert.deepEqual(first, {
        id: first.id,
        sessionKey: KEY,
        sessionId: session.sessionId,
        seq: 1,
        role: 'user',
        content: 'hi',
        timestamp: T0,
      });
      const second = await store.appendMessage({ ...assistantMessage('hello', T0 + 1), id: 'msg-given' });
      assert.deepEqual(second, {
        ...assistantMessage('hello', T0 + 1),
        id: 'msg-given',
        sessionId: session.sessionId,
        seq: 2,
      });
      const other = await store.appendMessage(userMessage('elsewhere', T0 + 2, 'agent:main:other'));
      assert.equal(other.seq, 1, 'seq is per session key');
      assert.equal((await store.appendMessage(userMessage('third', T0 + 3))).seq, 3);
    });

    test('appendMessage stores every field and reads back exactly the same message', async (t) => {
      const store = await open(t);
      const text = 'multi\nline "quoted" \\ backslash, emoji 🦞, NUL-free unicode ü — '.repeat(200);
      const written = await appendAll(store, [
        userMessage(text, T0),
        assistantMessage(text, T0 + 1),
        {
          sessionKey: KEY,
          role: 'assistant',
          content: [
            { type: 'text', text: 'partial' },
            { type: 'text', text: ' answer' },
          ],
          timestamp: T0 + 2,
          runId: 'run-2',
          stopReason: 'error',
          errorMessage: 'upstream 500',
        },
        { sessionKey: KEY, role: 'system', content: 'system note', timestamp: T0 + 3 },
      ]);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10 }), written);
    });

    test('appendMessage creates a missing session under the agent named in the key, else main', async (t) => {
      const store = await open(t);
      await store.appendMessage(userMessage('a', T0, 'agent:ops:direct:alice'));
      await store.appendMessage(userMessage('b', T0, 'global'));
      assert.equal((await store.getSession('agent:ops:direct:alice'))?.agentId, 'ops');
      assert.equal((await store.getSession('global'))?.agentId, 'main');
    });

    test('appendMessage keeps the session counters: count, last message time, usage', async (t) => {
      const store = await open(t);
      const created = await store.ensureSession(KEY, 'main', T0);
      await appendAll(store, [
        userMessage('q1', T0 + 10),
        assistantMessage('a1', T0 + 20),
        userMessage('q2', T0 + 30),
        assistantMessage('a2', T0 + 40),
      ]);
      assert.deepEqual(await store.getSession(KEY), {
        ...created,
        updatedAt: T0 + 40,
        messageCount: 4,
        lastMessageAt: T0 + 40,
        usage: { input: 20, output: 10, total: 30 },
      });
    });

    test('a failed appendMessage changes nothing: no seq consumed, counters untouched', async (t) => {
      const store = await open(t);
      await store.appendMessage({ ...userMessage('one', T0), id: 'dup' });
      const before = await store.getSession(KEY);
      await assert.rejects(store.appendMessage({ ...assistantMessage('two', T0 + 1), id: 'dup' }));
      assert.deepEqual(await store.getSession(KEY), before);
      assert.equal((await store.appendMessage(userMessage('three', T0 + 2))).seq, 2);
      assert.deepEqual(
        (await store.listMessages(KEY, { limit: 10 })).map((m) => m.content),
        ['one', 'three'],
      );
    });

    test('listMessages returns the newest `limit` in the range, ascending; bounds are exclusive', async (t) => {
      const store = await open(t);
      await appendAll(
        store,
        Array.from({ length: 10 }, (_, i) => userMessage(`m${i + 1}`, T0 + i)),
      );
      const seqs = async (options: Parameters<GatewayStore['listMessages']>[1]) =>
        (await store.listMessages(KEY, options)).map((m) => m.seq);
      assert.deepEqual(await seqs({ limit: 100 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await seqs({ limit: 3 }), [8, 9, 10]);
      assert.deepEqual(await seqs({ limit: 3, beforeSeq: 8 }), [5, 6, 7]);
      assert.deepEqual(await seqs({ limit: 3, beforeSeq: 3 }), [1, 2]);
      assert.deepEqual(await seqs({ limit: 100, afterSeq: 7 }), [8, 9, 10]);
      assert.deepEqual(await seqs({ limit: 2, afterSeq: 5 }), [9, 10]);
      assert.deepEqual(await seqs({ limit: 100, afterSeq: 3, beforeSeq: 6 }), [4, 5]);
      assert.deepEqual(await seqs({ limit: 100, afterSeq: 10 }), []);
      assert.deepEqual(await seqs({ limit: 0 }), []);
      assert.deepEqual(await store.listMessages('agent:main:nobody', { limit: 10 }), []);
    });

    test('resetSession starts an empty transcript under a new sessionId and keeps the old one', async (t) => {
      const store = await open(t);
      const old = await appendAll(store, [userMessage('q', T0), assistantMessage('a', T0 + 1)]);
      await store.patchSession(KEY, { label: 'kept' }, T0 + 2);
      const before = await store.getSession(KEY);
      assert.ok(before);
      const reset = await store.resetSession(KEY, T0 + 100);
      assert.ok(reset);
      assert.match(reset.sessionId, UUID);
      assert.notEqual(reset.sessionId, before.sessionId);
      assert.deepEqual(reset, {
        key: KEY,
        agentId: 'main',
        sessionId: reset.sessionId,
        createdAt: before.createdAt,
        updatedAt: T0 + 100,
        label: 'kept',
        archived: false,
        messageCount: 0,
        usage: { input: 0, output: 0, total: 0 },
      });
      assert.deepEqual(await store.getSession(KEY), reset);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10 }), []);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10, sessionId: before.sessionId }), old);

      const next = await store.appendMessage(userMessage('fresh', T0 + 101));
      assert.equal(next.seq, 3, 'seq continues across resets');
      assert.equal(next.sessionId, reset.sessionId);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10 }), [next]);
      assert.equal((await store.getSession(KEY))?.messageCount, 1);
      assert.equal(await store.resetSession('agent:main:nobody', T0), undefined);
    });

    test('patchSession sets fields, clears one given as undefined, and leaves absent ones', async (t) => {
      const store = await open(t);
      const created = await store.ensureSession(KEY, 'main', T0);
      const patched = await store.patchSession(
        KEY,
        { label: 'Work', model: 'openai/gpt-test', thinkingLevel: 'high', archived: true },
        T0 + 5,
      );
      assert.deepEqual(patched, {
        ...created,
        updatedAt: T0 + 5,
        label: 'Work',
        model: 'openai/gpt-test',
        thinkingLevel: 'high',
        archived: true,
        archivedAt: T0 + 5,
      });
      const second = await store.patchSession(KEY, { model: undefined, archived: false }, T0 + 6);
      assert.deepEqual(second, { ...created, updatedAt: T0 + 6, label: 'Work', thinkingLevel: 'high' });
      assert.deepEqual(await store.getSession(KEY), second);
      assert.equal(await store.patchSession('agent:main:nobody', { label: 'x' }, T0), undefined);
      assert.equal(await store.getSession('agent:main:nobody'), undefined);
    });

    test('listSessions: newest first, filtered by agent, archive flag, search, limit', async (t) => {
      const store = await open(t);
      await store.ensureSession('agent:main:a', 'main', T0 + 1);
      await store.ensureSession('agent:main:b', 'main', T0 + 3);
      await store.ensureSession('agent:ops:c', 'ops', T0 + 2);
      await store.ensureSession('agent:main:100%_d', 'main', T0 + 4);
      await store.patchSession('agent:main:a', { label: 'Quarterly REPORT' }, T0 + 5);
      await store.patchSession('agent:main:b', { archived: true }, T0 + 6);
      const keys = async (options: Parameters<GatewayStore['listSessions']>[0]) =>
        (await store.listSessions(options)).map((s) => s.key);

      assert.deepEqual(await keys({}), ['agent:main:a', 'agent:main:100%_d', 'agent:ops:c']);
      assert.deepEqual(await keys({ includeArchived: true }), [
        'agent:main:b',
        'agent:main:a',
        'agent:main:100%_d',
        'agent:ops:c',
      ]);
      assert.deepEqual(await keys({ agentId: 'ops' }), ['agent:ops:c']);
      assert.deepEqual(await keys({ agentId: 'main', includeArchived: true, limit: 2 }), [
        'agent:main:b',
        'agent:main:a',
      ]);
      assert.deepEqual(await keys({ search: 'report' }), ['agent:main:a'], 'label, case-insensitive');
      assert.deepEqual(await keys({ search: 'OPS:' }), ['agent:ops:c'], 'key, case-insensitive');
      assert.deepEqual(await keys({ search: '%_' }), ['agent:main:100%_d'], 'wildcards are literal');
      assert.deepEqual(await keys({ search: 'nothing like it' }), []);
      const [first] = await store.listSessions({ limit: 1 });
      assert.deepEqual(first, await store.getSession('agent:main:a'));
    });

    test('deleteSession removes the session, every transcript generation and its runs', async (t) => {
      const store = await open(t);
      await appendAll(store, [userMessage('old', T0)]);
      const oldSessionId = (await store.getSession(KEY))!.sessionId;
      await store.resetSession(KEY, T0 + 1);
      await appendAll(store, [userMessage('new', T0 + 2)]);
      const current = (await store.getSession(KEY))!;
      await store.startRun({
        runId: 'r1',
        sessionKey: KEY,
        sessionId: current.sessionId,
        agentId: 'main',
        startedAt: T0,
      });
      const bystander = await store.appendMessage(userMessage('stay', T0, 'agent:main:other'));

      assert.equal(await store.deleteSession(KEY), true);
      assert.equal(await store.getSession(KEY), undefined);
      assert.equal(await store.getRun('r1'), undefined);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10, sessionId: oldSessionId }), []);
      assert.deepEqual(await store.listMessages(KEY, { limit: 10, sessionId: current.sessionId }), []);
      assert.equal(await store.deleteSession(KEY), false);

      const again = await store.appendMessage(userMessage('reborn', T0 + 3));
      assert.equal(again.seq, 1, 'a deleted key starts over');
      assert.notEqual(again.sessionId, current.sessionId);
      assert.deepEqual(await store.listMessages('agent:main:other', { limit: 10 }), [bystander]);
    });

    test('failInterruptedRuns marks only runs still running as failed', async (t) => {
      const store = await open(t);
      const session = await store.ensureSession(KEY, 'main', T0);
      const base = { sessionKey: KEY, sessionId: session.sessionId, agentId: 'main' };
      await store.startRun({ ...base, runId: 'r-live', startedAt: T0 });
      await store.startRun({ ...base, runId: 'r-done', startedAt: T0 });
      await store.finishRun('r-done', 'ok', T0 + 1);
      assert.equal(await store.failInterruptedRuns(T0 + 9, 'restarted'), 1);
      assert.deepEqual(await store.getRun('r-live'), {
        ...base,
        runId: 'r-live',
        status: 'error',
        startedAt: T0,
        endedAt: T0 + 9,
        error: 'restarted',
      });
      assert.equal((await store.getRun('r-done'))?.status, 'ok');
      assert.equal(await store.failInterruptedRuns(T0 + 10, 'again'), 0);
    });

    test('a run starts and finishes in the same commit as its user and assistant messages', async (t) => {
      const store = await open(t);
      const user = await store.appendMessage(
        { sessionKey: KEY, role: 'user', content: 'q', timestamp: T0, runId: 'r-tx' },
        { start: { agentId: 'main', startedAt: T0 } },
      );
      assert.deepEqual(await store.getRun('r-tx'), {
        runId: 'r-tx',
        sessionKey: KEY,
        sessionId: user.sessionId,
        agentId: 'main',
        status: 'running',
        startedAt: T0,
      });
      await store.appendMessage(
        {
          sessionKey: KEY,
          role: 'assistant',
          content: [{ type: 'text', text: 'a' }],
          timestamp: T0 + 5,
          runId: 'r-tx',
        },
        { finish: { status: 'aborted', endedAt: T0 + 5, error: 'stopped' } },
      );
      const run = await store.getRun('r-tx');
      assert.equal(run?.status, 'aborted');
      assert.equal(run?.endedAt, T0 + 5);
      assert.equal(run?.error, 'stopped');
      // A duplicate run start fails the whole commit: the message is not stored either.
      await assert.rejects(
        store.appendMessage(
          { sessionKey: KEY, role: 'user', content: 'again', timestamp: T0 + 6, runId: 'r-tx' },
          { start: { agentId: 'main', startedAt: T0 + 6 } },
        ),
      );
      assert.equal((await store.listMessages(KEY, { limit: 10 })).length, 2);
      await assert.rejects(
        store.appendMessage(
          { sessionKey: KEY, role: 'user', content: 'x', timestamp: T0 },
          { start: { agentId: 'main', startedAt: T0 } },
        ),
        /needs message.runId/,
      );
    });

    test('runs: started running, finished with a status, end time and error', async (t) => {
      const store = await open(t);
      const session = await store.ensureSession(KEY, 'main', T0);
      const base = { sessionKey: KEY, sessionId: session.sessionId, agentId: 'main' };
      await store.startRun({ ...base, runId: 'r-ok', startedAt: T0 });
      await store.startRun({ ...base, runId: 'r-err', startedAt: T0 + 1 });
      assert.deepEqual(await store.getRun('r-ok'), {
        ...base,
        runId: 'r-ok',
        status: 'running',
        startedAt: T0,
      });
      await store.finishRun('r-ok', 'ok', T0 + 10);
      await store.finishRun('r-err', 'error', T0 + 11, 'model refused');
      assert.deepEqual(await store.getRun('r-ok'), {
        ...base,
        runId: 'r-ok',
        status: 'ok',
        startedAt: T0,
        endedAt: T0 + 10,
      });
      assert.deepEqual(await store.getRun('r-err'), {
        ...base,
        runId: 'r-err',
        status: 'error',
        startedAt: T0 + 1,
        endedAt: T0 + 11,
        error: 'model refused',
      });
      assert.equal(await store.getRun('r-unknown'), undefined);
      await assert.rejects(
        store.startRun({ ...base, runId: 'r-ok', startedAt: T0 + 20 }),
        'runIds are unique',
      );
    });

    test('startRun works for a session key that has no stored session yet', async (t) => {
      const store = await open(t);
      const run = {
        runId: 'r1',
        sessionKey: 'agent:main:new',
        sessionId: 'sid-1',
        agentId: 'main',
        startedAt: T0,
      };
      await store.startRun(run);
      assert.deepEqual(await store.getRun('r1'), { ...run, status: 'running' });
    });

    test('idempotency records round-trip, update in place, and expire at expiresAt', async (t) => {
      const store = await open(t);
      assert.equal(await store.getIdempotency('k1', T0), undefined);
      await store.putIdempotency({ key: 'k1', method: 'chat.send', status: 'running', expiresAt: T0 + 1000 });
      assert.deepEqual(await store.getIdempotency('k1', T0), {
        key: 'k1',
        method: 'chat.send',
        status: 'running',
        expiresAt: T0 + 1000,
      });
      const done = {
        key: 'k1',
        method: 'chat.send',
        status: 'done' as const,
        result: { runId: 'k1', status: 'ok', nested: [1, 'two', null] },
        expiresAt: T0 + 2000,
      };
      await store.putIdempotency(done);
      assert.deepEqual(await store.getIdempotency('k1', T0 + 1999), done);
      await store.putIdempotency({
        key: 'k-null',
        method: 'm',
        status: 'done',
        result: null,
        expiresAt: T0 + 10,
      });
      assert.deepEqual((await store.getIdempotency('k-null', T0))?.result, null);

      assert.equal(await store.getIdempotency('k1', T0 + 2000), undefined, 'expired at expiresAt');
      assert.equal(
        await store.getIdempotency('k1', T0),
        undefined,
        'an expired record is deleted, not hidden',
      );
    });

    test('prune deletes idempotency records from their expiry on, never one still running', async (t) => {
      const store = await open(t);
      const record = (key: string, status: 'running' | 'done', expiresAt: number) =>
        store.putIdempotency({ key, method: 'chat.send', status, result: { key }, expiresAt });
      await record('soon', 'done', T0 + 10);
      await record('later', 'done', T0 + 20);
      await record('in-flight', 'running', T0 + 10);
      const policy = { runs: false, resetArchives: false } as const;

      assert.equal((await store.prune(policy, T0 + 9)).idempotency, 0, 'not expired yet');
      assert.equal((await store.prune(policy, T0 + 10)).idempotency, 1, 'expired at expiresAt');
      assert.equal((await store.prune(policy, T0 + 10)).idempotency, 0, 'gone');
      assert.equal(await store.getIdempotency('soon', T0), undefined);
      assert.equal((await store.getIdempotency('later', T0))?.status, 'done');
      assert.equal((await store.prune(policy, T0 + 1e9)).idempotency, 1);
      assert.equal((await store.getIdempotency('in-flight', T0))?.status, 'running', 'running: never pruned');
    });

    test('prune deletes finished runs past the run retention; running runs and runs: false are kept', async (t) => {
      const store = await open(t);
      const session = await store.ensureSession(KEY, 'main', T0);
      const start = (runId: string) =>
        store.startRun({
          runId,
          sessionKey: KEY,
          sessionId: session.sessionId,
          agentId: 'main',
          startedAt: T0,
        });
      await start('old');
      await store.finishRun('old', 'ok', T0 + 100);
      await start('newer');
      await store.finishRun('newer', 'error', T0 + 200, 'boom');
      await start('running');
      const policy = { runs: 1_000, resetArchives: false } as const;

      assert.equal((await store.prune(policy, T0 + 1_100)).runs, 0, 'exactly at retention: kept');
      assert.equal((await store.prune(policy, T0 + 1_101)).runs, 1, 'past it: pruned');
      assert.equal(await store.getRun('old'), undefined);
      assert.equal((await store.getRun('newer'))?.status, 'error');
      assert.equal(
        (await store.prune({ ...policy, runs: false }, T0 + 1e12)).runs,
        0,
        'runs: false keeps all',
      );
      assert.equal((await store.prune(policy, T0 + 1e12)).runs, 1);
      assert.equal(await store.getRun('newer'), undefined);
      assert.equal((await store.getRun('running'))?.status, 'running', 'running: never pruned');
      assert.equal((await store.getSession(KEY))?.sessionId, session.sessionId, 'the session stays');
    });

    test('prune deletes replaced transcript generations by the time of their reset, never the current one', async (t) => {
      const store = await open(t);
      await appendAll(store, [userMessage('a1', T0), userMessage('a2', T0 + 1)]);
      const first = (await store.getSession(KEY))!.sessionId;
      await store.resetSession(KEY, T0 + 1_000);
      await appendAll(store, [userMessage('b1', T0 + 1_001)]);
      const second = (await store.getSession(KEY))!.sessionId;
      await store.resetSession(KEY, T0 + 5_000);
      // An empty generation replaced by a reset leaves nothing to prune.
      await store.resetSession(KEY, T0 + 5_001);
      const [current] = await appendAll(store, [userMessage('c1', T0 + 5_002)]);
      const bystander = await store.appendMessage(userMessage('other', T0, 'agent:main:other'));
      const texts = async (sessionId: string) =>
        (await store.listMessages(KEY, { limit: 10, sessionId })).map((m) => m.content);
      const policy = { runs: false, resetArchives: 10_000 } as const;

      assert.equal((await store.prune(policy, T0 + 11_000)).resetArchives, 0, 'reset exactly 10 s ago: kept');
      assert.deepEqual(await texts(first), ['a1', 'a2']);
      assert.equal((await store.prune(policy, T0 + 11_001)).resetArchives, 2, 'counted from the reset');
      assert.deepEqual(await texts(first), []);
      assert.deepEqual(await texts(second), ['b1'], 'reset later: kept');
      assert.equal((await store.prune({ ...policy, resetArchives: false }, T0 + 1e12)).resetArchives, 0);
      assert.deepEqual(await texts(second), ['b1'], 'resetArchives: false keeps them');

      assert.equal((await store.prune(policy, T0 + 1e12)).resetArchives, 1);
      assert.deepEqual(await texts(second), []);
      assert.deepEqual(
        await store.listMessages(KEY, { limit: 10 }),
        [current],
        'the current transcript stays',
      );
      assert.deepEqual(await store.listMessages('agent:main:other', { limit: 10 }), [bystander]);
      const session = (await store.getSession(KEY))!;
      assert.equal(session.messageCount, 1);
      assert.equal((await store.appendMessage(userMessage('c2', T0 + 1e12))).seq, 5, 'seqs go on');
      assert.equal((await store.prune(policy, T0 + 2e12)).resetArchives, 0, 'nothing left to prune');
    });

    test('a dry run counts what prune would delete and deletes nothing', async (t) => {
      const store = await open(t);
      await store.putIdempotency({ key: 'k', method: 'm', status: 'done', expiresAt: T0 });
      const session = await store.ensureSession(KEY, 'main', T0);
      await store.startRun({
        runId: 'r',
        sessionKey: KEY,
        sessionId: session.sessionId,
        agentId: 'main',
        startedAt: T0,
      });
      await store.finishRun('r', 'ok', T0);
      await appendAll(store, [userMessage('old', T0), userMessage('older', T0)]);
      await store.resetSession(KEY, T0);
      const policy = { runs: 1, resetArchives: 1 };

      const dry = await store.prune(policy, T0 + 10, { dryRun: true });
      assert.deepEqual(dry, { idempotency: 1, runs: 1, resetArchives: 2, cronRuns: 0, tasks: 0, batches: 0 });
      assert.deepEqual(await store.prune(policy, T0 + 10, { dryRun: true }), dry, 'nothing was deleted');
      assert.equal((await store.getRun('r'))?.status, 'ok');
      const done = await store.prune(policy, T0 + 10);
      assert.deepEqual({ ...done, batches: 0 }, dry, 'what the dry run counted is what goes');
      assert.deepEqual(await store.prune(policy, T0 + 10, { dryRun: true }), {
        idempotency: 0,
        runs: 0,
        resetArchives: 0,
        cronRuns: 0,
        tasks: 0,
        batches: 0,
      });
    });

    test('an aborted prune deletes nothing more', async (t) => {
      const store = await open(t);
      await store.putIdempotency({ key: 'k', method: 'm', status: 'done', expiresAt: T0 });
      const report = await store.prune({ runs: 1, resetArchives: 1 }, T0 + 10, {
        signal: AbortSignal.abort(),
      });
      assert.deepEqual(report, {
        idempotency: 0,
        runs: 0,
        resetArchives: 0,
        cronRuns: 0,
        tasks: 0,
        batches: 0,
      });
      assert.equal((await store.prune({ runs: 1, resetArchives: 1 }, T0 + 10)).idempotency, 1);
    });

    test('checkpoint keeps every committed write and the store keeps working', async (t) => {
      const store = await open(t);
      const writes = [store.appendMessage(userMessage('before', T0))];
      const checkpoint = store.checkpoint();
      writes.push(store.appendMessage(userMessage('alongside', T0 + 1)));
      await Promise.all([checkpoint, ...writes]);
      await store.appendMessage(userMessage('after', T0 + 2));
      assert.deepEqual(
        (await store.listMessages(KEY, { limit: 10 })).map((m) => m.content),
        ['before', 'alongside', 'after'],
      );
    });

    test('close can be called twice', async (t) => {
      const store = await open(t);
      await store.ensureSession(KEY, 'main', T0);
      store.close();
      store.close();
    });
  });
}
