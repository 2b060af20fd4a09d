import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GatewayContext } from '../../src/server/context.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import { exited, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';

const ALL = ['operator.admin', 'operator.approvals', 'operator.read', 'operator.write'];
const ENV = { PATH: '/usr/bin:/bin' };

function contextProbe(): { module: GatewayModule; ctx: Promise<GatewayContext> } {
  let capture!: (ctx: GatewayContext) => void;
  const ctx = new Promise<GatewayContext>((resolve) => {
    capture = resolve;
  });
  const module: GatewayModule = {
    id: 'test-probe',
    services: [{ name: 'test-probe', phase: 'post-attach', start: (c) => capture(c), stop: () => undefined }],
  };
  return { module, ctx };
}

async function connect(
  t: { after(fn: () => void): void },
  url: string,
  scopes: string[],
  caps: string[] = [],
) {
  const { client, hello } = await connectClient(url, TEST_TOKEN, { scopes, caps });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

async function requestedCount(c: RawClient, count: number): Promise<string> {
  for (;;) {
    const events = c.frames.filter((f) => f.event === 'exec.approval.requested');
    if (events.length >= count) return (events[count - 1].payload as { id: string }).id;
    await c.waitFor((f) => f.event === 'exec.approval.requested' && !events.includes(f));
  }
}

test('decisions, Always-allow entries and history survive a restart; a prompt open at shutdown is cancelled', async (t) => {
  const stateDir = tempDir(t, 'clawgate-approvals-restart-');
  const workspace = join(stateDir, 'workspace');
  mkdirSync(workspace);
  const request = (command: string) => ({
    agentId: 'main',
    sessionKey: 'agent:main:main',
    runId: 'run-1',
    command,
    cwd: workspace,
  });

  const first = contextProbe();
  const gw1 = await startTestGateway({ stateDir, modules: [first.module], env: ENV });
  const ctx1 = await first.ctx;
  const approver = await connect(t, gw1.url, ['operator.approvals'], ['exec-approvals']);
  const signal = new AbortController().signal;
  const always = ctx1.approvals.gate.check(request('ls -la'), signal);
  const alwaysId = await requestedCount(approver, 1);
  assert.equal(
    (await approver.request('exec.approval.resolve', { id: alwaysId, decision: 'allow-always' })).ok,
    true,
  );
  assert.deepEqual(await always, { allowed: true, via: 'approval', approvalId: alwaysId });
  const open = ctx1.approvals.gate.check(request('uname -a'), signal);
  const openId = await requestedCount(approver, 2);
  await gw1.close();
  assert.deepEqual(await open, {
    allowed: false,
    reason: 'the approval was cancelled because the gateway is stopping',
    approvalId: openId,
  });

  const second = contextProbe();
  const gw2 = await startTestGateway({ stateDir, modules: [second.module], env: ENV });
  t.after(() => gw2.close());
  const ctx2 = await second.ctx;
  // Nobody is connected to ask, and nobody needs to be: the Always-allow entry covers the command.
  assert.deepEqual(await ctx2.approvals.gate.check(request('ls -la'), signal), {
    allowed: true,
    via: 'allowlist',
  });
  const admin = await connect(t, gw2.url, ALL);
  const history = (await admin.request('approval.history', {})).payload as {
    items: { id: string; status: string; reason: string; decision?: string }[];
  };
  assertMatchesOfficial('ApprovalHistoryResult', history);
  assert.deepEqual(
    history.items.map((item) => [item.id, item.status, item.reason, item.decision]),
    [
      [openId, 'cancelled', 'gateway-restart', undefined],
      [alwaysId, 'allowed', 'user', 'allow-always'],
    ],
  );
  const snapshot = (await admin.request('exec.approvals.get', {})).payload as {
    file: { agents: { main: { allowlist: { pattern: string; source: string }[] } } };
  };
  assert.deepEqual(
    snapshot.file.agents.main.allowlist.map((entry) => [entry.pattern, entry.source]),
    [['/usr/bin/ls', 'allow-always']],
  );
});

test('a prompt pending when the gateway is killed (-9) is recorded cancelled (gateway-restart) on the next start', async (t) => {
  const stateDir = tempDir(t, 'clawgate-approvals-crash-');
  const child = await startGatewayChild(t, ['--port', '0', '--token', TEST_TOKEN], stateDir);
  const requester = await connect(t, child.url, ALL);
  await connect(t, child.url, ['operator.approvals'], ['exec-approvals']);
  requester.send({
    type: 'req',
    id: 'q1',
    method: 'exec.approval.request',
    params: { command: 'shutdown -h now', agentId: 'main', twoPhase: true, timeoutMs: 600_000 },
  });
  const accepted = (await requester.response('q1')).payload as { id: string; status: string };
  assert.equal(accepted.status, 'accepted');
  child.child.kill('SIGKILL');
  await exited(child.child);

  const gw = await startTestGateway({ stateDir });
  t.after(() => gw.close());
  const admin = await connect(t, gw.url, ALL);
  const got = (await admin.request('approval.get', { id: accepted.id })).payload as {
    approval: { status: string; reason: string; resolver: unknown };
  };
  assertMatchesOfficial('ApprovalGetResult', got);
  assert.deepEqual(
    [got.approval.status, got.approval.reason, got.approval.resolver],
    ['cancelled', 'gateway-restart', { kind: 'system', id: 'gateway-restart' }],
  );
  assert.deepEqual((await admin.request('exec.approval.list', {})).payload, []);
  const wait = await admin.request('exec.approval.waitDecision', { id: accepted.id });
  assert.deepEqual(wait.payload, {
    id: accepted.id,
    decision: null,
    createdAtMs: (got.approval as unknown as { createdAtMs: number }).createdAtMs,
    expiresAtMs: (got.approval as unknown as { expiresAtMs: number }).expiresAtMs,
    terminalReason: 'gateway-restart',
  });
});
