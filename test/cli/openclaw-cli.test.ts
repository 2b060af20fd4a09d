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

test('openclaw models list: clawgate offers the published model catalog the CLI requires', async (t) => {
  const gw = await startTestGateway({
    config: {
      models: {
        providers: {
          local: { baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions', models: [{ id: 'llama3' }] },
        },
      },
    },
  });
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };
  const all = await runOpenClaw(t, ['models', 'list', '--json'], cli);
  assert.equal(all.code, 0, all.stdout + all.stderr);
  const keys = (JSON.parse(all.stdout) as { models: { key: string }[] }).models.map((m) => m.key);
  assert.deepEqual(keys.sort(), ['echo/echo', 'local/llama3']);
  const filtered = await runOpenClaw(t, ['models', 'list', '--provider', 'local', '--json'], cli);
  assert.equal(filtered.code, 0, filtered.stdout + filtered.stderr);
  assert.deepEqual(
    (JSON.parse(filtered.stdout) as { models: { key: string }[] }).models.map((m) => m.key),
    ['local/llama3'],
  );
});
