import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { EXAMPLES, pluginDir, writePlugin } from './plugin-helpers.ts';

type Entry = { id: string; state: string; enabled: boolean };

/** Plugin changes load code and write the config: generous, so a loaded CI box never times one out. */
const WAIT_MS = 30_000;

test('plugins.setEnabled writes plugins.entries.<id>.enabled and applies it live; plugins.changed follows', async (t) => {
  const gw = await startTestGateway({ config: { plugins: { load: { paths: [EXAMPLES.gateway] } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  assert.equal((await client.request('visit-counter.visit', {})).ok, true);

  const off = await client.request(
    'plugins.setEnabled',
    { pluginId: 'visit-counter', enabled: false },
    WAIT_MS,
  );
  assert.equal(off.ok, true, JSON.stringify(off.error));
  assertMatchesOfficial('PluginsSetEnabledResult', off.payload);
  assert.deepEqual(off.payload, {
    ok: true,
    plugin: {
      id: 'visit-counter',
      name: 'Visit Counter',
      packageName: '@clawgate-examples/visit-counter',
      description: 'Counts visits over RPC and HTTP and reports them every so often',
      version: '1.0.0',
      origin: 'config',
      installed: true,
      enabled: false,
      state: 'disabled',
      removable: false,
    },
    restartRequired: false,
  });
  const file = JSON.parse(readFileSync(gw.configPath, 'utf8'));
  assert.deepEqual(file.plugins.entries, { 'visit-counter': { enabled: false } });
  const changed = await client.waitFor((frame) => frame.event === 'plugins.changed', WAIT_MS);
  assert.equal(typeof (changed.payload as { generation: number }).generation, 'number');
  const gone = await client.request('visit-counter.visit', {});
  assert.equal(gone.error?.message, 'unknown method: visit-counter.visit');
  assert.equal((await fetch(`${gw.httpUrl}/visit-counter/visits`)).status, 404);

  const on = await client.request(
    'plugins.setEnabled',
    { pluginId: 'visit-counter', enabled: true },
    WAIT_MS,
  );
  assert.equal(on.ok, true, JSON.stringify(on.error));
  assert.equal((on.payload as { plugin: Entry }).plugin.state, 'enabled');
  // A fresh instance: its counter starts again.
  const back = await client.request('visit-counter.visit', {});
  assert.deepEqual(back.payload, { message: 'Hello, visitor', visits: 1 });

  const unknown = await client.request('plugins.setEnabled', { pluginId: 'nope', enabled: true }, WAIT_MS);
  assert.equal(unknown.ok, false);
  assert.match(unknown.error?.message ?? '', /plugin not found: nope/);
  const bad = await client.request(
    'plugins.setEnabled',
    { pluginId: 'visit-counter', enabled: 'yes' },
    WAIT_MS,
  );
  assert.equal(bad.error?.message, 'invalid plugins.setEnabled params: enabled must be a boolean');
});

test('an edit of plugins.* in the file applies live; entries without a plugin are listed as not-installed', async (t) => {
  const gw = await startTestGateway({ config: { plugins: { entries: { ghost: { enabled: true } } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const before = await client.request('plugins.list', {}, WAIT_MS);
  assertMatchesOfficial('PluginsListResult', before.payload);
  assert.deepEqual((before.payload as { plugins: Entry[] }).plugins, [
    {
      id: 'ghost',
      name: 'ghost',
      origin: 'config',
      installed: false,
      enabled: true,
      state: 'not-installed',
      removable: false,
    },
  ]);

  // Plugins configured only now: the loader is loaded on demand and the example comes up.
  const file = JSON.parse(readFileSync(gw.configPath, 'utf8'));
  file.plugins.load = { paths: [EXAMPLES.gateway] };
  writeFileSync(gw.configPath, JSON.stringify(file));
  await client.waitFor((frame) => frame.event === 'plugins.changed', WAIT_MS);
  const visit = await client.request('visit-counter.visit', {});
  assert.equal(visit.ok, true, JSON.stringify(visit.error));
});

test('plugins.reload loads a plugin again with its edited code; plugins.refresh finds a plugin added on disk', async (t) => {
  const dir = pluginDir(t);
  const root = writePlugin(dir, {
    id: 'edited',
    source:
      "export default { register(api) { api.registerGatewayMethod('edited.version', ({ respond }) => respond(true, { version: 1 })); } };",
    files: { 'lib/answer.js': 'export const answer = 1;\n' },
  });
  const gw = await startTestGateway({ config: { plugins: { load: { paths: [dir] } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  assert.deepEqual((await client.request('edited.version', {})).payload, { version: 1 });

  // The entry and a module it imports both change: a reload sees both.
  writeFileSync(
    join(root, 'index.js'),
    "import { answer } from './lib/answer.js';\nexport default { register(api) { api.registerGatewayMethod('edited.version', ({ respond }) => respond(true, { version: 2, answer })); } };",
  );
  writeFileSync(join(root, 'lib/answer.js'), 'export const answer = 42;\n');
  const reload = await client.request('plugins.reload', { plugins: [{ pluginId: 'edited' }] }, WAIT_MS);
  assert.equal(reload.ok, true, JSON.stringify(reload.error));
  const receipt = reload.payload as {
    pluginIds: string[];
    restartRequired: boolean;
    runtime: { generation: number };
  };
  assert.deepEqual(receipt.pluginIds, ['edited']);
  assert.equal(receipt.restartRequired, false);
  assert.deepEqual((await client.request('edited.version', {})).payload, { version: 2, answer: 42 });
  writeFileSync(join(root, 'lib/answer.js'), 'export const answer = 43;\n');
  await client.request('plugins.reload', { plugins: [{ pluginId: 'edited' }] }, WAIT_MS);
  assert.deepEqual((await client.request('edited.version', {})).payload, { version: 2, answer: 43 });

  writePlugin(dir, {
    id: 'added',
    source:
      "export default { register(api) { api.registerGatewayMethod('added.hello', ({ respond }) => respond(true, { hi: true })); } };",
  });
  assert.equal((await client.request('added.hello', {})).ok, false);
  const refresh = await client.request('plugins.refresh', {}, WAIT_MS);
  assert.equal(refresh.ok, true, JSON.stringify(refresh.error));
  assertMatchesOfficial('PluginsRefreshResult', refresh.payload);
  assert.deepEqual((await client.request('added.hello', {})).payload, { hi: true });

  const none = await client.request('plugins.reload', { plugins: [] }, WAIT_MS);
  assert.match(none.error?.message ?? '', /plugins must list 1-64 targets/);
});
