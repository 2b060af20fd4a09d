import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';
import { EXAMPLES, pluginDir, writePlugin } from './plugin-helpers.ts';

test('plugin methods declare scopes (default admin, reserved namespaces always admin); events reach only their scope', async (t) => {
  const dir = pluginDir(t);
  writePlugin(dir, {
    id: 'evt',
    source: `export default { register(api) {
      api.registerGatewayEvent('ping', { scope: 'operator.read' });
      api.registerGatewayMethod('evt.fire', ({ params, respond }) => {
        api.broadcast('ping', { n: params.n });
        respond(true, { fired: true });
      }, { scope: 'operator.read' });
      api.registerGatewayMethod('wizard.plugin-step', ({ respond }) => respond(true, {}), { scope: 'operator.read' });
      api.registerGatewayMethod('evt.refuse', ({ respond }) => respond(false, undefined, { code: 'NOT_FOUND', message: 'no such thing' }), { scope: 'operator.read' });
      api.registerGatewayMethod('evt.returns', async ({ params }) => ({ echoed: params.value }), { scope: 'operator.read' });
    } };`,
  });
  const gw = await startTestGateway({ config: { plugins: { load: { paths: [EXAMPLES.gateway, dir] } } } });
  t.after(() => gw.close());
  const owner = await admin(t, gw);
  const { client: reader, hello } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const { client: pairer } = await connectClient(gw.url, gw.token, { scopes: ['operator.pairing'] });
  t.after(() => pairer.close());

  assert.equal((await reader.request('visit-counter.visit', {})).ok, true);
  const reset = await reader.request('visit-counter.reset', {});
  assert.equal(reset.error?.code, 'FORBIDDEN');
  assert.equal(reset.error?.message, 'missing scope: operator.admin');
  assert.equal(
    (await reader.request('wizard.plugin-step', {})).error?.message,
    'missing scope: operator.admin',
  );
  assert.equal((await owner.request('wizard.plugin-step', {})).ok, true);

  // respond(false, …): the plugin's message; a code the protocol lacks rides in details.code.
  const refused = await reader.request('evt.refuse', {});
  assert.deepEqual(refused.error, {
    code: 'INVALID_REQUEST',
    message: 'no such thing',
    details: { code: 'NOT_FOUND' },
  });
  assert.deepEqual((await reader.request('evt.returns', { value: 7 })).payload, { echoed: 7 });

  const fired = await reader.request('evt.fire', { n: 1 });
  assert.equal(fired.ok, true, JSON.stringify(fired.error));
  const event = await reader.waitFor((frame) => frame.event === 'plugin.evt.ping');
  assert.deepEqual(event.payload, { n: 1 });
  await owner.waitFor((frame) => frame.event === 'plugin.evt.ping');
  // The pairing-only client is outside the event's scope: a later event it is sent proves it saw no ping.
  await pairer.request('device.pair.list', {});
  assert.equal(
    pairer.frames.some((frame) => frame.event === 'plugin.evt.ping'),
    false,
  );
});

test('api.store is the plugin’s own durable namespace; api.chat.run runs a turn through the chat pipeline', async (t) => {
  const dir = pluginDir(t);
  const source = (id: string) => `export default { register(api) {
    api.registerGatewayMethod('${id}.put', async ({ params }) => { await api.store.set(params.key, params.value); return { ok: true }; });
    api.registerGatewayMethod('${id}.get', async ({ params }) => ({ value: (await api.store.get(params.key)) ?? null }));
    api.registerGatewayMethod('${id}.drop', async ({ params }) => { await api.store.delete(params.key); return { ok: true }; });
    api.registerGatewayMethod('${id}.ask', async ({ params }) => api.chat.run({ sessionKey: 'main', message: params.text, idempotencyKey: params.key }));
  } };`;
  writePlugin(dir, { id: 'keeper', source: source('keeper') });
  writePlugin(dir, { id: 'other', source: source('other') });
  const stateDir = pluginDir(t);
  const config = { plugins: { load: { paths: [dir] } }, models: { echo: { wordDelayMs: 0 } } };
  const first = await startTestGateway({ config, stateDir });
  const client = await admin(t, first);
  await client.request('keeper.put', { key: 'colour', value: { name: 'teal', shades: [1, 2] } });
  assert.deepEqual((await client.request('keeper.get', { key: 'colour' })).payload, {
    value: { name: 'teal', shades: [1, 2] },
  });
  // Another plugin's namespace does not see it.
  assert.deepEqual((await client.request('other.get', { key: 'colour' })).payload, { value: null });

  const turn = await client.request('keeper.ask', { text: 'hello plugin', key: 'turn-1' }, 20_000);
  assert.equal(turn.ok, true, JSON.stringify(turn.error));
  const result = turn.payload as { runId: string; sessionKey: string; status: string; text: string };
  assert.equal(result.runId, 'turn-1');
  assert.equal(result.sessionKey, 'agent:main:main');
  assert.equal(result.status, 'ok');
  assert.ok(result.text.length > 0);
  const history = await client.request('chat.history', { sessionKey: 'main' });
  const texts = (history.payload as { messages: { role: string }[] }).messages.map((m) => m.role);
  assert.deepEqual(texts, ['user', 'assistant']);
  client.close();
  await first.close();

  // Durable: a restarted gateway reads it back; a deleted key reads as absent.
  const second = await startTestGateway({ config, stateDir });
  t.after(() => second.close());
  const again = await admin(t, second);
  assert.deepEqual((await again.request('keeper.get', { key: 'colour' })).payload, {
    value: { name: 'teal', shades: [1, 2] },
  });
  await again.request('keeper.drop', { key: 'colour' });
  assert.deepEqual((await again.request('keeper.get', { key: 'colour' })).payload, { value: null });
});

test('plugin code: typebox from the plugin’s own node_modules, else clawgate’s; unsupported API members fail naming themselves', async (t) => {
  const dir = pluginDir(t);
  const own = writePlugin(dir, {
    id: 'own-typebox',
    source: `import { Type } from 'typebox';
      export default function register(api) {
        api.registerGatewayMethod('own-typebox.which', ({ respond }) => respond(true, { which: Type.which }));
      }`,
  });
  mkdirSync(join(own, 'node_modules', 'typebox'), { recursive: true });
  writeFileSync(
    join(own, 'node_modules', 'typebox', 'package.json'),
    JSON.stringify({ name: 'typebox', type: 'module', exports: { '.': './index.js' } }),
  );
  writeFileSync(
    join(own, 'node_modules', 'typebox', 'index.js'),
    "export const Type = { which: 'the plugin’s' };\n",
  );
  writePlugin(dir, {
    id: 'shared-typebox',
    entry: 'index.ts',
    source: `import { Type } from 'typebox';
      import { definePluginEntry } from 'openclaw/plugin-sdk/core';
      const schema: { type?: string } = Type.Object({ a: Type.String() });
      export default definePluginEntry({ id: 'shared-typebox', name: 'Shared', description: 'd', register(api) {
        api.registerGatewayMethod('shared-typebox.schema', ({ respond }) => respond(true, { type: schema.type }));
        api.registerGatewayMethod('shared-typebox.late', ({ respond }) => {
          const tries = {};
          for (const [name, run] of Object.entries({
            late: () => api.registerGatewayMethod('shared-typebox.later', () => {}),
            provider: () => api.registerProvider({}),
            runtime: () => api.runtime.tts,
          })) {
            try { run(); tries[name] = 'ran'; } catch (error) { tries[name] = error.message; }
          }
          respond(true, { ...tries, version: api.runtime.version, apiVersion: api.apiVersion });
        });
      } });`,
  });
  writePlugin(dir, {
    id: 'undeclared-tool',
    source: `export default { register(api) {
      api.registerTool({ name: 'secret_tool', description: 'd', parameters: { type: 'object' }, execute: async () => ({ content: [] }) });
    } };`,
  });
  writePlugin(dir, {
    id: 'wrong-id',
    source: "export default { id: 'someone-else', register() {} };",
  });
  const gw = await startTestGateway({ config: { plugins: { load: { paths: [dir] } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);

  assert.deepEqual((await client.request('own-typebox.which', {})).payload, { which: 'the plugin’s' });
  assert.deepEqual((await client.request('shared-typebox.schema', {})).payload, { type: 'object' });
  const late = (await client.request('shared-typebox.late', {})).payload as Record<string, unknown>;
  assert.match(late.late as string, /registerGatewayMethod after register\(\) returned/);
  assert.equal(
    late.provider,
    'api.registerProvider is not supported by clawgate (plugin shared-typebox); see docs/plugins.md',
  );
  assert.match(late.runtime as string, /api\.runtime\.tts is not supported by clawgate/);
  assert.equal(late.apiVersion, 1);
  assert.equal(typeof late.version, 'string');

  const list = await client.request('plugins.list', {});
  const errors = Object.fromEntries(
    (list.payload as { plugins: { id: string; error?: string }[] }).plugins.map((p) => [p.id, p.error]),
  );
  assert.match(
    errors['undeclared-tool'] ?? '',
    /tool secret_tool is not declared: add it to contracts\.tools/,
  );
  assert.match(errors['wrong-id'] ?? '', /says id someone-else but openclaw\.plugin\.json says wrong-id/);
});

test('a plugin reached through a symlinked folder resolves its SDK and TypeScript imports (Node loads it by its real path)', async (t) => {
  const dir = pluginDir(t);
  symlinkSync(EXAMPLES.channel, join(dir, 'linked'));
  const gw = await startTestGateway({ config: { plugins: { load: { paths: [join(dir, 'linked')] } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const outbox = await client.request('loopback-chat.outbox', {});
  assert.equal(outbox.ok, true, JSON.stringify(outbox.error));
});
