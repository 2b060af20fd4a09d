import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayContext } from '../../src/server/context.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial, officialMethods } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

const ALL = ['operator.admin', 'operator.approvals', 'operator.read', 'operator.write'];

type Accepted = { status: string; id: string; createdAtMs: number; expiresAtMs: number };

async function client(
  t: { after(fn: () => void): void },
  gw: TestGateway,
  scopes: string[],
  caps: string[] = [],
): Promise<RawClient> {
  const { client: c, hello } = await connectClient(gw.url, gw.token, { scopes, caps });
  t.after(() => c.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return c;
}

function ok(frame: Frame): unknown {
  assert.equal(frame.ok, true, JSON.stringify(frame.error));
  return frame.payload;
}

function failed(frame: Frame, code: string, message: RegExp): Frame['error'] {
  assert.equal(frame.ok, false, JSON.stringify(frame.payload));
  assert.equal(frame.error?.code, code);
  assert.match(frame.error?.message ?? '', message);
  return frame.error;
}

/** Opens a two-phase prompt from `requester`; returns its accepted answer and the frame id of the request. */
async function openPrompt(requester: RawClient, params: Record<string, unknown>, frameId: string) {
  requester.send({
    type: 'req',
    id: frameId,
    method: 'exec.approval.request',
    params: { host: 'gateway', agentId: 'main', sessionKey: 'agent:main:main', twoPhase: true, ...params },
  });
  const accepted = ok(await requester.response(frameId)) as Accepted;
  assert.equal(accepted.status, 'accepted');
  return accepted;
}

function secondAnswer(requester: RawClient, frameId: string): Promise<Frame> {
  const first = requester.frames.find((f) => f.type === 'res' && f.id === frameId);
  return requester.waitFor((f) => f.type === 'res' && f.id === frameId && f !== first);
}

test('every approvals method carries the scope of the official method map', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const official = officialMethods();
  const names = [
    'exec.approvals.get',
    'exec.approvals.set',
    'exec.approval.get',
    'exec.approval.list',
    'exec.approval.request',
    'exec.approval.waitDecision',
    'exec.approval.resolve',
    'exec.approval.grants.list',
    'exec.approval.grants.revoke',
    'approval.get',
    'approval.resolve',
    'approval.history',
    'plugin.approval.list',
    'openclaw.approval.list',
  ];
  const approvalsOnly = await client(t, gw, ['operator.approvals']);
  const readOnly = await client(t, gw, ['operator.read', 'operator.write']);
  for (const name of names) {
    const scope = official[name]?.scope;
    assert.ok(scope, `${name} is an official method`);
    // A caller without the scope is refused before anything runs, as the authz layer refuses.
    const denied = scope === 'operator.admin' ? approvalsOnly : readOnly;
    const refused = await denied.request(name, {});
    const error = failed(refused, 'FORBIDDEN', new RegExp(`missing scope: ${scope.replace('.', '\\.')}`));
    assert.deepEqual(error?.details, { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [scope] });
  }
});

test('exec.approvals.get / set: the official snapshot, baseHash concurrency, values checked by field', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const admin = await client(t, gw, ALL);
  const first = ok(await admin.request('exec.approvals.get', {})) as {
    hash: string;
    exists: boolean;
    path: string;
  };
  assertMatchesOfficial('ExecApprovalsSnapshot', first);
  assert.equal(first.exists, false);
  assert.match(first.path, /clawgate\.db#exec_approvals_config$/);
  assert.deepEqual((first as unknown as { resolvedDefaults: unknown }).resolvedDefaults, {
    security: 'allowlist',
    ask: 'on-miss',
    askFallback: 'deny',
    autoAllowSkills: false,
  });

  const file = {
    version: 1,
    defaults: { security: 'allowlist', ask: 'on-miss', askFallback: 'deny' },
    agents: {
      main: { allowlist: [{ pattern: '/usr/bin/git' }, { pattern: 'rg', argPattern: '^--version$' }] },
    },
  };
  // Before anything is stored a writer may leave the hash out (or send the empty document's).
  const set = ok(await admin.request('exec.approvals.set', { file, baseHash: first.hash })) as {
    hash: string;
  };
  assertMatchesOfficial('ExecApprovalsSnapshot', set);
  assert.notEqual(set.hash, first.hash);
  failed(await admin.request('exec.approvals.set', { file }), 'INVALID_REQUEST', /base hash required/);
  failed(
    await admin.request('exec.approvals.set', { file, baseHash: first.hash }),
    'INVALID_REQUEST',
    /exec approvals changed since last load; re-run exec.approvals.get and retry/,
  );
  failed(
    await admin.request('exec.approvals.set', {
      file: { version: 1, defaults: { ask: 'maybe' } },
      baseHash: set.hash,
    }),
    'INVALID_REQUEST',
    /file\.defaults\.ask must be off, on-miss or always/,
  );
  failed(
    await admin.request('exec.approvals.set', { file: { version: 2 }, baseHash: set.hash }),
    'INVALID_REQUEST',
    /invalid exec\.approvals\.set params/,
  );
  const read = ok(await admin.request('exec.approvals.get', {})) as {
    hash: string;
    exists: boolean;
    file: { agents: { main: { allowlist: { id: string; pattern: string }[] } } };
  };
  assertMatchesOfficial('ExecApprovalsSnapshot', read);
  assert.equal(read.hash, set.hash);
  assert.equal(read.exists, true);
  assert.deepEqual(
    read.file.agents.main.allowlist.map((entry) => entry.pattern),
    ['/usr/bin/git', 'rg'],
  );
  assert.ok(
    read.file.agents.main.allowlist.every((entry) => entry.id.length > 0),
    'every entry gets an id',
  );
});

test('prompts: request (one and two phase), list, get, waitDecision, resolve, history; every result official', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const requester = await client(t, gw, ALL);
  // A prompt nobody can be shown (no approval client but the requester) answers at once, undecided.
  const noRoute = ok(
    await requester.request('exec.approval.request', { command: 'ls', timeoutMs: 600_000 }),
  ) as {
    decision: null;
    id: string;
  };
  assert.equal(noRoute.decision, null);
  const noRouteSnapshot = ok(await requester.request('approval.get', { id: noRoute.id })) as {
    approval: { status: string; reason: string };
  };
  assertMatchesOfficial('ApprovalGetResult', noRouteSnapshot);
  assert.deepEqual(
    [noRouteSnapshot.approval.status, noRouteSnapshot.approval.reason],
    ['denied', 'no-route'],
  );

  const approver = await client(t, gw, ['operator.approvals'], ['exec-approvals']);
  const accepted = await openPrompt(
    requester,
    { command: 'make deploy', cwd: '/srv/app', timeoutMs: 60_000 },
    'q1',
  );
  const { id } = accepted;
  assert.equal(accepted.expiresAtMs - accepted.createdAtMs, 60_000);
  const requested = await approver.event('exec.approval.requested');
  const payload = requested.payload as { id: string; approvalKind: string; request: Record<string, unknown> };
  assert.deepEqual(
    [payload.id, payload.approvalKind, payload.request.command, payload.request.cwd],
    [id, 'exec', 'make deploy', '/srv/app'],
  );
  assert.equal(
    requester.frames.some((f) => f.event === 'exec.approval.requested'),
    false,
    'the requester is not shown its own prompt',
  );

  const listed = ok(await approver.request('exec.approval.list', {})) as { id: string }[];
  assert.deepEqual(
    listed.map((entry) => entry.id),
    [id],
  );
  assert.deepEqual(ok(await approver.request('exec.approval.get', { id })), {
    id,
    commandText: 'make deploy',
    commandPreview: null,
    allowedDecisions: ['allow-once', 'allow-always', 'deny'],
    host: 'gateway',
    nodeId: null,
    agentId: 'main',
    expiresAtMs: accepted.expiresAtMs,
  });
  const pending = ok(await approver.request('approval.get', { id }));
  assertMatchesOfficial('ApprovalGetResult', pending);
  assert.equal((pending as { approval: { status: string } }).approval.status, 'pending');

  approver.send({ type: 'req', id: 'w1', method: 'exec.approval.waitDecision', params: { id } });
  failed(
    await approver.request('exec.approval.resolve', { id, decision: 'maybe' }),
    'INVALID_REQUEST',
    /invalid decision/,
  );
  assert.deepEqual(ok(await approver.request('exec.approval.resolve', { id, decision: 'allow-once' })), {
    ok: true,
  });
  const second = ok(await secondAnswer(requester, 'q1'));
  assert.deepEqual(second, {
    id,
    decision: 'allow-once',
    createdAtMs: accepted.createdAtMs,
    expiresAtMs: accepted.expiresAtMs,
  });
  assert.deepEqual(ok(await approver.response('w1')), { ...(second as object), terminalReason: 'user' });
  const resolved = (await approver.event('exec.approval.resolved')).payload as Record<string, unknown>;
  assert.deepEqual([resolved.id, resolved.decision, resolved.resolvedBy], [id, 'allow-once', 'cli']);

  // Repeats: the same decision is acknowledged, another one refused; an unknown id is not found.
  assert.deepEqual(ok(await approver.request('exec.approval.resolve', { id, decision: 'allow-once' })), {
    ok: true,
  });
  const conflict = failed(
    await approver.request('exec.approval.resolve', { id, decision: 'deny' }),
    'INVALID_REQUEST',
    /approval already resolved/,
  );
  assert.deepEqual(conflict?.details, { reason: 'APPROVAL_ALREADY_RESOLVED' });
  const unknown = failed(
    await approver.request('exec.approval.resolve', { id: 'nope', decision: 'deny' }),
    'INVALID_REQUEST',
    /unknown or expired approval id/,
  );
  assert.equal(unknown?.details?.reason, 'APPROVAL_NOT_FOUND');
  failed(
    await approver.request('exec.approval.get', { id }),
    'INVALID_REQUEST',
    /unknown or expired approval id/,
  );
  const repeat = ok(await approver.request('approval.resolve', { id, kind: 'exec', decision: 'deny' }));
  assertMatchesOfficial('ApprovalResolveResult', repeat);
  assert.equal((repeat as { applied: boolean }).applied, false);
  failed(await approver.request('approval.get', { id: 'nope' }), 'INVALID_REQUEST', /approval not found/);

  // One phase: the answer comes when decided, through the kind-agnostic approval.resolve.
  requester.send({
    type: 'req',
    id: 'q2',
    method: 'exec.approval.request',
    params: { command: 'rm -rf build', ask: 'always', agentId: 'main' },
  });
  const second2 = await nextRequested(approver, 2);
  assert.deepEqual(
    second2.request.allowedDecisions,
    ['allow-once', 'deny'],
    'ask=always offers no durable decision',
  );
  const refusedAlways = failed(
    await approver.request('approval.resolve', { id: second2.id, kind: 'exec', decision: 'allow-always' }),
    'INVALID_REQUEST',
    /allow-always is unavailable for this command/,
  );
  assert.equal(refusedAlways?.details?.reason, 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE');
  const applied = ok(
    await approver.request('approval.resolve', { id: second2.id, kind: 'exec', decision: 'deny' }),
  );
  assertMatchesOfficial('ApprovalResolveResult', applied);
  assert.equal((applied as { applied: boolean }).applied, true);
  assert.equal((ok(await requester.response('q2')) as { decision: string }).decision, 'deny');

  // History: newest first, paged by cursor, every page official.
  const page1 = ok(await requester.request('approval.history', { limit: 2 })) as {
    items: { id: string; status: string }[];
    nextCursor?: string;
  };
  assertMatchesOfficial('ApprovalHistoryResult', page1);
  assert.deepEqual(
    page1.items.map((item) => item.id),
    [second2.id, id],
  );
  assert.ok(page1.nextCursor);
  const page2 = ok(await requester.request('approval.history', { limit: 2, cursor: page1.nextCursor })) as {
    items: { id: string }[];
    nextCursor?: string;
  };
  assertMatchesOfficial('ApprovalHistoryResult', page2);
  assert.deepEqual(
    page2.items.map((item) => item.id),
    [noRoute.id],
  );
  assert.equal(page2.nextCursor, undefined);
  assert.deepEqual(ok(await requester.request('approval.history', { kind: 'plugin' })), { items: [] });
  failed(await requester.request('approval.history', { cursor: 'garbage' }), 'INVALID_REQUEST', /cursor/);

  // The other kinds' lists (what the Control UI and `openclaw approvals pending` also ask for) are empty.
  assert.deepEqual(ok(await requester.request('plugin.approval.list', {})), []);
  assert.deepEqual(ok(await requester.request('openclaw.approval.list', {})), []);
  const grants = ok(await requester.request('exec.approval.grants.list', {}));
  assertMatchesOfficial('ExecApprovalGrantsListResult', grants);
  const revoked = ok(await requester.request('exec.approval.grants.revoke', { grantId: 'nope' }));
  assertMatchesOfficial('ExecApprovalGrantsRevokeResult', revoked);
  assert.deepEqual(revoked, { outcome: 'not-found' });

  // Refused requests: no command, the reserved prefix, node hosts, a duplicate id.
  failed(
    await requester.request('exec.approval.request', { command: '  ' }),
    'INVALID_REQUEST',
    /command is required/,
  );
  failed(
    await requester.request('exec.approval.request', { command: 'ls', id: 'plugin:x' }),
    'INVALID_REQUEST',
    /reserved/,
  );
  failed(
    await requester.request('exec.approval.request', { command: 'ls', host: 'node' }),
    'INVALID_REQUEST',
    /host=node/,
  );
  failed(
    await requester.request('exec.approval.request', { command: 'ls', id: noRoute.id }),
    'INVALID_REQUEST',
    /already pending/,
  );
  failed(await requester.request('exec.approval.waitDecision', {}), 'INVALID_REQUEST', /id is required/);
});

/** The `count`-th exec.approval.requested payload the client has received. */
async function nextRequested(c: RawClient, count: number) {
  for (;;) {
    const events = c.frames.filter((f) => f.event === 'exec.approval.requested');
    if (events.length >= count) {
      return events[count - 1].payload as { id: string; request: { allowedDecisions: string[] } };
    }
    await c.waitFor((f) => f.event === 'exec.approval.requested' && !events.includes(f));
  }
}

/** Captures the gateway context as a plugin's service would see it (the exec tool's view of the gate). */
function contextProbe(): { module: GatewayModule; ctx: Promise<GatewayContext> } {
  let capture!: (ctx: GatewayContext) => void;
  const ctx = new Promise<GatewayContext>((resolve) => {
    capture = resolve;
  });
  return {
    ctx,
    module: {
      id: 'test-probe',
      services: [
        { name: 'test-probe', phase: 'post-attach', start: (c) => capture(c), stop: () => undefined },
      ],
    },
  };
}

test('security: a resolve without operator.approvals is FORBIDDEN and changes nothing; events reach only approval clients', async (t) => {
  const probe = contextProbe();
  const gw = await startTestGateway({ modules: [probe.module] });
  t.after(() => gw.close());
  const ctx = await probe.ctx;
  const writer = await client(t, gw, ['operator.read', 'operator.write']);
  const adminNoCaps = await client(t, gw, ALL);
  const scopeNoCaps = await client(t, gw, ['operator.approvals']);
  const approver = await client(t, gw, ['operator.approvals'], ['exec-approvals']);
  const capsNoScope = await client(t, gw, ['operator.read'], ['exec-approvals']);

  const controller = new AbortController();
  const decision = ctx.approvals.gate.check(
    {
      agentId: 'main',
      sessionKey: 'agent:main:main',
      runId: 'r1',
      command: 'curl https://example.com | sh',
      cwd: '/tmp',
    },
    controller.signal,
  );
  const requested = await approver.event('exec.approval.requested');
  const { id } = requested.payload as { id: string };

  for (const intruder of [writer, capsNoScope]) {
    for (const method of ['exec.approval.resolve', 'approval.resolve']) {
      const refused = await intruder.request(method, { id, kind: 'exec', decision: 'allow-once' });
      const error = failed(refused, 'FORBIDDEN', /missing scope: operator\.approvals/);
      assert.equal(error?.details?.code, 'MISSING_SCOPE');
    }
  }
  // Still pending: the refused calls decided nothing.
  assert.equal(ctx.approvals.service.pendingApproval(id)?.status, 'pending');
  assert.deepEqual(ok(await approver.request('exec.approval.resolve', { id, decision: 'deny' })), {
    ok: true,
  });
  assert.deepEqual(await decision, { allowed: false, reason: 'denied by an operator', approvalId: id });
  await approver.event('exec.approval.resolved');

  // Only the approval client saw either event; a read/write client, an admin or approvals scope without the
  // approvals capability, and the capability without the scope saw none (and no seq gap: nothing was addressed).
  for (const other of [writer, adminNoCaps, scopeNoCaps, capsNoScope]) {
    await other.request('health', {});
    assert.deepEqual(
      other.frames.filter((f) => f.event?.startsWith('exec.approval')),
      [],
      'no approval event for a non-approval client',
    );
  }
  const seqs = approver.frames
    .filter((f) => f.type === 'event' && f.seq !== undefined)
    .map((f) => f.seq as number);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => seqs[0] + i),
    'contiguous seq on the approval client',
  );
});
