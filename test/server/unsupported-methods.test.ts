import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openClawMethodScope } from '../../src/server/authz/openclaw-methods.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { officialMethods } from '../helpers/official-schemas.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('the generated table is the pinned official method map', () => {
  for (const [name, info] of Object.entries(officialMethods())) {
    const expected = !info.scope || info.scope === 'dynamic' ? 'operator.admin' : info.scope;
    assert.equal(openClawMethodScope(name), expected, name);
  }
  assert.equal(openClawMethodScope('foo.bar'), undefined);
});

test('an OpenClaw method clawgate lacks is "not supported" to a caller with its scope; unknown names need admin', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: reader } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.close());

  const missing = await reader.request('environments.list', {});
  assert.deepEqual(missing.error, {
    code: 'INVALID_REQUEST',
    message: 'environments.list is not supported by this gateway (clawgate) yet',
    details: { code: 'METHOD_NOT_SUPPORTED', method: 'environments.list' },
  });
  const write = await reader.request('tools.invoke', {});
  assert.equal(write.error?.code, 'FORBIDDEN');
  assert.equal(write.error?.message, 'missing scope: operator.write');
  const unknown = await reader.request('foo.bar', {});
  assert.equal(unknown.error?.message, 'missing scope: operator.admin');

  const { client: admin } = await connectClient(gw.url, gw.token);
  t.after(() => admin.close());
  assert.equal((await admin.request('foo.bar', {})).error?.message, 'unknown method: foo.bar');
  assert.equal((await admin.request('environments.list', {})).error?.details?.code, 'METHOD_NOT_SUPPORTED');
});
