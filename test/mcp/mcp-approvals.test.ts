import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin, configGet } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

/**
 * MCP tool calls under approvals, against the real fixture server: `prompt` asks an approvals client through a
 * plugin approval and runs only what it allows, `auto` (the default here: tools.exec is not full/off) asks until
 * Allow Always saves a grant in the approvals document, `approve` never asks, and an unanswered prompt resolves by
 * the exec askFallback (deny).
 */
const WAIT_MS = 20_000;
const FIXTURE = new URL('../fixtures/mcp-server.ts', import.meta.url).pathname;
const server = (mode?: string) => ({
  command: process.execPath,
  args: [FIXTURE],
  ...(mode ? { codex: { defaultToolsApprovalMode: mode } } : {}),
});

type Invoked = { ok: boolean; output?: { content: { text: string }[]; isError?: boolean } };
type Requested = { id: string; request: { title: string; toolName: string; allowedDecisions: string[] } };

async function invoke(client: RawClient, name: string, args: Record<string, unknown>): Promise<Invoked> {
  const res = await client.request('tools.invoke', { name, args }, WAIT_MS);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return res.payload as Invoked;
}

const prompted = (approver: RawClient) =>
  approver.waitForNew((f: Frame) => f.type === 'event' && f.event === 'plugin.approval.requested', WAIT_MS);

async function resolve(approver: RawClient, id: string, decision: string): Promise<void> {
  const res = await approver.request('plugin.approval.resolve', { id, decision }, WAIT_MS);
  assert.equal(res.ok, true, JSON.stringify(res.error));
}

test('MCP tool approvals: prompt, allow-once, deny, allow-always grants, approve, and the timeout fallback', async (t) => {
  const gw = await startTestGateway({
    config: { mcp: { servers: { ask: server('prompt'), auto: server(), trusted: server('approve') } } },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const { client: approver } = await connectClient(gw.url, gw.token, {
    scopes: ['operator.approvals'],
    caps: ['exec-approvals'],
  });
  t.after(() => approver.close());

  // prompt: asked; allow-once runs it, and only once-decisions are offered.
  let asked = prompted(approver);
  let call = invoke(client, 'ask__add', { a: 1, b: 2 });
  let event = (await asked).payload as Requested;
  assert.equal(event.request.title, 'MCP tool ask/add');
  assert.equal(event.request.toolName, 'ask__add');
  assert.deepEqual(event.request.allowedDecisions, ['allow-once', 'deny']);
  const listed = await approver.request('plugin.approval.list', {}, WAIT_MS);
  assert.deepEqual(
    (listed.payload as { id: string }[]).map((entry) => entry.id),
    [event.id],
  );
  await resolve(approver, event.id, 'allow-once');
  assert.equal((await call).output?.content[0]?.text, '1 + 2 = 3');

  // Deny: the model gets an error result naming why, and the server is never called.
  asked = prompted(approver);
  call = invoke(client, 'ask__add', { a: 2, b: 2 });
  event = (await asked).payload as Requested;
  await resolve(approver, event.id, 'deny');
  const denied = (await call).output;
  assert.equal(denied?.isError, true);
  assert.match(denied?.content[0]?.text ?? '', /ask\/add was not called: denied by an operator/);

  // auto, no hints, no grant: asked; Allow Always saves the grant and the next call (other args) is not asked.
  asked = prompted(approver);
  call = invoke(client, 'auto__add', { a: 3, b: 4 });
  event = (await asked).payload as Requested;
  assert.deepEqual(event.request.allowedDecisions, ['allow-once', 'allow-always', 'deny']);
  await resolve(approver, event.id, 'allow-always');
  assert.equal((await call).output?.content[0]?.text, '3 + 4 = 7');
  const snapshot = await client.request('exec.approvals.get', {}, WAIT_MS);
  const grants = (snapshot.payload as { file: { agents: Record<string, { mcpTools?: unknown[] }> } }).file
    .agents.main?.mcpTools as { server: string; tool: string; source: string; addedAt: number }[];
  assert.equal(grants.length, 1);
  assert.deepEqual(
    { ...grants[0], addedAt: 0 },
    { server: 'auto', tool: 'add', source: 'allow-always', addedAt: 0 },
  );
  assert.ok(grants[0].addedAt > 0);
  const before = approver.frames.length;
  assert.equal((await invoke(client, 'auto__add', { a: 5, b: 6 })).output?.content[0]?.text, '5 + 6 = 11');
  // The grant is for that tool only: another tool of the same server still asks (answered below by a deny).
  asked = prompted(approver);
  call = invoke(client, 'auto__pid', {});
  await resolve(approver, ((await asked).payload as Requested).id, 'deny');
  assert.equal((await call).output?.isError, true);

  // approve: never asked.
  assert.equal((await invoke(client, 'trusted__add', { a: 1, b: 1 })).output?.content[0]?.text, '1 + 1 = 2');
  const requestedSince = approver.frames
    .slice(before)
    .filter((f) => f.event === 'plugin.approval.requested')
    .map((f) => (f.payload as Requested).request.toolName);
  assert.deepEqual(requestedSince, ['auto__pid']);

  // An unanswered prompt resolves by the fallback (askFallback deny) when approvals.exec.timeoutMs passes.
  const { hash } = await configGet<{ hash: string }>(client);
  const patched = await client.request(
    'config.patch',
    { raw: JSON.stringify({ approvals: { exec: { timeoutMs: 200 } } }), baseHash: hash },
    WAIT_MS,
  );
  assert.equal(patched.ok, true, JSON.stringify(patched.error));
  asked = prompted(approver);
  const unanswered = await invoke(client, 'ask__add', { a: 9, b: 9 });
  await asked;
  assert.equal(unanswered.output?.isError, true);
  assert.match(
    unanswered.output?.content[0]?.text ?? '',
    /no operator decided within 200 ms; askFallback=deny/,
  );
});
