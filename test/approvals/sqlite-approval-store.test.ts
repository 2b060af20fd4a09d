import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoredApproval } from '../../src/storage/approval-store.ts';
import { SqliteApprovalStore } from '../../src/storage/sqlite-approval-store.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';

function open(t: { after(fn: () => void): void }, dir?: string) {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'clawgate-approval-store-'));
  if (!dir) t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const sqlite = SqliteStore.open(stateDir);
  t.after(() => sqlite.close());
  return { stateDir, store: new SqliteApprovalStore(sqlite.database, (work) => sqlite.write(work)) };
}

const pending = (id: string, createdAtMs: number, owner = 'boot-1'): StoredApproval => ({
  id,
  kind: 'exec',
  status: 'pending',
  request: { command: `cmd ${id}` },
  agentId: 'main',
  createdAtMs,
  expiresAtMs: createdAtMs + 1000,
  owner,
});

test('the document is compared and swapped by the hash of its text; two stores on one file see each other', async (t) => {
  const { stateDir, store } = open(t);
  const { store: other } = open(t, stateDir);
  assert.equal(await store.getDocument(), undefined);
  const first = await store.putDocument('{"version":1}', null, 1);
  assert.ok(first);
  assert.equal(
    await other.putDocument('{"version":1,"x":1}', null, 2),
    undefined,
    '"absent" no longer holds',
  );
  assert.equal(await other.putDocument('{"version":1,"x":1}', 'stale', 2), undefined);
  const second = await other.putDocument('{"version":1,"x":2}', first.hash, 3);
  assert.ok(second);
  assert.notEqual(second.hash, first.hash);
  assert.deepEqual(await store.getDocument(), second);
  // The gateway's own edits are read-modify-write in one transaction; undefined leaves the row alone.
  assert.deepEqual(await store.updateDocument(() => undefined, 4), second);
  const updated = await store.updateDocument((text) => text?.replace('2', '3'), 5);
  assert.equal(updated?.text, '{"version":1,"x":3}');
});

test('an approval settles once; history pages newest first; orphans of another boot are settled at start', async (t) => {
  const { store } = open(t);
  for (const [id, at] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
    ['d', 4],
  ] as const) {
    await store.insertApproval(pending(id, at));
  }
  await store.insertApproval(pending('orphan', 5, 'boot-0'));
  const deny = {
    status: 'denied',
    decision: 'deny',
    reason: 'user',
    resolver: { kind: 'runtime', id: 'op' },
  } as const;
  assert.equal((await store.settleApproval('a', { ...deny, resolvedAtMs: 10 }))?.status, 'denied');
  assert.equal(await store.settleApproval('a', { ...deny, resolvedAtMs: 11 }), undefined, 'never twice');
  await store.settleApproval('b', { ...deny, resolvedAtMs: 10 });
  await store.settleApproval('c', { ...deny, resolvedAtMs: 12 });
  assert.deepEqual(
    (await store.listPendingApprovals()).map((approval) => approval.id),
    ['d', 'orphan'],
  );
  const page = await store.approvalHistory({ limit: 2 });
  assert.deepEqual(
    page.map((approval) => approval.id),
    ['c', 'b'],
  );
  const last = page[1];
  const next = await store.approvalHistory({
    limit: 2,
    before: { resolvedAtMs: last.resolvedAtMs as number, id: last.id },
  });
  assert.deepEqual(
    next.map((approval) => approval.id),
    ['a'],
    'a tie on resolution time pages by id',
  );
  const orphans = await store.settleOrphanedApprovals('boot-1', {
    status: 'cancelled',
    reason: 'gateway-restart',
    resolvedAtMs: 20,
    resolver: { kind: 'system', id: 'gateway-restart' },
  });
  assert.deepEqual(
    orphans.map((approval) => [approval.id, approval.status]),
    [['orphan', 'cancelled']],
  );
  assert.equal((await store.getApproval('d'))?.status, 'pending', "this boot's own prompt is left to it");
  // Keep the newest two settled ones (orphan at 20, c at 12); nothing is older than the cutoff given.
  assert.equal(await store.pruneApprovalHistory(2, 0), 2);
  assert.deepEqual(
    (await store.approvalHistory({ limit: 10 })).map((approval) => approval.id),
    ['orphan', 'c'],
  );
  assert.equal(await store.pruneApprovalHistory(10, 15), 1, 'resolved before the cutoff');
});
