import assert from 'node:assert/strict';
import { fdatasync, fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { countWalCommits } from '../../bench/store-cost.ts';
import { DATABASE_FILE_NAME } from '../../src/storage/database.ts';
import { MIGRATIONS } from '../../src/storage/migrations.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';

/**
 * The group commit's fsync of the log runs off the event loop (SqliteStore): a write settles only once the log
 * sync that follows its COMMIT is done, writes requested meanwhile wait and share the next commit, and a failed
 * sync fails the writes it was to make durable.
 */

type HeldSync = { fd: number; release(error?: NodeJS.ErrnoException): void };
type SyncFile = typeof fdatasync;

/** A SyncFile that holds every sync until the test releases it (then really fdatasyncs, unless told to fail). */
function heldSyncs() {
  const held: HeldSync[] = [];
  const syncFile = ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
    held.push({
      fd,
      release: (error) => (error ? done(error) : fdatasync(fd, done)),
    });
  }) as SyncFile;
  return { held, syncFile };
}

function open(t: TestContext, syncFile: SyncFile) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-log-sync-'));
  const store = SqliteStore.open(dir, { syncLog: syncFile });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  store.database.exec('PRAGMA wal_autocheckpoint = 0');
  const wal = join(dir, `${DATABASE_FILE_NAME}-wal`);
  return { store, wal, commits: () => countWalCommits(wal) };
}

/** A promise's state without waiting for it. */
function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const say = (store: SqliteStore, content: string, timestamp: number) =>
  store.appendMessage({ sessionKey: 'agent:main:a', role: 'user', content, timestamp });

/** A few loop turns: enough for a write requested now to have been committed (the check phase) if it could be. */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i += 1) await nextTurn();
}

/** Polls until `done()` holds, failing past a deadline (a released sync is a real fdatasync on the pool). */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await nextTurn();
  }
}

test('a write settles only after the log sync that follows its commit; writes requested meanwhile share the next commit', async (t) => {
  const { held, syncFile } = heldSyncs();
  const { store, wal, commits } = open(t, syncFile);
  const before = commits();

  const first = watch(say(store, 'one', 1));
  await turns();
  assert.equal(commits(), before + 1, 'committed in the loop turn it was requested in');
  assert.equal(held.length, 1, 'and its log sync started');
  assert.equal(fstatSync(held[0]!.fd).ino, statSync(wal).ino, 'the sync is of the write-ahead log itself');
  assert.equal(first.settled, false, 'not settled before its sync is done');
  // Outside the group commit the connection is at FULL, as database.ts opened it.
  assert.equal(
    (store.database.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous,
    2,
  );

  const second = watch(say(store, 'two', 2));
  const third = watch(say(store, 'three', 3));
  await turns();
  assert.equal(commits(), before + 1, 'no commit while the log sync runs');
  assert.equal(held.length, 1);

  held[0]!.release();
  await until(() => held.length === 2, 'the next group commit');
  assert.equal(first.settled, true);
  assert.equal((first.value as { seq: number }).seq, 1);
  assert.equal(commits(), before + 2, 'the two waiting writes share one commit');
  assert.equal(second.settled || third.settled, false);

  held[1]!.release();
  await until(() => second.settled && third.settled, 'the second sync');
  assert.deepEqual(
    [second.value, third.value].map((m) => (m as { seq: number; content: string }).content),
    ['two', 'three'],
  );
});

test('a failed log sync fails the writes it covered and every write after it; reads go on', async (t) => {
  const { held, syncFile } = heldSyncs();
  const { store } = open(t, syncFile);
  const lost = watch(say(store, 'one', 1));
  await turns();
  const waiting = watch(say(store, 'two', 2));
  held[0]!.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await until(() => lost.settled && waiting.settled, 'the failed sync');
  for (const write of [lost, waiting])
    assert.match(String(write.error), /could not be synced to disk \(EIO: i\/o error, fdatasync\)/);
  assert.equal((lost.error as Error).cause instanceof Error, true);
  // Later commits would follow frames that may not be on disk: nothing is acknowledged any more.
  await assert.rejects(say(store, 'three', 3), /no write is accepted until the gateway restarts/);
  assert.equal(held.length, 1, 'nothing else was committed');
  // What was committed is still read (as it would be after a restart, if the disk kept it).
  assert.deepEqual(
    (await store.listMessages('agent:main:a', { limit: 5 })).map((m) => m.content),
    ['one'],
  );
});

test('close() finishes the log sync in flight itself: every write made before it has settled when it returns', async (t) => {
  const { held, syncFile } = heldSyncs();
  const { store } = open(t, syncFile);
  const synced = watch(say(store, 'one', 1));
  await turns();
  assert.equal(held.length, 1);
  const waiting = watch(say(store, 'two', 2));
  store.close();
  await nextTurn();
  assert.deepEqual(
    [synced.value, waiting.value].map((m) => (m as { content: string }).content),
    ['one', 'two'],
  );
  // The pool's sync ending after close() changes nothing.
  held[0]!.release();
  await turns();
  assert.equal(synced.error, undefined);
});

test('without a log file to sync (an in-memory database) a write commits at FULL and settles at once', async () => {
  const db = new DatabaseSync(':memory:');
  for (const migration of MIGRATIONS) db.exec(migration.sql);
  const store = new SqliteStore(db, {
    syncLog: (() => assert.fail('nothing to sync')) as unknown as SyncFile,
  });
  try {
    const stored = await say(store, 'one', 1);
    assert.equal(stored.seq, 1);
    assert.deepEqual(
      (await store.listMessages('agent:main:a', { limit: 5 })).map((m) => m.content),
      ['one'],
    );
  } finally {
    store.close();
  }
});
