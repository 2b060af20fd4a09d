import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('a gateway starts, answers /health and /readyz, and accepts a token client', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const health = await fetch(`${gw.httpUrl}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, status: 'live' });
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { ready: boolean }).ready, true);

  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const payload = hello.payload as { type: string; protocol: number; auth: { scopes: string[] } };
  assert.equal(payload.type, 'hello-ok');
  assert.equal(payload.protocol, 4);
  assert.deepEqual(payload.auth.scopes, ['operator.admin']);
  const res = await client.request('health');
  assert.equal(res.ok, true);
  assert.equal((res.payload as { ok: boolean }).ok, true);
});
