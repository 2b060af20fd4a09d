import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { SessionEvents } from '../../src/sessions/session-events.ts';
import { databasePath } from '../../src/storage/database.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { echoChatService } from '../helpers/echo-chat.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient, type Frame } from '../helpers/raw-client.ts';

const KEY = 'agent:main:main';
// A deadline, not a sleep: generous because CI shares two cores with the browser and CLI tests.
const WAIT_MS = 30_000;

type ChatPayload = { runId: string; state: string; errorMessage?: string; message?: unknown };

const chatOf = (frame: Frame) => frame.payload as ChatPayload;

function terminal(runId: string) {
  return (frame: Frame) =>
    frame.event === 'chat' &&
    chatOf(frame).runId === runId &&
    ['final', 'error'].includes(chatOf(frame).state);
}

test('a SQLite failure mid-turn ends that turn with a chat error; the gateway keeps serving and the next turn works', async (t) => {
  const gw = await startTestGateway({ keepStateDir: true, config: { models: { echo: { wordDelayMs: 0 } } } });
  t.after(() => rmSync(gw.stateDir, { recursive: true, force: true }));
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true);

  // A second connection to the gateway's own database file: the trigger makes the assistant's insert fail inside
  // SQLite itself, after the user message (and its run) committed, as a full disk or I/O error would.
  const db = new DatabaseSync(databasePath(gw.stateDir));
  t.after(() => db.close());
  db.exec(`CREATE TRIGGER fail_assistant BEFORE INSERT ON messages WHEN NEW.role = 'assistant'
           BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`);

  const started = await client.request('chat.send', {
    sessionKey: KEY,
    message: 'this reply cannot be saved',
    idempotencyKey: 'fail-1',
  });
  assert.deepEqual(started.payload, { runId: 'fail-1', status: 'started' }, JSON.stringify(started.error));
  const ended = chatOf(await client.waitFor(terminal('fail-1'), WAIT_MS));
  assert.equal(ended.state, 'error');
  assert.match(ended.errorMessage ?? '', /the reply could not be saved: .*injected write failure/);

  // Still serving: health answers on the same socket, and a new client can connect.
  assert.equal((await client.request('health')).ok, true);
  const second = await connectClient(gw.url, gw.token);
  t.after(() => second.client.close());
  assert.equal(second.hello.ok, true);

  // The run is not left `running`: a repeat of its key reports the failure instead of waiting for it.
  const repeat = await client.request('chat.send', {
    sessionKey: KEY,
    message: 'again',
    idempotencyKey: 'fail-1',
  });
  assert.equal(repeat.error?.code, 'UNAVAILABLE');
  assert.match(repeat.error?.message ?? '', /could not be saved/);

  db.exec('DROP TRIGGER fail_assistant');
  await client.request('chat.send', { sessionKey: KEY, message: 'now it works', idempotencyKey: 'ok-2' });
  const next = chatOf(await client.waitFor(terminal('ok-2'), WAIT_MS));
  assert.equal(next.state, 'final', JSON.stringify(next));

  await gw.close();
  const store = SqliteStore.open(gw.stateDir);
  try {
    const failed = await store.getRun('fail-1');
    assert.equal(failed?.status, 'error');
    assert.match(failed?.error ?? '', /injected write failure/);
    assert.equal((await store.getRun('ok-2'))?.status, 'ok');
  } finally {
    store.close();
  }
});

test('a store read that fails after the accept never rejects the run: done settles as an error, announced once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-chat-fail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const real = SqliteStore.open(dir);
  t.after(() => real.close());
  let failReads = false;
  // The real store, with its reads failing on demand the way a locked or corrupt database makes them fail.
  const store = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'getSession' && failReads)
        return () => Promise.reject(new Error('injected read failure'));
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const events: { event: string; payload: ChatPayload }[] = [];
  const bus = {
    broadcast: (event: string, payload: unknown) => events.push({ event, payload: payload as ChatPayload }),
    send: () => undefined,
  };
  const logged: string[] = [];
  const logger = createLogger({ level: 'debug', console: (line) => logged.push(line) });
  const config = defaultConfig();
  const chat = echoChatService({
    store,
    events: bus,
    config,
    logger,
    sessionEvents: new SessionEvents(bus, Date.now, () => KEY),
  });
  t.after(() => chat.close());

  const started = await chat.send({ sessionKey: KEY, agentId: 'main', message: 'hi', idempotencyKey: 'r-1' });
  failReads = true;
  const outcome = await started.done;
  assert.equal(outcome.status, 'error');
  const terminalStates = events
    .filter((e) => e.event === 'chat' && e.payload.runId === 'r-1' && e.payload.state !== 'delta')
    .map((e) => e.payload.state)
    .filter((state) => state !== 'status');
  assert.deepEqual(terminalStates, ['error']);
  assert.ok(
    logged.some((line) => /session/.test(line)),
    logged.join('\n'),
  );
});
