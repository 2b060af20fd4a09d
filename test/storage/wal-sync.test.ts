import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WalSync } from '../../src/storage/wal-sync.ts';

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-walsync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'x.db');
}

/** An fdatasync that runs only when the test releases it, counting calls. */
function heldFdatasync() {
  const held: (() => void)[] = [];
  const impl = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    held.push(() => fdatasync(fd, callback));
  }) as typeof fdatasync;
  return { impl, held };
}

test('sync() waits for an fdatasync of the WAL; calls during one share the single one after it', async (t) => {
  const db = tempDb(t);
  writeFileSync(`${db}-wal`, 'frames');
  const { impl, held } = heldFdatasync();
  const wal = new WalSync(db, impl);
  t.after(() => wal.close());

  let firstDone = false;
  const first = wal.sync().then(() => {
    firstDone = true;
  });
  // Committed after the first fdatasync started: they need the next one.
  const later = [wal.sync(), wal.sync(), wal.sync()];
  let laterDone = 0;
  for (const p of later) p.then(() => laterDone++);
  assert.equal(held.length, 1, 'one fdatasync in flight');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(firstDone, false, 'not resolved before its fdatasync ran');

  held.shift()?.();
  await first;
  assert.equal(laterDone, 0, 'the later calls wait for an fdatasync that starts after their commit');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(held.length, 1, 'and all three share one');
  held.shift()?.();
  await Promise.all(later);
  assert.equal(held.length, 0);
});

test('sync() before SQLite wrote a WAL has nothing to sync; after close() it is refused', async (t) => {
  const db = tempDb(t);
  const { impl, held } = heldFdatasync();
  const wal = new WalSync(db, impl);
  await wal.sync();
  assert.equal(held.length, 0);
  wal.syncNow();
  wal.close();
  wal.close();
  await assert.rejects(wal.sync(), /closed/);
});

test('a failed fdatasync rejects the callers waiting on it', async (t) => {
  const db = tempDb(t);
  writeFileSync(`${db}-wal`, 'frames');
  const failing = ((_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
  }) as typeof fdatasync;
  const wal = new WalSync(db, failing);
  t.after(() => wal.close());
  await assert.rejects(wal.sync(), /EIO/);
  await assert.rejects(wal.sync(), /EIO/, 'the next call tries again');
});
