import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { chatModule } from '../../src/chat/module.ts';
import { READ, WRITE } from '../../src/server/authz/access.ts';
import { CORE_MODULES } from '../../src/server/core-modules.ts';
import { sendJson } from '../../src/server/http/respond.ts';
import { defineMethod } from '../../src/server/method-types.ts';
import { type GatewayModule, GatewayRegistry } from '../../src/server/registry.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('a name registered twice is refused, naming who registered it second', () => {
  const registry = new GatewayRegistry();
  for (const module of CORE_MODULES) registry.register(module);
  assert.throws(
    () =>
      registry.register({ id: 'weather-plugin', methods: { health: { access: READ, handler: () => 1 } } }),
    /weather-plugin: gateway method health is registered twice/,
  );
  assert.throws(
    () => registry.register({ id: 'weather-plugin', events: { chat: { scope: 'operator.read' } } }),
    /weather-plugin: gateway event chat is registered twice/,
  );
  const service = {
    name: 'poller',
    phase: 'post-attach' as const,
    start: () => undefined,
    stop: () => undefined,
  };
  registry.registerService(service);
  assert.throws(() => registry.registerService(service), /service poller is registered twice/);
});

test('chat stream deltas and status are droppable; the terminal states never are', () => {
  const droppable = chatModule.events?.chat?.droppable;
  assert.equal(typeof droppable, 'function');
  const drop = droppable as (payload: unknown) => boolean;
  assert.equal(drop({ state: 'delta' }), true);
  assert.equal(drop({ state: 'status' }), true);
  for (const state of ['final', 'aborted', 'error']) assert.equal(drop({ state }), false, state);
});

/** Everything a plugin can contribute, registered the way the core namespaces are. */
function weatherPlugin(log: string[], options: { failStart?: boolean } = {}): GatewayModule {
  return {
    id: 'weather',
    methods: {
      'weather.report': defineMethod({
        access: WRITE,
        schema: Type.Object({ city: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        handler: (params, { gateway }) => {
          gateway.events.broadcast('weather.updated', { city: params.city });
          return { city: params.city, sky: 'clear' };
        },
      }),
    },
    events: { 'weather.updated': { scope: 'operator.read' } },
    routes: [
      {
        name: 'weather-api',
        auth: 'bearer',
        match: (_ctx, path) => path === '/weather',
        handle: (_ctx, _req, res) => sendJson(res, 200, { sky: 'clear' }),
      },
    ],
    services: [
      {
        name: 'weather-feed',
        phase: 'plugin-bootstrap',
        requiredForReady: true,
        start: () => {
          log.push('start');
          if (options.failStart) throw new Error('feed unreachable');
        },
        stop: () => {
          log.push('stop');
        },
      },
    ],
  };
}

test('a plugin module: its method (own schema and scope), event, bearer route and service work like the core', async (t) => {
  const log: string[] = [];
  const gw = await startTestGateway({ modules: [weatherPlugin(log)] });
  t.after(() => gw.close());
  assert.deepEqual(log, ['start']);

  const writer = await connectClient(gw.url, gw.token, { scopes: ['operator.write', 'operator.read'] });
  t.after(() => writer.client.close());
  const reader = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.client.close());
  const features = (writer.hello.payload as { features: { methods: string[]; events: string[] } }).features;
  assert.ok(features.methods.includes('weather.report'));
  assert.ok(features.events.includes('weather.updated'));

  const bad = await writer.client.request('weather.report', { city: '' });
  assert.equal(bad.error?.code, 'INVALID_REQUEST');
  assert.match(bad.error?.message ?? '', /invalid weather\.report params: .*city/);
  const denied = await reader.client.request('weather.report', { city: 'Oslo' });
  assert.equal(denied.error?.code, 'FORBIDDEN');
  assert.equal(denied.error?.details?.missingScope, 'operator.write');

  const ok = await writer.client.request('weather.report', { city: 'Oslo' });
  assert.deepEqual(ok.payload, { city: 'Oslo', sky: 'clear' });
  const event = await reader.client.event('weather.updated');
  assert.deepEqual(event.payload, { city: 'Oslo' });

  assert.equal((await fetch(`${gw.httpUrl}/weather`)).status, 401);
  const authed = await fetch(`${gw.httpUrl}/weather`, { headers: { authorization: `Bearer ${gw.token}` } });
  assert.deepEqual(await authed.json(), { sky: 'clear' });
  assert.equal((await fetch(`${gw.httpUrl}/readyz`)).status, 200);

  await gw.close();
  assert.deepEqual(log, ['start', 'stop']);
});

test('a required service that fails to start is named by /readyz; the gateway still serves', async (t) => {
  const log: string[] = [];
  const gw = await startTestGateway({ modules: [weatherPlugin(log, { failStart: true })] });
  t.after(() => gw.close());
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 503);
  assert.deepEqual(((await ready.json()) as { failing: string[] }).failing, ['weather-feed']);
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true);
  assert.equal((await client.request('health')).ok, true);
  await gw.close();
  assert.deepEqual(log, ['start'], 'a service that never started is not stopped');
});
