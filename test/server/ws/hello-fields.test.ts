import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLAWGATE_BUILD_ID } from '../../../src/version.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { connectClient } from '../../helpers/raw-client.ts';

type Hello = {
  server: { buildId?: string };
  features: { methods: string[]; capabilities?: string[] };
  snapshot: { appliedConfigHash?: string };
  auth: { method?: string };
};

test('hello-ok carries what OpenClaw 2026.9.6 clients read: capabilities, buildId, auth.method, appliedConfigHash', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const payload = hello.payload as Hello;
  assert.deepEqual(payload.features.capabilities, ['published-model-catalog']);
  assert.equal(payload.server.buildId, CLAWGATE_BUILD_ID);
  assert.equal(payload.auth.method, 'token');
  const config = (await client.request('config.get')).payload as { hash: string };
  assert.equal(payload.snapshot.appliedConfigHash, config.hash);
  // Callable for clawgate's own clients, but not an OpenClaw method, so not advertised.
  assert.equal(payload.features.methods.includes('sessions.unsubscribe'), false);
  assert.equal((await client.request('sessions.unsubscribe')).ok, true);
});
