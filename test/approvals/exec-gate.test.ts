import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ExecGateDecision } from '../../src/agents/tools/tool-types.ts';
import { EXEC_APPROVAL_TIMEOUT_MS } from '../../src/config/limits.ts';
import { approvalsHarness, type Harness, untilSent } from './harness.ts';

type Requested = { id: string; request: { allowedDecisions: string[]; warningText: string | null } };

/** Starts a check and waits until its prompt is out; returns the pending decision and the prompt. */
async function prompted(h: Harness, command: string, extra = {}, signal = new AbortController().signal) {
  const before = h.events.named('exec.approval.requested').length;
  const decision = h.approvals.gate.check(h.request(command, extra), signal);
  const sent = await untilSent(h, 'exec.approval.requested', before + 1);
  return { decision, prompt: sent.payload as Requested };
}

async function setDocument(h: Harness, file: Record<string, unknown>) {
  const { hash, exists } = await h.approvals.document.read();
  await h.approvals.document.replace({ version: 1, ...file }, exists ? hash : undefined, h.clock.now());
}

function resolve(h: Harness, id: string, decision: 'allow-once' | 'allow-always' | 'deny') {
  return h.approvals.service.resolve(id, decision, { kind: 'runtime', id: 'test' }, 'test');
}

test('the secure default: a command the allowlist does not cover waits for an operator, who allows it once', async (t) => {
  const h = await approvalsHarness(t);
  const { decision, prompt } = await prompted(h, 'tool --build');
  assert.deepEqual(prompt.request.allowedDecisions, ['allow-once', 'allow-always', 'deny']);
  assert.deepEqual(h.events.named('exec.approval.requested')[0].to, ['approver']);
  assert.equal((await resolve(h, prompt.id, 'allow-once')).kind, 'resolved');
  assert.deepEqual(await decision, { allowed: true, via: 'approval', approvalId: prompt.id });
  const stored = await h.approvals.service.get(prompt.id);
  assert.equal(stored?.status, 'allowed');
  assert.equal(stored?.reason, 'user');
  // allow-once leaves no trace in the allowlist: the same command asks again.
  const again = await prompted(h, 'tool --build');
  await resolve(h, again.prompt.id, 'deny');
  assert.deepEqual(await again.decision, {
    allowed: false,
    reason: 'denied by an operator',
    approvalId: again.prompt.id,
  });
  assert.equal(h.clock.pendingTimers, 0, 'no timeout left armed');
});

test('with no approval client connected the prompt takes its fallback at once (never waits 30 minutes)', async (t) => {
  const h = await approvalsHarness(t, { approver: false });
  const decision = await h.approvals.gate.check(h.request('tool'), new AbortController().signal);
  assert.equal(decision.allowed, false);
  assert.match((decision as { reason: string }).reason, /no approval client is connected.*askFallback=deny/);
  const id = (decision as { approvalId: string }).approvalId;
  const stored = await h.approvals.service.get(id);
  assert.deepEqual(
    [stored?.status, stored?.reason, stored?.resolver],
    ['denied', 'no-route', { kind: 'system', id: 'no-approval-route' }],
  );
  assert.equal(h.clock.pendingTimers, 0);
});

test('a decision that never comes resolves by askFallback after the timeout (injected clock)', async (t) => {
  const h = await approvalsHarness(t);
  assert.equal(h.config.approvals.exec.timeoutMs, EXEC_APPROVAL_TIMEOUT_MS);
  const { decision, prompt } = await prompted(h, 'tool');
  let settled: ExecGateDecision | undefined;
  decision.then((value) => {
    settled = value;
  });
  await h.clock.advance(EXEC_APPROVAL_TIMEOUT_MS - 1);
  assert.equal(settled, undefined, 'still waiting a millisecond before the timeout');
  await h.clock.advance(1);
  const result = await decision;
  assert.equal(result.allowed, false);
  assert.match(
    (result as { reason: string }).reason,
    /no operator decided within 1800000 ms; askFallback=deny/,
  );
  const stored = await h.approvals.service.get(prompt.id);
  assert.deepEqual([stored?.status, stored?.reason], ['expired', 'timeout']);
  const resolved = await untilSent(h, 'exec.approval.resolved');
  assert.deepEqual((resolved.payload as { decision: string }).decision, 'deny');
  // Too late: an operator answering after the timeout is told it was settled.
  assert.equal((await resolve(h, prompt.id, 'allow-once')).kind, 'settled');
});

test('askFallback allowlist and full, never looser than security', async (t) => {
  const h = await approvalsHarness(t);
  h.config.approvals.exec.timeoutMs = 1_000;
  const git = join(h.binDir, 'git');
  // ask: always prompts even for an allowlisted command; on timeout the allowlist fallback lets it run.
  await setDocument(h, {
    defaults: { ask: 'always', askFallback: 'allowlist' },
    agents: { main: { allowlist: [{ pattern: git }] } },
  });
  let check = await prompted(h, 'git status');
  assert.deepEqual(
    check.prompt.request.allowedDecisions,
    ['allow-once', 'deny'],
    'ask=always offers no durable decision',
  );
  await h.clock.advance(1_000);
  assert.deepEqual(await check.decision, { allowed: true, via: 'allowlist', approvalId: check.prompt.id });
  check = await prompted(h, 'tool');
  await h.clock.advance(1_000);
  assert.equal((await check.decision).allowed, false, 'the allowlist fallback still refuses a miss');

  // askFallback full under security allowlist: a miss is still refused (the fallback adds no stricter limit,
  // and lifts none either).
  await setDocument(h, { defaults: { askFallback: 'full' } });
  check = await prompted(h, 'tool');
  await h.clock.advance(1_000);
  assert.equal((await check.decision).allowed, false);

  // Under security full with ask always, askFallback full lets it run.
  h.config.tools.exec.security = 'full';
  await setDocument(h, { defaults: { ask: 'always', askFallback: 'full' } });
  check = await prompted(h, 'tool');
  await h.clock.advance(1_000);
  assert.deepEqual(await check.decision, { allowed: true, via: 'policy', approvalId: check.prompt.id });
});

test("the turn's AbortSignal ends the wait: denied, recorded cancelled, and announced", async (t) => {
  const h = await approvalsHarness(t);
  const controller = new AbortController();
  const { decision, prompt } = await prompted(h, 'tool', {}, controller.signal);
  controller.abort();
  assert.deepEqual(await decision, {
    allowed: false,
    reason: 'the run ended while the command waited for approval',
    approvalId: prompt.id,
  });
  const stored = await h.approvals.service.get(prompt.id);
  assert.deepEqual([stored?.status, stored?.reason], ['cancelled', 'run-aborted']);
  const resolved = await untilSent(h, 'exec.approval.resolved');
  assert.equal((resolved.payload as { id: string }).id, prompt.id);
  assert.equal(h.clock.pendingTimers, 0);
  // An already aborted signal is refused without a prompt.
  const aborted = await h.approvals.gate.check(h.request('tool'), controller.signal);
  assert.equal(aborted.allowed, false);
  assert.equal(h.events.named('exec.approval.requested').length, 1);
});

test('policy matrix: security × ask × allowlist hit/miss', async (t) => {
  const h = await approvalsHarness(t);
  await setDocument(h, { agents: { main: { allowlist: [{ pattern: join(h.binDir, 'git') }] } } });
  const cases: [
    security: 'deny' | 'allowlist' | 'full',
    ask: 'off' | 'on-miss' | 'always',
    command: string,
    expect: string,
  ][] = [
    ['deny', 'off', 'git status', 'deny'],
    ['deny', 'always', 'git status', 'deny'],
    ['allowlist', 'off', 'git status', 'allow:allowlist'],
    ['allowlist', 'off', 'tool', 'deny'],
    ['allowlist', 'on-miss', 'git status', 'allow:allowlist'],
    ['allowlist', 'on-miss', 'tool', 'prompt'],
    ['allowlist', 'always', 'git status', 'prompt'],
    ['full', 'off', 'tool', 'allow:policy'],
    ['full', 'on-miss', 'git status', 'allow:policy'],
    ['full', 'on-miss', 'tool', 'prompt'],
    ['full', 'always', 'tool', 'prompt'],
  ];
  for (const [security, ask, command, expect] of cases) {
    h.config.tools.exec.security = security;
    h.config.tools.exec.ask = ask;
    const before = h.events.named('exec.approval.requested').length;
    const pending = h.approvals.gate.check(h.request(command), new AbortController().signal);
    const raced = await Promise.race([
      pending,
      untilSent(h, 'exec.approval.requested', before + 1).then(() => 'prompt'),
    ]);
    const label = `${security}/${ask} ${command}`;
    if (expect === 'prompt') {
      assert.equal(raced, 'prompt', label);
      const { id } = h.events.named('exec.approval.requested')[before].payload as Requested;
      await resolve(h, id, 'deny');
      await pending;
      continue;
    }
    const decision = raced as ExecGateDecision;
    assert.equal(
      decision.allowed ? `allow:${decision.via}` : 'deny',
      expect,
      `${label}: ${JSON.stringify(decision)}`,
    );
  }
});

test('the approvals document tightens the config policy and never loosens it', async (t) => {
  const h = await approvalsHarness(t);
  // Config asks on a miss; the document claiming full access changes nothing.
  await setDocument(h, { defaults: { security: 'full', ask: 'off' } });
  const loosened = await prompted(h, 'tool');
  await resolve(h, loosened.prompt.id, 'deny');
  await loosened.decision;
  // Config runs everything; the agent's entry asks every time, the `*` entry is overridden by it.
  h.config.tools.exec.security = 'full';
  h.config.tools.exec.ask = 'off';
  await setDocument(h, { agents: { '*': { ask: 'off' }, main: { ask: 'always' } } });
  const tightened = await prompted(h, 'tool');
  await resolve(h, tightened.prompt.id, 'allow-once');
  assert.equal((await tightened.decision).allowed, true);
  // Another agent falls under `*` and the config: it runs without asking.
  assert.deepEqual(
    await h.approvals.gate.check(h.request('tool', { agentId: 'ops' }), new AbortController().signal),
    {
      allowed: true,
      via: 'policy',
    },
  );
  // Denied for one agent in the document: refused without a prompt.
  await setDocument(h, { agents: { main: { security: 'deny' } } });
  const denied = await h.approvals.gate.check(h.request('tool'), new AbortController().signal);
  assert.match((denied as { reason: string }).reason, /security=deny/);
});

test('allow-always adds an entry bound to the exact argv and directory; other args or dirs ask again', async (t) => {
  const h = await approvalsHarness(t);
  const first = await prompted(h, 'deploy --prod');
  await resolve(h, first.prompt.id, 'allow-always');
  assert.deepEqual(await first.decision, { allowed: true, via: 'approval', approvalId: first.prompt.id });
  const { file } = await h.approvals.document.read();
  const [entry] = file.agents.main.allowlist ?? [];
  assert.equal(entry.pattern, join(h.binDir, 'deploy'));
  assert.equal(entry.source, 'allow-always');
  assert.match(entry.argPattern ?? '', /^sha256:cwd-argv:v1:[0-9a-f]{64}$/);

  assert.deepEqual(await h.approvals.gate.check(h.request('deploy --prod'), new AbortController().signal), {
    allowed: true,
    via: 'allowlist',
  });
  const prompts = h.events.named('exec.approval.requested').length;
  const otherArgs = await prompted(h, 'deploy --staging');
  await resolve(h, otherArgs.prompt.id, 'deny');
  await otherArgs.decision;
  const otherDir = join(h.workspace, 'sub');
  mkdirSync(otherDir);
  const elsewhere = await prompted(h, 'deploy --prod', { cwd: otherDir });
  await resolve(h, elsewhere.prompt.id, 'deny');
  await elsewhere.decision;
  assert.equal(h.events.named('exec.approval.requested').length, prompts + 2);
  // The entry's use is stamped, without the command text (generated entries keep argv only as a hash).
  const used = (await h.approvals.document.read()).file.agents.main.allowlist?.[0];
  assert.equal(used?.lastResolvedPath, join(h.binDir, 'deploy'));
  assert.equal(used?.lastUsedCommand, undefined);
});

test('chains need every segment covered; safe bins cover stdin filters; unanalysable commands always ask', async (t) => {
  const h = await approvalsHarness(t);
  const git = join(h.binDir, 'git');
  await setDocument(h, { agents: { main: { allowlist: [{ pattern: git }] } } });
  const signal = new AbortController().signal;
  assert.equal(
    (await h.approvals.gate.check(h.request('git log | head -n 5 | wc -l'), signal)).allowed,
    true,
  );
  assert.equal((await h.approvals.gate.check(h.request('git status && git diff'), signal)).allowed, true);

  const chained = await prompted(h, 'git status && tool');
  assert.deepEqual(chained.prompt.request.allowedDecisions, ['allow-once', 'allow-always', 'deny']);
  await resolve(h, chained.prompt.id, 'allow-always');
  await chained.decision;
  // Only the uncovered segment was added, bound to its argv.
  const entries = (await h.approvals.document.read()).file.agents.main.allowlist ?? [];
  assert.deepEqual(
    entries.map((entry) => entry.pattern),
    [git, join(h.binDir, 'tool')],
  );
  assert.equal((await h.approvals.gate.check(h.request('git status && tool'), signal)).allowed, true);

  // A safe bin given a file operand is not one.
  const fileRead = await prompted(h, 'head /etc/passwd');
  await resolve(h, fileRead.prompt.id, 'deny');
  await fileRead.decision;

  const substituted = await prompted(h, 'git $(whoami)');
  assert.match(substituted.prompt.request.warningText ?? '', /command substitution/);
  assert.deepEqual(
    substituted.prompt.request.allowedDecisions,
    ['allow-once', 'deny'],
    'nothing exact to remember',
  );
  await resolve(h, substituted.prompt.id, 'allow-always').then((outcome) =>
    assert.equal(outcome.kind, 'unavailable'),
  );
  await resolve(h, substituted.prompt.id, 'deny');
  await substituted.decision;
});

test('a manual allowlist entry is stamped with its last use', async (t) => {
  const h = await approvalsHarness(t);
  await setDocument(h, {
    agents: { main: { allowlist: [{ pattern: 'git', argPattern: '^status$' }, { pattern: 'tool' }] } },
  });
  const signal = new AbortController().signal;
  assert.equal((await h.approvals.gate.check(h.request('git status'), signal)).allowed, true);
  assert.equal((await h.approvals.gate.check(h.request('tool -x'), signal)).allowed, true);
  await h.settle();
  const [git, tool] = (await h.approvals.document.read()).file.agents.main.allowlist ?? [];
  assert.equal(git.lastUsedCommand, 'git status');
  assert.equal(git.lastResolvedPath, join(h.binDir, 'git'));
  assert.equal(tool.lastUsedAt, h.clock.now());
  // At most one stamp a minute per entry: each rewrites the document (and its hash, which editors compare).
  const { hash } = await h.approvals.document.read();
  await h.clock.advance(59_000);
  await h.approvals.gate.check(h.request('tool -y'), signal);
  await h.settle();
  assert.equal((await h.approvals.document.read()).hash, hash);
  await h.clock.advance(1_000);
  await h.approvals.gate.check(h.request('tool -y'), signal);
  await h.settle();
  assert.equal((await h.approvals.document.read()).file.agents.main.allowlist?.[1].lastUsedAt, h.clock.now());
  const narrowed = await prompted(h, 'git push');
  await resolve(h, narrowed.prompt.id, 'deny');
  await narrowed.decision;
});

test("standing grants: Always allow on an automation's prompt covers that job's exact command until revoked or edited", async (t) => {
  const h = await approvalsHarness(t);
  h.jobs.set('job-1', { agentId: 'main', name: 'Nightly deploy', revision: 'r1' });
  const automation = { automation: { jobId: 'job-1' }, runId: 'cron:job-1:1' };
  const first = await prompted(h, 'deploy --prod', automation);
  const scope = (first.prompt.request as { scope?: { kind: string; automation: string } }).scope;
  assert.deepEqual([scope?.kind, scope?.automation], ['standing-grant', 'Nightly deploy']);
  await resolve(h, first.prompt.id, 'allow-always');
  await first.decision;
  assert.equal(
    (await h.approvals.document.read()).file.agents.main,
    undefined,
    'no allowlist entry is written',
  );
  const [grant] = await h.approvals.grants.list();
  assert.deepEqual(
    [grant.cronJobId, grant.command, grant.mintedByApprovalId],
    ['job-1', 'deploy --prod', first.prompt.id],
  );

  const signal = new AbortController().signal;
  assert.deepEqual(await h.approvals.gate.check(h.request('deploy --prod', automation), signal), {
    allowed: true,
    via: 'allowlist',
  });
  assert.equal((await h.approvals.grants.list())[0].useCount, 1);
  // The grant is the job's alone: the same command outside it asks.
  const outside = await prompted(h, 'deploy --prod');
  await resolve(h, outside.prompt.id, 'deny');
  await outside.decision;
  // An edit of the job stops it matching.
  h.jobs.set('job-1', { agentId: 'main', name: 'Nightly deploy', revision: 'r2' });
  const edited = await prompted(h, 'deploy --prod', automation);
  await resolve(h, edited.prompt.id, 'deny');
  await edited.decision;
  h.jobs.set('job-1', { agentId: 'main', name: 'Nightly deploy', revision: 'r1' });
  assert.equal(await h.approvals.grants.revoke(grant.grantId, 'tester'), 'revoked');
  assert.equal(await h.approvals.grants.revoke(grant.grantId, 'tester'), 'already-revoked');
  assert.equal(await h.approvals.grants.revoke('nope', 'tester'), 'not-found');
  const revoked = await prompted(h, 'deploy --prod', automation);
  await resolve(h, revoked.prompt.id, 'deny');
  await revoked.decision;
});

test('a store that fails denies the command instead of hanging or throwing', async (t) => {
  const h = await approvalsHarness(t);
  h.sqlite.close();
  const decision = await h.approvals.gate.check(h.request('tool'), new AbortController().signal);
  assert.equal(decision.allowed, false);
  assert.match((decision as { reason: string }).reason, /exec approvals are unavailable/);
});

test('history keeps the rolling 30 days: older resolved approvals are pruned at start-up', async (t) => {
  const h = await approvalsHarness(t);
  const old = await prompted(h, 'tool --old');
  await resolve(h, old.prompt.id, 'deny');
  await old.decision;
  await h.clock.advance(31 * 86_400_000);
  const recent = await prompted(h, 'tool --recent');
  await resolve(h, recent.prompt.id, 'deny');
  await recent.decision;
  await h.approvals.start();
  assert.equal(await h.approvals.service.get(old.prompt.id), undefined);
  assert.equal((await h.approvals.service.get(recent.prompt.id))?.status, 'denied');
});
