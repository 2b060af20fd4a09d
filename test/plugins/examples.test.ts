import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient } from '../helpers/raw-client.ts';
import { contextProbe, EXAMPLES, logLines } from './plugin-helpers.ts';

test('the example plugins load from plugins.load.paths: methods over WebSocket, a route over HTTP, a service, a tool', async (t) => {
  const probe = contextProbe();
  const gw = await startTestGateway({
    config: {
      plugins: {
        load: { paths: [EXAMPLES.tool, EXAMPLES.gateway] },
        entries: {
          'visit-counter': { config: { greeting: 'Welcome' } },
          'word-count': { config: { minLength: 3 } },
        },
      },
    },
    modules: [probe.module],
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);

  const visit = await client.request('visit-counter.visit', { name: 'Ada' });
  assert.equal(visit.ok, true, JSON.stringify(visit.error));
  assert.deepEqual(visit.payload, { message: 'Welcome, Ada', visits: 1 });

  const res = await fetch(`${gw.httpUrl}/visit-counter/visits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.token}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { visits: 2 });
  const anonymous = await fetch(`${gw.httpUrl}/visit-counter/visits`);
  assert.equal(anonymous.status, 401);

  const list = await client.request('plugins.list', {});
  assert.equal(list.ok, true, JSON.stringify(list.error));
  assertMatchesOfficial('PluginsListResult', list.payload);
  const plugins = (list.payload as { plugins: { id: string; state: string; enabled: boolean }[] }).plugins;
  assert.deepEqual(
    plugins.map((p) => [p.id, p.state, p.enabled]),
    [
      ['word-count', 'enabled', true],
      ['visit-counter', 'enabled', true],
    ],
  );

  const inspect = await client.request('plugins.inspect', { pluginId: 'word-count' });
  assert.equal(inspect.ok, true, JSON.stringify(inspect.error));
  assertMatchesOfficial('PluginsInspectResult', inspect.payload);
  assert.deepEqual((inspect.payload as { declared: { tools: string[] } }).declared.tools, ['count_words']);

  const ctx = probe.ctx();
  const [registration] = ctx.tools.registrations().filter((entry) => entry.source.kind === 'plugin');
  assert.equal(registration?.name, 'count_words');
  assert.deepEqual(registration?.source, { kind: 'plugin', pluginId: 'word-count' });
  const tool = registration?.factory({} as never);
  assert.ok(tool && !Array.isArray(tool));
  const result = await tool.execute('call-1', { text: 'a few words in it' });
  assert.deepEqual(result.details, { words: 2 }); // 'few' and 'words': minLength 3

  const loaded = logLines(gw).filter((line) => /^plugin .* loaded in/.test(line.message));
  assert.equal(loaded.length, 2, JSON.stringify(loaded));
});

test('a gateway with plugins leaves no timer, socket or watcher behind once closed (their services are stopped)', async () => {
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({
      config: { plugins: { load: { paths: [EXAMPLES.tool, EXAMPLES.gateway, EXAMPLES.channel] } } },
    });
    const { client } = await connectClient(gw.url, gw.token);
    assert.equal((await client.request('visit-counter.visit', {})).ok, true);
    client.close();
    await gw.close();
  });
  assert.deepEqual(left, []);
});
