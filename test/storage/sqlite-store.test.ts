import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { countWalCommits } from '../../bench/store-cost.ts';
import {
  APPLICATION_ID,
  BUSY_TIMEOUT_MS,
  DATABASE_FILE_NAME,
  openDatabase,
  StorageError,
} from '../../src/storage/database.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/storage/migrations.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { runStoreSuite } from './store-suite.ts';

type TestContext = { after(fn: () => unknown): void };

function tempStateDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function pragma(db: DatabaseSync, name: string): unknown {
  return Object.values(db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
}

/** Every file in the directory with a hash of its bytes: a failed open must leave this exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  }
  return files;
}

function openFails(dir: string): StorageError {
  try {
    SqliteStore.open(dir).close();
  } catch (error) {
    assert.ok(error instanceof StorageError, `expected a StorageError, got ${error}`);
    return error;
  }
  assert.fail('open succeeded');
}

runStoreSuite('SqliteStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-sqlite-'));
  const store = SqliteStore.open(dir);
  return {
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('open sets WAL, synchronous=FULL, the busy timeout and foreign keys, and migrates to the latest', (t) => {
  const dir = tempStateDir(t);
  const store = SqliteStore.open(dir);
  t.after(() => store.close());
  const db = store.database;
  assert.equal(pragma(db, 'journal_mode'), 'wal');
  assert.equal(pragma(db, 'synchronous'), 2, 'FULL');
  assert.equal(pragma(db, 'busy_timeout'), BUSY_TIMEOUT_MS);
  assert.equal(pragma(db, 'foreign_keys'), 1);
  assert.equal(pragma(db, 'user_version'), LATEST_SCHEMA_VERSION);
  assert.equal(pragma(db, 'application_id'), APPLICATION_ID);
  // 1..n with no gap: a database at version k has run exactly the first k migrations.
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
  assert.deepEqual(
    // The memory index's tables (migration 6) are checked by test/memory/memory-service.test.ts.
    tables.map((row) => row.name).filter((name) => !String(name).startsWith('memory_')),
    [
      'channel_allow_entries',
      'channel_dead_letters',
      'channel_inbound',
      'channel_pairing_requests',
      'channel_state',
      'cron_jobs',
      'cron_runs',
      'exec_approvals_config',
      'exec_standing_grants',
      'idempotency',
      'kv',
      'leases',
      'messages',
      'node_pending_work',
      'nodes',
      'operator_approvals',
      'runs',
      'sessions',
      'sqlite_sequence',
      'tasks',
      'transcript_archives',
    ],
  );
  const path = join(dir, DATABASE_FILE_NAME);
  assert.equal(statSync(path).mode & 0o777, 0o600, 'transcripts are private to the owner');
  assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
});

test('a reopened database has everything committed before close', async (t) => {
  const dir = tempStateDir(t);
  const first = SqliteStore.open(dir);
  const message = await first.appendMessage({
    sessionKey: 'agent:main:main',
    role: 'assistant',
    content: [{ type: 'text', text: 'kept' }],
    timestamp: 1,
    usage: { input: 1, output: 2, total: 3 },
  });
  await first.patchSession('agent:main:main', { label: 'L' }, 2);
  await first.putIdempotency({
    key: 'k',
    method: 'chat.send',
    status: 'done',
    result: { ok: true },
    expiresAt: 99,
  });
  const session = await first.getSession('agent:main:main');
  first.close();

  const second = SqliteStore.open(dir);
  t.after(() => second.close());
  assert.deepEqual(await second.getSession('agent:main:main'), session);
  assert.deepEqual(await second.listMessages('agent:main:main', { limit: 5 }), [message]);
  assert.deepEqual(await second.getIdempotency('k', 50), {
    key: 'k',
    method: 'chat.send',
    status: 'done',
    result: { ok: true },
    expiresAt: 99,
  });
  assert.equal(pragma(second.database, 'user_version'), LATEST_SCHEMA_VERSION);
});

test('an empty file (zero bytes) is initialised as a new database', async (t) => {
  const dir = tempStateDir(t);
  writeFileSync(join(dir, DATABASE_FILE_NAME), '');
  const store = SqliteStore.open(dir);
  t.after(() => store.close());
  assert.equal(pragma(store.database, 'user_version'), LATEST_SCHEMA_VERSION);
  assert.equal(
    (await store.appendMessage({ sessionKey: 'k', role: 'user', content: 'x', timestamp: 1 })).seq,
    1,
  );
});

test('a file of garbage bytes is refused with a clear error and left untouched', (t) => {
  const dir = tempStateDir(t);
  const path = join(dir, DATABASE_FILE_NAME);
  writeFileSync(path, Buffer.alloc(16 * 1024, 'not sqlite, just bytes '));
  const before = snapshot(dir);
  const error = openFails(dir);
  assert.equal(error.code, 'STORAGE_NOT_A_DATABASE');
  assert.equal(error.path, path);
  assert.equal(
    error.message,
    `${path} is not a clawgate database or is corrupt (file is not a database): restore it from a backup or ` +
      'move it away; clawgate never resets it silently',
  );
  assert.deepEqual(snapshot(dir), before);
  // A second attempt fails the same way: nothing was "repaired" in between.
  assert.equal(openFails(dir).message, error.message);
});

test('a database with damaged pages is refused as corrupt and left untouched', async (t) => {
  const dir = tempStateDir(t);
  const path = join(dir, DATABASE_FILE_NAME);
  const store = SqliteStore.open(dir);
  await store.appendMessage({ sessionKey: 'k', role: 'user', content: 'x', timestamp: 1 });
  store.close();
  // Keep the 100-byte header (so it still looks like SQLite) and overwrite the rest of page 1, the schema table.
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  bytes.fill(0xa5, 100, pageSize);
  writeFileSync(path, bytes);
  const before = snapshot(dir);
  const error = openFails(dir);
  assert.equal(error.code, 'STORAGE_NOT_A_DATABASE');
  assert.match(
    error.message,
    /^.+clawgate\.db is not a clawgate database or is corrupt \(.*malformed.*\): restore/,
  );
  assert.deepEqual(snapshot(dir), before);
});

test("another application's SQLite database is refused, not migrated into", (t) => {
  const dir = tempStateDir(t);
  const path = join(dir, DATABASE_FILE_NAME);
  const foreign = new DatabaseSync(path);
  foreign.exec(
    "CREATE TABLE sessions (id INTEGER PRIMARY KEY, blob TEXT); INSERT INTO sessions VALUES (1, 'x')",
  );
  foreign.close();
  const before = snapshot(dir);
  const error = openFails(dir);
  assert.equal(error.code, 'STORAGE_NOT_A_DATABASE');
  assert.equal(
    error.message,
    `${path} is not a clawgate database or is corrupt (application_id 0, 1 schema objects): restore it from a ` +
      'backup or move it away; clawgate never resets it silently',
  );
  assert.deepEqual(snapshot(dir), before);
});

test('a database from a newer clawgate is refused with its version and left untouched', async (t) => {
  const dir = tempStateDir(t);
  const path = join(dir, DATABASE_FILE_NAME);
  const store = SqliteStore.open(dir);
  await store.appendMessage({ sessionKey: 'k', role: 'user', content: 'from the future', timestamp: 1 });
  store.database.exec(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  store.close();
  const before = snapshot(dir);
  const error = openFails(dir);
  assert.equal(error.code, 'STORAGE_TOO_NEW');
  assert.equal(
    error.message,
    `${path} has schema version ${LATEST_SCHEMA_VERSION + 1}, but this clawgate supports up to version ` +
      `${LATEST_SCHEMA_VERSION}: upgrade clawgate (the database was left untouched)`,
  );
  assert.deepEqual(snapshot(dir), before);
  const raw = new DatabaseSync(path, { readOnly: true });
  t.after(() => raw.close());
  assert.equal(pragma(raw, 'user_version'), LATEST_SCHEMA_VERSION + 1);
  assert.equal(raw.prepare('SELECT content FROM messages').get()?.content, '"from the future"');
});

test('a state dir that cannot hold the database fails with the path in the message', (t) => {
  const dir = tempStateDir(t);
  const notADir = join(dir, 'file');
  writeFileSync(notADir, 'x');
  assert.throws(
    () => openDatabase(notADir),
    (error: unknown) =>
      error instanceof StorageError &&
      error.code === 'STORAGE_OPEN_FAILED' &&
      error.message.startsWith(`cannot open ${join(notADir, DATABASE_FILE_NAME)}: `),
  );
});

test("two stores on one file see each other's commits and number seqs without gaps", async (t) => {
  const dir = tempStateDir(t);
  const a = SqliteStore.open(dir);
  t.after(() => a.close());
  const b = SqliteStore.open(dir);
  t.after(() => b.close());
  await a.appendMessage({ sessionKey: 'k', role: 'user', content: 'from a', timestamp: 1 });
  const fromB = await b.appendMessage({ sessionKey: 'k', role: 'user', content: 'from b', timestamp: 2 });
  assert.equal(fromB.seq, 2);
  assert.equal((await a.getSession('k'))?.messageCount, 2);
});

test('writes requested together share one group commit; each settles only once committed', async (t) => {
  const dir = tempStateDir(t);
  const store = SqliteStore.open(dir);
  t.after(() => store.close());
  store.database.exec('PRAGMA wal_autocheckpoint = 0');
  const wal = join(dir, `${DATABASE_FILE_NAME}-wal`);
  await store.ensureSession('agent:main:a', 'main', 1);
  const before = countWalCommits(wal);
  const writes = Array.from({ length: 20 }, (_, i) =>
    store.appendMessage({
      sessionKey: `agent:main:s${i % 4}`,
      role: 'user',
      content: `m${i}`,
      timestamp: 10 + i,
    }),
  );
  // Nothing is on disk (or visible) before the group commit runs.
  assert.equal(countWalCommits(wal), before);
  assert.deepEqual(await store.listMessages('agent:main:s0', { limit: 10 }), []);
  const stored = await Promise.all(writes);
  assert.equal(countWalCommits(wal), before + 1, 'twenty writes, one commit');
  // Call order is commit order: each session's seqs follow the calls.
  assert.deepEqual(
    stored.filter((m) => m.sessionKey === 'agent:main:s1').map((m) => [m.seq, m.content]),
    [
      [1, 'm1'],
      [2, 'm5'],
      [3, 'm9'],
      [4, 'm13'],
      [5, 'm17'],
    ],
  );
});

test('a write that fails in a group commit rolls back alone', async (t) => {
  const store = SqliteStore.open(tempStateDir(t));
  t.after(() => store.close());
  const session = await store.ensureSession('agent:main:a', 'main', 1);
  const run = { sessionKey: 'agent:main:a', sessionId: session.sessionId, agentId: 'main', startedAt: 2 };
  await store.startRun({ ...run, runId: 'r1' });
  const [first, duplicate, last] = await Promise.allSettled([
    store.appendMessage({ sessionKey: 'agent:main:a', role: 'user', content: 'before', timestamp: 3 }),
    // Its message insert succeeds, then the duplicate run id fails: both must be undone, nothing else.
    store.appendMessage(
      { sessionKey: 'agent:main:a', role: 'user', content: 'dup', timestamp: 4, runId: 'r1' },
      { start: { agentId: 'main', startedAt: 4 } },
    ),
    store.appendMessage({ sessionKey: 'agent:main:a', role: 'user', content: 'after', timestamp: 5 }),
  ]);
  assert.equal(first.status, 'fulfilled');
  assert.equal(duplicate.status, 'rejected');
  assert.equal(last.status, 'fulfilled');
  const messages = await store.listMessages('agent:main:a', { limit: 10 });
  assert.deepEqual(
    messages.map((m) => [m.seq, m.content]),
    [
      [1, 'before'],
      [2, 'after'],
    ],
  );
});

test('close() commits writes still waiting for their group commit', async (t) => {
  const dir = tempStateDir(t);
  const store = SqliteStore.open(dir);
  const write = store.appendMessage({
    sessionKey: 'agent:main:a',
    role: 'user',
    content: 'late',
    timestamp: 1,
  });
  store.close();
  assert.equal((await write).content, 'late');
  const reopened = SqliteStore.open(dir);
  t.after(() => reopened.close());
  assert.deepEqual(
    (await reopened.listMessages('agent:main:a', { limit: 5 })).map((m) => m.content),
    ['late'],
  );
  await assert.rejects(
    store.appendMessage({ sessionKey: 'agent:main:a', role: 'user', content: 'x', timestamp: 2 }),
    /the store is closed/,
  );
});

test('a version-1 database migrates: sessions archived before it get their last update as archivedAt', async (t) => {
  const dir = tempStateDir(t);
  const v1 = new DatabaseSync(join(dir, DATABASE_FILE_NAME));
  v1.exec(MIGRATIONS[0]!.sql);
  v1.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  v1.exec('PRAGMA user_version = 1');
  const insert = v1.prepare(
    'INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at, archived) VALUES (?, ?, ?, ?, ?, ?)',
  );
  insert.run('agent:main:old', 'main', 's1', 100, 200, 1);
  insert.run('agent:main:live', 'main', 's2', 100, 300, 0);
  v1.close();

  const store = SqliteStore.open(dir);
  t.after(() => store.close());
  assert.equal(pragma(store.database, 'user_version'), LATEST_SCHEMA_VERSION);
  assert.equal((await store.getSession('agent:main:old'))?.archivedAt, 200);
  assert.equal((await store.getSession('agent:main:live'))?.archivedAt, undefined);

  const archived = await store.patchSession('agent:main:live', { archived: true }, 400);
  assert.equal(archived?.archivedAt, 400);
  const again = await store.patchSession('agent:main:live', { archived: true }, 500);
  assert.equal(again?.archivedAt, 400, 'archiving again keeps the first time');
  const restored = await store.patchSession('agent:main:live', { archived: false }, 600);
  assert.equal(restored?.archivedAt, undefined);
});
