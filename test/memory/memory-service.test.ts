import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/agents/memory/memory-backend.ts';
import { memoryModule } from '../../src/agents/memory/module.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { Readiness } from '../../src/health/readiness.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { GatewayContext } from '../../src/server/context.ts';
import { GatewayRegistry } from '../../src/server/registry.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import { connectClient } from '../helpers/raw-client.ts';

const SESSIONS_ON = {
  models: { echo: { wordDelayMs: 0 } },
  memory: { search: { sources: ['memory', 'sessions'], experimental: { sessionMemory: true } } },
};

function sessionsOn(config: GatewayConfig): GatewayConfig {
  config.memory.search.sources = ['memory', 'sessions'];
  config.memory.search.experimental.sessionMemory = true;
  return config;
}

/** A backend on a real store, not started; everything removed when the test ends. */
function openBackend(t: { after(fn: () => unknown): void }, config = sessionsOn(defaultConfig())) {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-memory-'));
  const store = SqliteStore.open(stateDir);
  const backend = new MemoryBackend({
    database: store.database,
    write: (work) => store.write(work),
    onCommit: (listener) => store.onCommit(listener),
    config: () => config,
    stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
  t.after(async () => {
    await backend.stop();
    store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { backend, store, stateDir };
}

const count = (store: SqliteStore, table: string) =>
  Number((store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    assert.ok(performance.now() < deadline, `${what}: did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("migration 6 creates the memory index's tables, its FTS5 tables and its triggers", (t) => {
  const { store } = openBackend(t);
  const names = (type: string) =>
    store.database
      .prepare("SELECT name FROM sqlite_schema WHERE type = ? AND name LIKE 'memory%' ORDER BY name")
      .all(type)
      .map((row) => row.name);
  for (const table of [
    'memory_files',
    'memory_chunks',
    'memory_chunks_fts',
    'memory_chunks_vocab',
    'memory_queue',
    'memory_messages',
    'memory_messages_fts',
    'memory_messages_vocab',
  ])
    assert.ok(names('table').includes(table), table);
  assert.deepEqual(names('trigger'), [
    'memory_chunks_dropped',
    'memory_chunks_indexed',
    'memory_enqueue',
    'memory_forget',
    'memory_reindex',
  ]);
});

test('a message is queued in its own commit and indexed shortly after, off the commit path', async (t) => {
  const { backend, store } = openBackend(t);
  await backend.start();
  const message = await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'the quokka census',
    timestamp: Date.now(),
  });
  // Resolved means committed: the queue entry is on disk with the message, the index not yet written.
  assert.deepEqual(
    store.database
      .prepare('SELECT message_id AS id FROM memory_queue')
      .all()
      .map((row) => row.id),
    [message.id],
  );
  await until(() => count(store, 'memory_queue') === 0, 'the background indexing pass');
  assert.equal(count(store, 'memory_messages'), 1);
  const found = await backend.search('main', 'quokka', { maxResults: 5, sources: ['sessions'] });
  assert.equal(found.results[0]?.messageId, message.id);
});

test('cron runs and heartbeat turns stay out of the transcript index; an edited message is indexed anew', async (t) => {
  const { backend, store } = openBackend(t);
  await backend.start();
  const now = Date.now();
  await store.appendMessage({
    sessionKey: 'agent:main:cron:job-1',
    role: 'user',
    content: 'pelican',
    timestamp: now,
  });
  await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'pelican beat',
    timestamp: now,
    runId: 'heartbeat:main:0b7c',
  });
  await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'system',
    content: 'pelican',
    timestamp: now,
  });
  const kept = await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'assistant',
    content: [{ type: 'text', text: 'pelican facts' }, { type: 'tool_use', text: 'ignored' } as never],
    timestamp: now,
  });
  await backend.flush();
  const found = await backend.search('main', 'pelican', { maxResults: 10, sources: ['sessions'] });
  assert.deepEqual(
    found.results.map((hit) => [hit.messageId, hit.snippet]),
    [[kept.id, 'Assistant: pelican facts']],
  );

  await store.write(() =>
    store.database
      .prepare('UPDATE messages SET content = ? WHERE id = ?')
      .run(JSON.stringify([{ type: 'text', text: 'flamingo facts' }]), kept.id),
  );
  await backend.flush();
  assert.deepEqual(
    (await backend.search('main', 'pelican', { maxResults: 10, sources: ['sessions'] })).results,
    [],
  );
  const edited = await backend.search('main', 'flamingo', { maxResults: 10, sources: ['sessions'] });
  assert.equal(edited.results[0]?.messageId, kept.id);
});

test('transcript indexing off empties the index and stops queueing; back on, it backfills what was stored', async (t) => {
  const config = sessionsOn(defaultConfig());
  const first = openBackend(t, config);
  await first.backend.start();
  await first.store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'ibis',
    timestamp: 1,
  });
  await first.backend.flush();
  assert.equal(count(first.store, 'memory_messages'), 1);
  await first.backend.stop();

  config.memory.search.rememberAcrossConversations = false;
  config.memory.search.experimental.sessionMemory = false;
  const off = new MemoryBackend({
    database: first.store.database,
    write: (work) => first.store.write(work),
    onCommit: (listener) => first.store.onCommit(listener),
    config: () => config,
    stateDir: first.stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
  await off.start();
  assert.equal(count(first.store, 'memory_messages'), 0);
  await first.store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'ibis two',
    timestamp: 2,
  });
  assert.equal(count(first.store, 'memory_queue'), 0, 'nothing queued while off');
  await off.stop();

  config.memory.search.experimental.sessionMemory = true;
  const on = new MemoryBackend({
    database: first.store.database,
    write: (work) => first.store.write(work),
    onCommit: (listener) => first.store.onCommit(listener),
    config: () => config,
    stateDir: first.stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
  await on.start();
  try {
    await until(() => count(first.store, 'memory_messages') === 2, 'the backfill');
    const found = await on.search('main', 'ibis', { maxResults: 5, sources: ['sessions'] });
    assert.equal(found.results.length, 2);
  } finally {
    await on.stop();
  }
});

test('an index whose rowids no longer name their messages (a VACUUM renumbered them) is rebuilt at start-up', async (t) => {
  const { backend, store, stateDir } = openBackend(t);
  await backend.start();
  await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'first kite',
    timestamp: 1,
  });
  await store.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'user',
    content: 'second kite',
    timestamp: 2,
  });
  await backend.flush();
  await backend.stop();
  // What a renumbering looks like from the index: its rowids point at other messages.
  await store.write(() =>
    store.database.exec(
      'UPDATE memory_messages SET doc_id = doc_id + 1000; DELETE FROM memory_messages_fts; ' +
        "INSERT INTO memory_messages_fts (rowid, text) SELECT doc_id, 'stale' FROM memory_messages",
    ),
  );
  const again = new MemoryBackend({
    database: store.database,
    write: (work) => store.write(work),
    onCommit: (listener) => store.onCommit(listener),
    config: () => sessionsOn(defaultConfig()),
    stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
  await again.start();
  try {
    await again.flush();
    const found = await again.search('main', 'kite', { maxResults: 5, sources: ['sessions'] });
    assert.deepEqual(found.results.map((hit) => hit.snippet).sort(), [
      'User: first kite',
      'User: second kite',
    ]);
    assert.deepEqual(
      (await again.search('main', 'stale', { maxResults: 5, sources: ['sessions'] })).results,
      [],
    );
  } finally {
    await again.stop();
  }
});

test('stop leaves nothing running: no timer, socket or watcher survives a gateway that indexed and searched', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  mkdirSync(join(stateDir, 'workspace', 'memory', 'nested'), { recursive: true });
  writeFileSync(join(stateDir, 'workspace', 'MEMORY.md'), 'handles are watched\n');
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({ config: SESSIONS_ON, stateDir });
    try {
      const { client } = await connectClient(gw.url, gw.token);
      const sent = await client.request('chat.send', {
        sessionKey: 'main',
        message: 'handles please',
        idempotencyKey: 'h1',
      });
      assert.equal(sent.ok, true);
      await client.waitFor((f) => f.event === 'chat' && (f.payload as { state?: string }).state === 'final');
      // A commit just scheduled an indexing pass, and a file write a re-index; the search runs beside them.
      writeFileSync(join(stateDir, 'workspace', 'memory', 'nested', 'x.md'), 'handles again\n');
      const found = await client.request('memory.search', { query: 'handles' });
      const sources = (found.payload as { results: { source: string }[] }).results.map((hit) => hit.source);
      assert.deepEqual(sources.sort(), ['memory', 'memory', 'sessions', 'sessions'], JSON.stringify(found));
      client.close();
    } finally {
      await gw.close();
    }
  });
  assert.deepEqual(left, []);
});

test('a memory file written is re-indexed by itself once the writes settle (watched), no search needed', async (t) => {
  const { backend, store, stateDir } = openBackend(t);
  mkdirSync(join(stateDir, 'workspace', 'memory'), { recursive: true });
  await backend.start();
  assert.equal(count(store, 'memory_files'), 0);
  writeFileSync(join(stateDir, 'workspace', 'memory', 'note.md'), 'the watched note\n');
  writeFileSync(join(stateDir, 'workspace', 'MEMORY.md'), 'the root note\n');
  await until(() => count(store, 'memory_files') === 2, 'the debounced re-index');
  rmSync(join(stateDir, 'workspace', 'memory'), { recursive: true });
  await until(() => count(store, 'memory_files') === 1, 'the removal');
  // memory/ made again: watched again after the next scan.
  mkdirSync(join(stateDir, 'workspace', 'memory'));
  writeFileSync(join(stateDir, 'workspace', 'memory', 'again.md'), 'back again\n');
  await until(() => count(store, 'memory_files') === 2, 'the new directory');
  const found = await backend.search('main', 'again', { maxResults: 5, sources: ['memory'] });
  assert.equal(found.results[0]?.path, 'memory/again.md');
});

test('the backend alone: stop while an indexing pass is scheduled clears it', async (t) => {
  const { backend, store } = openBackend(t);
  const left = await handlesLeftBy(async () => {
    await backend.start();
    await store.appendMessage({ sessionKey: 'agent:main:main', role: 'user', content: 'x', timestamp: 1 });
    await backend.stop();
    await backend.stop();
  });
  assert.deepEqual(left, []);
  assert.equal(backend.running, false);
  await assert.rejects(backend.search('main', 'x', { maxResults: 1, sources: ['memory'] }), /not open/);
});

test('/readyz waits for the memory service: listed as failing until its start resolves', async () => {
  const registry = new GatewayRegistry();
  registry.register(memoryModule);
  let open: () => void = () => undefined;
  const readiness = new Readiness();
  readiness.markStarted();
  const ctx = {
    readiness,
    logger: createLogger({ level: 'error', console: null }),
    config: {},
    memory: { start: () => new Promise<void>((resolve) => (open = resolve)), stop: async () => undefined },
  } as unknown as GatewayContext;
  const starting = registry.startServices(ctx, 'post-attach');
  assert.deepEqual(readiness.failing(), ['memory']);
  assert.equal(readiness.ready, false);
  open();
  await starting;
  assert.deepEqual(readiness.failing(), []);
  assert.equal(readiness.ready, true);
  assert.deepEqual(registry.services(), [{ name: 'memory', state: 'running' }]);
});

test('a gateway is ready only with its memory index open', async (t) => {
  const gw = await startTestGateway({});
  t.after(() => gw.close());
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const status = (await client.request('doctor.memory.status', {})).payload as { index?: unknown };
  assert.ok(status.index, 'the index was open before the gateway reported ready');
});
