import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

/**
 * `openclaw doctor` asks `diagnostics.stability {type: "telemetry.exporter", limit: 1000}` for its "Telemetry
 * exporters" section and printed "Exporter diagnostics failed" while clawgate refused the method.
 */
test('diagnostics.stability answers a reader with an empty snapshot in OpenClaw’s shape and checks its query', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: reader } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.close());

  const before = Date.now();
  const res = await reader.request('diagnostics.stability', { type: 'telemetry.exporter', limit: 1000 });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const { generatedAt, ...snapshot } = res.payload as { generatedAt: string };
  assert.ok(Date.parse(generatedAt) >= before - 1000, generatedAt);
  // No telemetry exporter runs and no diagnostic recorder is kept: nothing to report, and nothing dropped.
  assert.deepEqual(snapshot, { capacity: 0, count: 0, dropped: 0, events: [], summary: { byType: {} } });
  assert.equal((await reader.request('diagnostics.stability', {})).ok, true);

  for (const [params, field] of [
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ type: '' }, 'type'],
    [{ sinceSeq: -1 }, 'sinceSeq'],
  ] as const) {
    const bad = await reader.request('diagnostics.stability', params);
    assert.equal(bad.error?.code, 'INVALID_REQUEST', JSON.stringify(params));
    assert.match(bad.error?.message ?? '', new RegExp(field), JSON.stringify(bad.error));
  }

  const { client: none } = await connectClient(gw.url, gw.token, { scopes: [] });
  t.after(() => none.close());
  assert.equal(
    (await none.request('diagnostics.stability', {})).error?.message,
    'missing scope: operator.read',
  );
});
