import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { APPLICATION_ID, BUSY_TIMEOUT_MS, DATABASE_FILE_NAME } from '../../src/storage/database.ts';
import { MIGRATIONS } from '../../src/storage/migrations.ts';
import { PRUNE_BATCH_ROWS, SqliteStore } from '../../src/storage/sqlite-store.ts';

type TestContext = { after(fn: () => unknown): void };

const T0 = 1_700_000_000_000;
const KEY = 'agent:main:main';

function openStore(t: TestContext): { store: SqliteStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-retention-'));
  const store = SqliteStore.open(dir);
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, dir };
}

/** Rows straight into the file in one transaction: fixtures of thousands of rows without thousands of commits. */
function insertMany(db: DatabaseSync, sql: string, rows: unknown[][]): void {
  const statement = db.prepare(sql);
  db.exec('BEGIN');
  for (const row of rows) statement.run(...(row as (string | number | null)[]));
  db.exec('COMMIT');
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const rowCount = (db: DatabaseSync, table: string) =>
  Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

test('2 500 expired rows of each kind are pruned in batches of at most 1 000, the event loop turning between', async (t) => {
  const { store } = openStore(t);
  const db = store.database;
  const session = await store.ensureSession(KEY, 'main', T0);
  insertMany(
    db,
    "INSERT INTO idempotency (key, method, status, expires_at) VALUES (?, 'chat.send', 'done', ?)",
    range(2_500).map((i) => [`k${i}`, T0]),
  );
  insertMany(
    db,
    "INSERT INTO runs (run_id, session_key, session_id, agent_id, status, started_at, ended_at) VALUES (?, ?, ?, 'main', 'ok', ?, ?)",
    range(2_500).map((i) => [`r${i}`, KEY, session.sessionId, T0, T0]),
  );
  insertMany(
    db,
    "INSERT INTO messages (id, session_key, session_id, seq, role, content, timestamp) VALUES (?, ?, ?, ?, 'user', '\"x\"', ?)",
    range(2_500).map((i) => [`m${i}`, KEY, session.sessionId, i + 1, T0]),
  );
  db.prepare('UPDATE sessions SET message_count = 2500 WHERE key = ?').run(KEY);
  await store.resetSession(KEY, T0);
  const kept = await store.appendMessage({
    sessionKey: KEY,
    role: 'user',
    content: 'now',
    timestamp: T0 + 1,
  });

  let turns = 0;
  const counter = setInterval(() => turns++, 0);
  const report = await store.prune({ runs: 1, resetArchives: 1 }, T0 + 10);
  clearInterval(counter);

  assert.deepEqual(report, {
    idempotency: 2_500,
    runs: 2_500,
    resetArchives: 2_500,
    cronRuns: 0,
    tasks: 0,
    batches: 9,
  });
  assert.equal(PRUNE_BATCH_ROWS, 1_000);
  assert.ok(turns >= 3, `timers ran ${turns} times during the pass: it yields between batches`);
  assert.equal(rowCount(db, 'idempotency'), 0);
  assert.equal(rowCount(db, 'runs'), 0);
  assert.equal(rowCount(db, 'transcript_archives'), 0);
  assert.deepEqual(await store.listMessages(KEY, { limit: 10 }), [kept]);
  assert.equal(rowCount(db, 'messages'), 1);
});

test('an archive pruned part-way keeps counting what is left, and a dry run reports it', async (t) => {
  const { store } = openStore(t);
  const db = store.database;
  const session = await store.ensureSession(KEY, 'main', T0);
  insertMany(
    db,
    "INSERT INTO messages (id, session_key, session_id, seq, role, content, timestamp) VALUES (?, ?, ?, ?, 'user', '\"x\"', ?)",
    range(1_500).map((i) => [`m${i}`, KEY, session.sessionId, i + 1, T0]),
  );
  db.prepare('UPDATE sessions SET message_count = 1500 WHERE key = ?').run(KEY);
  await store.resetSession(KEY, T0);
  // Aborted as soon as the first batch of the archive has gone: the pass stops there.
  const signal = {
    get aborted() {
      return rowCount(db, 'messages') < 1_500;
    },
  } as AbortSignal;
  const policy = { runs: false, resetArchives: 1 } as const;
  assert.deepEqual(await store.prune(policy, T0 + 10, { signal }), {
    idempotency: 0,
    runs: 0,
    resetArchives: 1_000,
    cronRuns: 0,
    tasks: 0,
    batches: 2,
  });
  assert.equal((await store.prune(policy, T0 + 10, { dryRun: true })).resetArchives, 500);
  assert.equal((await store.prune(policy, T0 + 10)).resetArchives, 500);
  assert.equal(rowCount(db, 'transcript_archives'), 0);
});

test('deleting a session leaves nothing of it behind: messages of every generation, runs, archives', async (t) => {
  const { store } = openStore(t);
  const db = store.database;
  await store.appendMessage({ sessionKey: KEY, role: 'user', content: 'old', timestamp: T0 });
  await store.resetSession(KEY, T0 + 1);
  const current = (
    await store.appendMessage({ sessionKey: KEY, role: 'user', content: 'new', timestamp: T0 + 2 })
  ).sessionId;
  await store.startRun({ runId: 'r', sessionKey: KEY, sessionId: current, agentId: 'main', startedAt: T0 });
  assert.equal(rowCount(db, 'transcript_archives'), 1);
  assert.equal(await store.deleteSession(KEY), true);
  for (const table of ['sessions', 'messages', 'runs', 'transcript_archives']) {
    assert.equal(rowCount(db, table), 0, `${table} is empty`);
  }
});

test('checkpoint truncates the -wal file, and does not wait on another connection’s reader', async (t) => {
  const { store, dir } = openStore(t);
  const path = join(dir, DATABASE_FILE_NAME);
  const walBytes = () => statSync(`${path}-wal`).size;
  const text = 'x'.repeat(2_000);
  for (let i = 0; i < 200; i++) {
    await store.appendMessage({ sessionKey: KEY, role: 'user', content: text, timestamp: T0 + i });
  }
  assert.ok(walBytes() > 400_000, `${walBytes()} bytes of log before`);

  // A reader on an older snapshot pins the log: the checkpoint does what it can and returns at once.
  const reader = new DatabaseSync(path);
  t.after(() => reader.close());
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM messages').get();
  await store.appendMessage({ sessionKey: KEY, role: 'user', content: 'pinned', timestamp: T0 });
  const started = performance.now();
  await store.checkpoint();
  const waited = performance.now() - started;
  assert.ok(waited < BUSY_TIMEOUT_MS / 5, `checkpoint took ${waited.toFixed(1)} ms behind a reader`);
  assert.ok(walBytes() > 0, 'the pinned log is left for the next pass');
  const busy = store.database.prepare('PRAGMA busy_timeout').get() as { timeout: number };
  assert.equal(busy.timeout, BUSY_TIMEOUT_MS, 'writes still wait for locks as before');

  reader.exec('COMMIT');
  const queued = store.appendMessage({ sessionKey: KEY, role: 'user', content: 'queued', timestamp: T0 });
  await store.checkpoint();
  assert.equal(walBytes(), 0, 'truncated');
  assert.equal((await queued).content, 'queued');
  const rows = reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
  assert.equal(Number(rows.n), 202, 'every write is in the database file');
});

test('a closed store refuses prune and checkpoint', async (t) => {
  const { store } = openStore(t);
  store.close();
  await assert.rejects(store.prune({ runs: 1, resetArchives: 1 }, T0), /the store is closed/);
  await assert.rejects(store.checkpoint(), /the store is closed/);
});

test('a version-2 database migrates: replaced generations are archived as of their newest message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v2 = new DatabaseSync(join(dir, DATABASE_FILE_NAME));
  for (const step of MIGRATIONS.slice(0, 2)) v2.exec(step.sql);
  v2.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  v2.exec('PRAGMA user_version = 2');
  v2.prepare(
    "INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at, message_count) VALUES (?, 'main', 'now', 0, 0, 1)",
  ).run(KEY);
  insertMany(
    v2,
    "INSERT INTO messages (id, session_key, session_id, seq, role, content, timestamp) VALUES (?, ?, ?, ?, 'user', '\"x\"', ?)",
    [
      ['a1', KEY, 'gen-a', 1, 100],
      ['a2', KEY, 'gen-a', 2, 200],
      ['b1', KEY, 'gen-b', 3, 300],
      ['c1', KEY, 'now', 4, 400],
    ],
  );
  v2.close();

  const store = SqliteStore.open(dir);
  t.after(() => store.close());
  const archives = store.database
    .prepare(
      'SELECT session_id, archived_at, last_seq, message_count FROM transcript_archives ORDER BY session_id',
    )
    .all();
  assert.deepEqual(
    archives.map((row) => ({ ...row })),
    [
      { session_id: 'gen-a', archived_at: 200, last_seq: 2, message_count: 2 },
      { session_id: 'gen-b', archived_at: 300, last_seq: 3, message_count: 1 },
    ],
  );
  assert.equal((await store.prune({ runs: false, resetArchives: 50 }, 251)).resetArchives, 2);
  assert.equal((await store.prune({ runs: false, resetArchives: 50 }, 1e6)).resetArchives, 1);
  assert.deepEqual(
    (await store.listMessages(KEY, { limit: 10 })).map((m) => m.id),
    ['c1'],
  );
});

test('the prune statements find their rows through an index, not a scan of the table', async (t) => {
  const { store } = openStore(t);
  const plan = (sql: string) =>
    store.database
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((row) => String(row.detail))
      .join('; ');
  // The statements' WHERE clauses, as sqlite-store.ts writes them.
  const cases = [
    "SELECT rowid FROM idempotency WHERE expires_at <= 1 AND status != 'running' LIMIT 1",
    "SELECT rowid FROM runs WHERE ended_at < 1 AND status != 'running' LIMIT 1",
    'SELECT session_key FROM transcript_archives WHERE archived_at < 1 ORDER BY archived_at LIMIT 1',
    "SELECT rowid FROM messages WHERE session_key = 'k' AND seq <= 1 AND session_id = 's' LIMIT 1",
  ];
  for (const sql of cases) {
    const detail = plan(sql);
    assert.match(detail, /SEARCH .* USING (COVERING )?INDEX/, `${sql}: ${detail}`);
    assert.doesNotMatch(detail, /\bSCAN\b/, `${sql}: ${detail}`);
  }
});
