import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { AgentTool, ToolRegistration } from '../../src/agents/tools/tool-types.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertMatchesOfficial, officialMethods } from '../helpers/official-schemas.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';

const WAIT_MS = 10_000;

/** A plugin's tools, registered the way the plugin loader's `api.registerTool` does: `ctx.tools.register`. */
function pluginModule(): GatewayModule {
  const unregister: (() => void)[] = [];
  const tool = (name: string, description: string): AgentTool => ({
    name,
    label: `Lobster ${name}`,
    description,
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    async execute(_id, params) {
      return {
        content: [{ type: 'text', text: `shouted ${String(params.text).toUpperCase()}` }],
        details: { n: 1 },
      };
    },
  });
  const registrations: ToolRegistration[] = [
    {
      name: 'lobster_shout',
      source: { kind: 'plugin', pluginId: 'lobster' },
      factory: () => tool('lobster_shout', 'Shouts the text. Loudly.'),
    },
    {
      name: 'lobster_secret',
      source: { kind: 'plugin', pluginId: 'lobster' },
      optional: true,
      factory: () => tool('lobster_secret', 'An opt-in tool.'),
    },
  ];
  return {
    id: 'lobster',
    services: [
      {
        name: 'lobster-tools',
        phase: 'plugin-bootstrap',
        start: (ctx) => {
          for (const registration of registrations) unregister.push(ctx.tools.register(registration));
        },
        stop: () => {
          for (const remove of unregister.splice(0)) remove();
        },
      },
    ],
  };
}

async function setup(t: TestContext, config: Record<string, unknown> = {}, scopes = ['operator.admin']) {
  const gw = await startTestGateway({ config, modules: [pluginModule()] });
  t.after(() => gw.close());
  mkdirSync(join(gw.stateDir, 'workspace'), { recursive: true });
  writeFileSync(join(gw.stateDir, 'workspace', 'a.txt'), 'alpha\n');
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN, { scopes });
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  t.after(() => client.close());
  return { gw, client };
}

async function call<T>(client: RawClient, method: string, params: unknown): Promise<T> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

test('the tools methods are the official ones with the official scopes', () => {
  const official = officialMethods();
  assert.equal(official['tools.catalog']?.scope, 'operator.read');
  assert.equal(official['tools.effective']?.scope, 'operator.read');
  assert.equal(official['tools.invoke']?.scope, 'operator.write');
});

test('tools.catalog: core tools by OpenClaw section with their profiles, plugin tools by plugin; official shape', async (t) => {
  const { client } = await setup(t);
  const catalog = await call<{
    agentId: string;
    profiles: { id: string }[];
    groups: {
      id: string;
      source: string;
      tools: { id: string; defaultProfiles: string[]; optional?: boolean }[];
    }[];
  }>(client, 'tools.catalog', {});
  assertMatchesOfficial('ToolsCatalogResult', catalog);
  assert.equal(catalog.agentId, 'main');
  assert.deepEqual(
    catalog.profiles.map((p) => p.id),
    ['minimal', 'coding', 'messaging', 'full'],
  );
  const ids = Object.fromEntries(catalog.groups.map((g) => [g.id, g.tools.map((tool) => tool.id)]));
  assert.deepEqual(ids.fs, ['read', 'write', 'edit']);
  assert.deepEqual(ids.runtime, ['exec', 'process']);
  assert.deepEqual(ids.web, ['web_fetch']);
  assert.deepEqual(ids['plugin:lobster'], ['lobster_secret', 'lobster_shout']);
  const read = catalog.groups.find((g) => g.id === 'fs')?.tools[0];
  assert.deepEqual(read?.defaultProfiles, ['coding']);
  const optional = catalog.groups
    .find((g) => g.id === 'plugin:lobster')
    ?.tools.find((x) => x.id === 'lobster_secret');
  assert.equal(optional?.optional, true);
  const withoutPlugins = await call<{ groups: { id: string }[] }>(client, 'tools.catalog', {
    includePlugins: false,
  });
  assert.ok(!withoutPlugins.groups.some((g) => g.id.startsWith('plugin:')));
  const bad = await client.request('tools.catalog', { agentId: 'ghost' }, WAIT_MS);
  assert.equal(bad.ok, false);
  assert.match(bad.error?.message ?? '', /unknown agent: ghost/);
});

test('tools.effective: what the session agent is offered after its policy; official shape', async (t) => {
  const { client } = await setup(t, {
    tools: { profile: 'coding', deny: ['exec'], alsoAllow: ['lobster_secret'] },
  });
  const effective = await call<{
    agentId: string;
    profile: string;
    groups: { id: string; tools: { id: string; pluginId?: string }[] }[];
  }>(client, 'tools.effective', { sessionKey: 'main' });
  assertMatchesOfficial('ToolsEffectiveResult', effective);
  assert.equal(effective.profile, 'coding');
  const core = effective.groups.find((g) => g.id === 'core')?.tools.map((tool) => tool.id);
  // The coding profile includes group:memory, which the memory backend registers.
  assert.deepEqual(core, ['read', 'write', 'edit', 'process', 'web_fetch', 'memory_search', 'memory_get']);
  // The coding profile takes no plugin tools except the one alsoAllow names.
  assert.deepEqual(
    effective.groups.find((g) => g.id === 'plugin')?.tools.map((tool) => [tool.id, tool.pluginId]),
    [['lobster_secret', 'lobster']],
  );
  const mismatch = await client.request(
    'tools.effective',
    { sessionKey: 'agent:main:x', agentId: 'other' },
    WAIT_MS,
  );
  assert.equal(mismatch.ok, false);
});

test('tools.invoke runs a tool directly: output, source, errors as OpenClaw codes them; exec is refused by default', async (t) => {
  const { client } = await setup(t);
  const read = await call<Record<string, unknown>>(client, 'tools.invoke', {
    name: 'read',
    args: { path: 'a.txt' },
  });
  assertMatchesOfficial('ToolsInvokeResult', read);
  assert.deepEqual(read, {
    ok: true,
    toolName: 'read',
    output: {
      content: [{ type: 'text', text: 'alpha' }],
      details: { kind: 'text', totalLines: 1, startLine: 1, endLine: 1 },
    },
    source: 'core',
  });
  const shout = await call<{ output: { content: { text: string }[] }; source: string }>(
    client,
    'tools.invoke',
    {
      name: 'lobster_shout',
      args: { text: 'hi' },
      idempotencyKey: 'one',
    },
  );
  assert.equal(shout.output.content[0]?.text, 'shouted HI');
  assert.equal(shout.source, 'plugin');
  for (const [params, code, pattern] of [
    [{ name: 'exec', args: { command: 'id' } }, 'not_found', /Tool not available: exec/],
    [{ name: 'lobster_secret', args: { text: 'x' } }, 'not_found', /Tool not available/],
    [{ name: 'read', args: {} }, 'internal_error', /Invalid arguments for tool read: path is required/],
    [{ name: 'read', args: { path: 'missing.txt' } }, 'internal_error', /File not found/],
    [{ name: 'read', sessionKey: 'agent:ghost:main' }, 'validation_error', /unknown agent: ghost/],
  ] as const) {
    const failed = await call<Record<string, unknown>>(client, 'tools.invoke', params);
    assertMatchesOfficial('ToolsInvokeResult', failed);
    assert.equal(failed.ok, false, JSON.stringify(params));
    assert.equal((failed.error as { code: string }).code, code, JSON.stringify(failed));
    assert.match((failed.error as { message: string }).message, pattern);
  }
});

test('tools.invoke needs operator.write; tools.catalog and tools.effective need read', async (t) => {
  const { client } = await setup(t, {}, ['operator.read']);
  const invoke = await client.request('tools.invoke', { name: 'read', args: { path: 'a.txt' } }, WAIT_MS);
  assert.equal(invoke.ok, false);
  assert.match(invoke.error?.message ?? '', /missing scope: operator\.write/);
  const catalog = await client.request('tools.catalog', {}, WAIT_MS);
  assert.equal(catalog.ok, true, JSON.stringify(catalog.error));
});
