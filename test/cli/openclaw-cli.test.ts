import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';

// The first run installs the real CLI into the cache outside the checkout; that is not part of any test's time.
ensureOpenClaw();

test('the real openclaw CLI calls a method on clawgate and reads its answer', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const run = await runOpenClaw(t, ['gateway', 'call', 'health', '--json'], { url: gw.url, token: gw.token });
  assert.equal(run.code, 0, run.stderr);
  const health = JSON.parse(run.stdout) as { ok: boolean; agents: { agentId: string }[] };
  assert.equal(health.ok, true);
  assert.deepEqual(
    health.agents.map((a) => a.agentId),
    ['main'],
  );
});
