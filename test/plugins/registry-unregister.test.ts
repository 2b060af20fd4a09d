import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelAdapter } from '../../src/channels/channel-types.ts';
import { type GatewayModule, GatewayRegistry } from '../../src/server/registry.ts';

const adapter = (id: string): ChannelAdapter => ({
  id,
  label: id,
  accounts: () => [],
  defaultAccountId: () => 'default',
  start: () => Promise.reject(new Error('not started in this test')),
});

const plugin = (id: string): GatewayModule => ({
  id,
  methods: { [`${id}.ping`]: { access: { scope: 'operator.read' }, handler: () => ({}) } },
  events: { [`plugin.${id}.changed`]: { scope: 'operator.read' } },
  routes: [
    { name: `plugin:${id}`, auth: 'none', match: (_ctx, path) => path === `/${id}`, handle: () => undefined },
  ],
  channels: [adapter(`${id}-chat`)],
});

test('unregister takes back exactly what a module registered, and only while it is still that module’s', () => {
  const registry = new GatewayRegistry();
  const first = plugin('alpha');
  registry.register(first);
  registry.register(plugin('beta'));
  assert.ok(registry.advertisedMethods().includes('alpha.ping'));

  registry.unregister(first);
  assert.equal(registry.method('alpha.ping'), undefined);
  assert.equal(registry.event('plugin.alpha.changed'), undefined);
  assert.deepEqual(
    registry.routes().map((route) => route.name),
    ['plugin:beta'],
  );
  assert.deepEqual(
    registry.channels().map((entry) => entry.adapter.id),
    ['beta-chat'],
  );
  assert.deepEqual(registry.advertisedMethods(), ['beta.ping']);

  // A module registered again under the same names is not taken back by the old module's unregister.
  const again = plugin('alpha');
  registry.register(again);
  registry.unregister(first);
  assert.ok(registry.method('alpha.ping'));
  assert.equal(registry.channels().length, 2);
});
