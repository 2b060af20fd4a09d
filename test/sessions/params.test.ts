import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('list sizes beyond what the store can take are refused as bad params, not internal errors', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  for (const params of [{ limit: 1e300 }, { offset: 1e300 }, { limit: 10_001 }]) {
    const res = await client.request('sessions.list', params);
    assert.equal(res.ok, false);
    assert.equal(res.error?.code, 'INVALID_REQUEST');
    assert.match(res.error?.message ?? '', /^invalid sessions\.list params: (limit|offset) /);
  }
  const ok = await client.request('sessions.list', { limit: 10_000 });
  assert.equal(ok.ok, true, JSON.stringify(ok.error));
});
