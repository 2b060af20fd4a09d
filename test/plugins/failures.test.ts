import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CORE_MODULES } from '../../src/server/core-modules.ts';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { contextProbe, EXAMPLES, logLines, pluginDir, writePlugin } from './plugin-helpers.ts';

/** Generous: a loaded two-core CI box must never time a healthy plugin out; only `hangs` should. */
const TIMEOUT_MS = 5_000;

const registersThen = (body: string) => `export default { register(api) { ${body} } };`;

test('a plugin that throws, hangs, clashes or cannot load is disabled with one log line and a /readyz entry; the rest keep running', {
  timeout: 30_000,
}, async (t) => {
  const dir = pluginDir(t);
  const plugins: Record<string, string> = {
    throws: registersThen(
      "api.registerGatewayMethod('throws.first', ({ respond }) => respond(true, {})); throw new Error('boom');",
    ),
    hangs: registersThen(
      "api.registerGatewayMethod('hangs.first', ({ respond }) => respond(true, {})); return new Promise(() => {});",
    ),
    'clash-method': registersThen(
      "api.registerGatewayMethod('clash-method.mine', ({ respond }) => respond(true, {})); api.registerGatewayMethod('visit-counter.visit', ({ respond }) => respond(true, {}));",
    ),
    healthz: registersThen(
      "api.registerHttpRoute({ path: '/healthz', auth: 'plugin', handler: (req, res) => { res.end('mine'); return true; } });",
    ),
    'core-namespace': registersThen(
      "api.registerGatewayMethod('sessions.mine', ({ respond }) => respond(true, {}));",
    ),
    'service-fails': registersThen(
      "api.registerGatewayMethod('service-fails.first', ({ respond }) => respond(true, {})); api.registerService({ id: 'svc', start() { throw new Error('no database'); } });",
    ),
    'unsupported-sdk':
      "import { x } from 'openclaw/plugin-sdk/provider-auth';\nexport default { register() {} };",
  };
  for (const [id, source] of Object.entries(plugins)) writePlugin(dir, { id, source });
  writePlugin(dir, {
    id: 'bad-config',
    source: registersThen(''),
    manifest: {
      configSchema: {
        type: 'object',
        additionalProperties: false,
        properties: { port: { type: 'integer' } },
      },
    },
  });
  writePlugin(dir, { id: 'no-schema', source: registersThen(''), manifest: { configSchema: undefined } });
  writePlugin(dir, {
    id: 'chan-a',
    manifest: { channels: ['dup-chat'] },
    source: registersThen(
      "api.registerChannel({ plugin: { id: 'dup-chat', config: { listAccountIds: () => [], resolveAccount: () => ({}) } } });",
    ),
  });
  writePlugin(dir, {
    id: 'chan-b',
    manifest: { channels: ['dup-chat'] },
    source: registersThen(
      "api.registerGatewayMethod('chan-b.first', ({ respond }) => respond(true, {})); api.registerChannel({ plugin: { id: 'dup-chat', config: { listAccountIds: () => [], resolveAccount: () => ({}) } } });",
    ),
  });

  const probe = contextProbe();
  const gw = await startTestGateway({
    config: {
      plugins: {
        load: { paths: [EXAMPLES.gateway, dir], timeoutMs: TIMEOUT_MS },
        entries: { 'bad-config': { config: { port: 'eighty' } } },
      },
    },
    modules: [probe.module],
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);

  const expected: Record<string, RegExp> = {
    'bad-config': /plugins\.entries\.bad-config\.config\.port/,
    'chan-b': /channel dup-chat is already registered by chan-a/,
    'clash-method': /gateway method visit-counter\.visit is already registered by plugin visit-counter/,
    'core-namespace': /sessions\.mine is refused: sessions\.\* is a core namespace/,
    hangs: /did not load within 5000 ms \(plugins\.load\.timeoutMs\)/,
    healthz: /HTTP route \/healthz clashes with the route probes/,
    'no-schema': /openclaw\.plugin\.json: configSchema must be a JSON Schema object/,
    'service-fails': /service svc failed to start: no database/,
    throws: /boom/,
    'unsupported-sdk': /openclaw\/plugin-sdk\/provider-auth .*is not part of the OpenClaw SDK subset/,
  };

  // plugins.list: each failed plugin in state error with its reason; the healthy ones enabled.
  const list = await client.request('plugins.list', {}, 30_000);
  assert.equal(list.ok, true, JSON.stringify(list.error));
  assertMatchesOfficial('PluginsListResult', list.payload);
  const entries = (list.payload as { plugins: { id: string; state: string; error?: string }[] }).plugins;
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  assert.equal(byId.get('visit-counter')?.state, 'enabled');
  assert.equal(byId.get('chan-a')?.state, 'enabled');
  for (const [id, reason] of Object.entries(expected)) {
    assert.equal(byId.get(id)?.state, 'error', `${id}: ${JSON.stringify(byId.get(id))}`);
    assert.match(byId.get(id)?.error ?? '', reason, id);
  }

  // One log line per disabled plugin, naming it and the reason.
  const lines = logLines(gw);
  for (const [id, reason] of Object.entries(expected)) {
    const mine = lines.filter((line) => line.level === 'error' && line.message.includes(`plugin ${id} `));
    assert.equal(mine.length, 1, `${id}: ${JSON.stringify(mine)}`);
    assert.match(mine[0]?.message ?? '', new RegExp(`^plugin ${id} disabled: `));
    assert.match(mine[0]?.message ?? '', reason);
  }

  // Nothing of a failed plugin is left registered: not its methods, routes or channels.
  for (const method of [
    'throws.first',
    'hangs.first',
    'clash-method.mine',
    'service-fails.first',
    'chan-b.first',
  ]) {
    const res = await client.request(method, {});
    assert.equal(res.ok, false, method);
    assert.equal(res.error?.message, `unknown method: ${method}`);
  }
  const health = await fetch(`${gw.httpUrl}/healthz`);
  assert.deepEqual(await health.json(), { ok: true, status: 'live' });
  const ctx = probe.ctx();
  assert.deepEqual(
    ctx.registry
      .channels()
      .filter((entry) => !CORE_MODULES.some((module) => module.id === entry.owner))
      .map((entry) => [entry.owner, entry.adapter.id]),
    [['chan-a', 'dup-chat']],
  );

  // The gateway is up and ready; /readyz names every disabled plugin without holding readiness back.
  const visit = await client.request('visit-counter.visit', {});
  assert.equal(visit.ok, true, JSON.stringify(visit.error));
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as { ready: boolean; failing: string[]; degraded: { name: string }[] };
  assert.equal(body.ready, true);
  assert.deepEqual(body.failing, []);
  assert.deepEqual(
    body.degraded.map((entry) => entry.name).sort(),
    Object.keys(expected)
      .map((id) => `plugin:${id}`)
      .sort(),
  );
});
