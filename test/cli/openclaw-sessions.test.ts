import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { connectClient } from '../helpers/raw-client.ts';

ensureOpenClaw();

test('openclaw sessions archive: clawgate confirms with entry.archivedAt, and a second archive is a no-op', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const key = 'agent:main:scratch-1';
  const created = await client.request('sessions.create', { key });
  assert.equal(created.ok, true, JSON.stringify(created.error));

  const cli = { url: gw.url, token: gw.token };
  const run = await runOpenClaw(t, ['sessions', 'archive', key, '--json'], cli);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /"status": "archived"/);
  const listed = await client.request('sessions.list', { archived: true });
  const row = (
    listed.payload as { sessions: { key: string; archived: boolean; archivedAt?: number }[] }
  ).sessions.find((s) => s.key === key);
  assert.equal(row?.archived, true);
  assert.equal(typeof row?.archivedAt, 'number');

  const again = await runOpenClaw(t, ['sessions', 'archive', key, '--json'], cli);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /already_archived/);
});
