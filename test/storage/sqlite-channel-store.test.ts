import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PairingRequestInput } from '../../src/storage/channel-store.ts';
import { SqliteChannelStore } from '../../src/storage/sqlite-channel-store.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';

function open(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-channel-store-'));
  const sqlite = SqliteStore.open(dir);
  t.after(() => {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, sqlite, store: new SqliteChannelStore(sqlite.database, (work) => sqlite.write(work)) };
}

const HOUR = 3_600_000;
const request = (senderId: string, now: number, codes: string[] = ['AAAAAAAA']): PairingRequestInput => {
  const queue = [...codes];
  return {
    channel: 'telegram',
    accountId: 'default',
    senderId,
    meta: { name: senderId },
    now,
    ttlMs: HOUR,
    maxPending: 3,
    newCode: () => queue.shift() ?? `C${Math.random().toString(36).slice(2, 9).toUpperCase()}`,
  };
};

test('per-account state survives a reopen of the database', async (t) => {
  const { dir, sqlite, store } = open(t);
  await store.setState('telegram', 'default', 'offset', '41', 1);
  await store.setState('telegram', 'default', 'offset', '42', 2);
  await store.setState('telegram', 'other', 'offset', '7', 2);
  sqlite.close();
  const again = SqliteStore.open(dir);
  t.after(() => again.close());
  const reopened = new SqliteChannelStore(again.database, (work) => again.write(work));
  assert.equal(await reopened.getState('telegram', 'default', 'offset'), '42');
  assert.equal(await reopened.getState('telegram', 'other', 'offset'), '7');
  assert.equal(await reopened.getState('telegram', 'default', 'missing'), undefined);
});

test('pairing: one request per sender (touched, not renewed), unique codes, a cap of pending requests, expiry', async (t) => {
  const { store } = open(t);
  const first = await store.requestPairing(request('1', 0, ['AAAAAAAA']));
  assert.equal(first.status, 'created');
  const again = await store.requestPairing(request('1', 10));
  assert.equal(again.status, 'pending');
  assert.equal(again.status === 'pending' && again.request.code, 'AAAAAAAA');
  // A colliding code is drawn again.
  const second = await store.requestPairing(request('2', 20, ['AAAAAAAA', 'BBBBBBBB']));
  assert.equal(second.status === 'created' && second.request.code, 'BBBBBBBB');
  await store.requestPairing(request('3', 30));
  assert.deepEqual(await store.requestPairing(request('4', 40)), { status: 'full' });
  const listed = await store.listPairingRequests('telegram', 'default', 50, HOUR);
  assert.deepEqual(
    listed.map((r) => [r.senderId, r.lastSeenAt]),
    [
      ['1', 10],
      ['2', 20],
      ['3', 30],
    ],
  );
  // An hour later the first three have expired: the fourth sender gets a request, the first a new code.
  assert.deepEqual(await store.listPairingRequests('telegram', undefined, HOUR + 31, HOUR), []);
  assert.equal((await store.requestPairing(request('4', HOUR + 41))).status, 'created');
  const renewed = await store.requestPairing(request('1', HOUR + 42, ['CCCCCCCC']));
  assert.equal(renewed.status === 'created' && renewed.request.code, 'CCCCCCCC');
});

test('pairing: approving moves the sender to the allow entries in one step; dismissing only removes the request', async (t) => {
  const { store } = open(t);
  await store.requestPairing(request('1', 0));
  await store.requestPairing(request('2', 0, ['BBBBBBBB']));
  const approved = await store.approvePairing('telegram', 'default', '1', 5);
  assert.equal(approved?.senderId, '1');
  assert.equal(await store.approvePairing('telegram', 'default', '1', 6), undefined);
  assert.equal((await store.dismissPairing('telegram', 'default', '2'))?.code, 'BBBBBBBB');
  assert.equal(await store.dismissPairing('telegram', 'default', '2'), undefined);
  assert.deepEqual(await store.listAllowEntries('telegram', 'default'), ['1']);
  assert.deepEqual(await store.listAllowEntries('telegram', 'other'), []);
  assert.deepEqual(await store.listPairingRequests('telegram', 'default', 10, HOUR), []);
});

test('handled messages are recorded once and forgotten after the window; dead letters are kept newest first', async (t) => {
  const { store } = open(t);
  assert.equal(await store.markInbound('telegram', 'default', 'c', 'm1', 0, 100), true);
  assert.equal(await store.markInbound('telegram', 'default', 'c', 'm1', 50, 100), false);
  assert.equal(await store.markInbound('telegram', 'default', 'c', 'm2', 500, 100), true);
  assert.equal(
    await store.markInbound('telegram', 'default', 'c', 'm1', 500, 100),
    true,
    'pruned past the window',
  );
  for (const [index, chatId] of ['a', 'b', 'c'].entries()) {
    await store.addDeadLetter({
      channel: 'webhook',
      accountId: index === 2 ? 'other' : 'default',
      chatId,
      payload: { text: chatId },
      attempts: 6,
      error: 'HTTP 500',
      createdAt: index,
    });
  }
  assert.deepEqual(
    (await store.listDeadLetters({ limit: 10 })).map((d) => d.chatId),
    ['c', 'b', 'a'],
  );
  assert.deepEqual(
    (await store.listDeadLetters({ channel: 'webhook', accountId: 'default', limit: 1 })).map(
      (d) => d.payload,
    ),
    [{ text: 'b' }],
  );
  assert.equal(await store.countDeadLetters('webhook', 'default'), 2);
});
