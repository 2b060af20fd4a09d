import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('logging.maxFileBytes and logging.maxFiles apply live, and logs.tail keeps following', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'debug' } } });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const file = join(gw.stateDir, 'logs', 'gateway.log');
  const get = await client.request('config.get');
  const before = await client.request('logs.tail', {});
  const cursor = (before.payload as { cursor: number }).cursor;

  const res = await client.request('config.patch', {
    raw: '{logging:{maxFileBytes:1024, maxFiles:2}}',
    baseHash: (get.payload as { hash: string }).hash,
  });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.deepEqual((res.payload as { restartRequired: string[] }).restartRequired, []);

  // Every connection logs a line at debug; connect until the smaller limit has rotated the file.
  const deadline = Date.now() + 10_000;
  while (!existsSync(`${file}.1`)) {
    assert.ok(Date.now() < deadline, 'the log never rotated under the new limit');
    const extra = await connectClient(gw.url, gw.token);
    extra.client.close();
    await extra.client.closed;
  }
  assert.ok(!existsSync(`${file}.3`));

  const after = await client.request('logs.tail', { cursor });
  assert.equal(after.ok, true, JSON.stringify(after.error));
  const payload = after.payload as { lines: string[]; reset?: boolean };
  assert.equal(payload.reset, undefined, 'a cursor from before the rotation still follows');
  assert.ok(payload.lines.some((line) => line.includes('"message":"log rotated"')));
});
