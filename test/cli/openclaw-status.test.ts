import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { connectClient } from '../helpers/raw-client.ts';

ensureOpenClaw();

test('a probe socket without scopes gets health, as on OpenClaw, and nothing that needs read', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, gw.token, {
    scopes: [],
    client: { id: 'openclaw-probe', mode: 'probe', version: '1', platform: 'linux' },
  });
  t.after(() => client.close());
  assert.deepEqual((hello.payload as { auth: { scopes: string[] } }).auth.scopes, []);
  const health = await client.request('health');
  assert.equal(health.ok, true, JSON.stringify(health.error));
  assert.equal((await client.request('status')).error?.message, 'missing scope: operator.read');
});

test('openclaw status reports clawgate reachable, with no connection error', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const run = await runOpenClaw(t, ['status', '--json'], { url: gw.url, token: gw.token });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const status = JSON.parse(run.stdout) as { gateway: { reachable: boolean; error: unknown; url: string } };
  assert.equal(status.gateway.url, gw.url);
  assert.equal(status.gateway.reachable, true);
  assert.equal(status.gateway.error, null);
});
