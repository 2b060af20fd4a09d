import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { connectClient } from '../helpers/raw-client.ts';

ensureOpenClaw();

type Snapshot = {
  path: string;
  hash: string;
  file: { defaults: Record<string, string>; agents: Record<string, { allowlist?: { pattern: string }[] }> };
  effectivePolicy?: { scopes: { security: { effective: string }; ask: { effective: string } }[] };
};

test('openclaw approvals get / allowlist add / pending / resolve against clawgate (each CLI call is seconds: five is the set)', {
  timeout: 180_000,
}, async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };
  const run = async (args: string[]) => {
    const result = await runOpenClaw(t, args, cli);
    return { ...result, all: `${result.stdout}\n${result.stderr}` };
  };

  // get: the document and the effective policy the CLI derives from it and config.get (the secure default).
  const got = await run(['approvals', 'get', '--gateway', '--json']);
  assert.equal(got.code, 0, got.all);
  const snapshot = JSON.parse(got.stdout) as Snapshot;
  assert.match(snapshot.path, /clawgate\.db#exec_approvals_config$/);
  const [effective] = snapshot.effectivePolicy?.scopes ?? [];
  assert.deepEqual([effective?.security.effective, effective?.ask.effective], ['allowlist', 'on-miss']);

  // allowlist add: read-modify-write through exec.approvals.get/set with baseHash.
  const added = await run(['approvals', 'allowlist', 'add', '--gateway', '/usr/bin/uname', '--json']);
  assert.equal(added.code, 0, added.all);
  const { client } = await connectClient(gw.url, gw.token, {
    scopes: ['operator.admin', 'operator.approvals'],
  });
  t.after(() => client.close());
  const stored = (await client.request('exec.approvals.get', {})).payload as Snapshot;
  assert.deepEqual(
    stored.file.agents['*'].allowlist?.map((entry) => entry.pattern),
    ['/usr/bin/uname'],
  );

  // pending and resolve: a prompt raised by a client with an approval UI connected.
  const { client: approver } = await connectClient(gw.url, gw.token, {
    scopes: ['operator.approvals'],
    caps: ['exec-approvals'],
  });
  t.after(() => approver.close());
  client.send({
    type: 'req',
    id: 'q1',
    method: 'exec.approval.request',
    params: { command: 'git push --force', agentId: 'main', sessionKey: 'agent:main:main', twoPhase: true },
  });
  const accepted = (await client.response('q1')).payload as { id: string };
  const pending = await run(['approvals', 'pending', '--json']);
  assert.equal(pending.code, 0, pending.all);
  const listed = JSON.parse(pending.stdout) as { approvals: { id: string; kind: string; summary: string }[] };
  assert.deepEqual(listed.approvals, [
    {
      id: accepted.id,
      kind: 'exec',
      agentId: 'main',
      sessionKey: 'agent:main:main',
      createdAtMs: (listed.approvals[0] as unknown as { createdAtMs: number }).createdAtMs,
      expiresAtMs: (listed.approvals[0] as unknown as { expiresAtMs: number }).expiresAtMs,
      summary: 'git push --force',
    },
  ]);

  const resolved = await run(['approvals', 'resolve', accepted.id, 'allow-once']);
  assert.equal(resolved.code, 0, resolved.all);
  assert.match(resolved.stdout, /resolved allow-once/);
  const decided = await client.waitFor(
    (f) => f.id === 'q1' && (f.payload as { decision?: string }).decision !== undefined,
  );
  assert.equal((decided.payload as { decision: string }).decision, 'allow-once');

  const conflicting = await run(['approvals', 'resolve', accepted.id, 'deny']);
  assert.notEqual(conflicting.code, 0);
  assert.match(conflicting.all, /already resolved with allow-once/);
});
