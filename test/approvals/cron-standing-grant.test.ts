import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronEvent } from '../helpers/cron.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

/**
 * A cron job's turn is an automation to the exec gate: its prompt offers a standing grant for that job, and once
 * granted the job's next run runs the same command without asking. A chat turn with the same command still asks.
 */
test("a cron job's exec prompt is a standing-grant prompt; Always allow lets the job's next run go unasked", async (t) => {
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 0 } } } });
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token, { caps: ['tool-events', 'exec-approvals'] });
  t.after(() => client.close());

  const added = await client.request('cron.add', {
    name: 'Nightly listing',
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    delivery: { mode: 'none' },
    payload: { kind: 'agentTurn', message: '@tool exec {"command":"ls -la ."}' },
  });
  assert.equal(added.ok, true, JSON.stringify(added.error));
  const jobId = (added.payload as { id: string }).id;

  assert.equal((await client.request('cron.run', { id: jobId })).ok, true);
  const requested = await client.waitFor((f) => f.event === 'exec.approval.requested', 15_000);
  const prompt = requested.payload as {
    id: string;
    request: { scope: { kind: string; automation: string } | null; allowedDecisions: string[] };
  };
  assert.deepEqual(
    [prompt.request.scope?.kind, prompt.request.scope?.automation],
    ['standing-grant', 'Nightly listing'],
  );
  assert.ok(prompt.request.allowedDecisions.includes('allow-always'));
  const resolved = await client.request('exec.approval.resolve', { id: prompt.id, decision: 'allow-always' });
  assert.equal(resolved.ok, true, JSON.stringify(resolved.error));
  assert.equal(
    ((await client.waitFor(cronEvent('finished', jobId), 15_000)).payload as { status: string }).status,
    'ok',
  );

  const grants = await client.request('exec.approval.grants.list', {});
  assert.equal(grants.ok, true, JSON.stringify(grants.error));
  assert.match(JSON.stringify(grants.payload), new RegExp(jobId));

  // The second run is covered by the grant: it finishes with no new prompt.
  const before = client.frames.filter((f) => f.event === 'exec.approval.requested').length;
  assert.equal((await client.request('cron.run', { id: jobId })).ok, true);
  const second = await client.waitFor(
    (f) => cronEvent('finished', jobId)(f) && client.frames.filter(cronEvent('finished', jobId)).length === 2,
    15_000,
  );
  assert.equal((second.payload as { status: string }).status, 'ok');
  assert.equal(client.frames.filter((f) => f.event === 'exec.approval.requested').length, before);

  // The grant belongs to the job, not the command: a chat turn running it is still asked, as a one-off prompt.
  const sent = await client.request('chat.send', {
    sessionKey: 'agent:main:main',
    message: '@tool exec {"command":"ls -la ."}',
    idempotencyKey: 'chat-1',
  });
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  const chatPrompt = await client.waitFor(
    (f) =>
      f.event === 'exec.approval.requested' &&
      (f.payload as { request: { runId?: string } }).request.runId === 'chat-1',
    15_000,
  );
  assert.equal((chatPrompt.payload as { request: { scope: unknown } }).request.scope, null);
  await client.request('exec.approval.resolve', {
    id: (chatPrompt.payload as { id: string }).id,
    decision: 'deny',
  });
});
