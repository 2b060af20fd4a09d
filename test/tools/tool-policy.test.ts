import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PolicyTool, toolPolicy } from '../../src/agents/tools/tool-policy.ts';
import { checkToolsConfig } from '../../src/agents/tools/tools-config.ts';
import { buildConfig } from '../../src/config/load.ts';
import type { GatewayConfig } from '../../src/config/types.ts';

const core = (name: string): PolicyTool => ({ name, source: { kind: 'core' } });
const plugin = (name: string, pluginId: string, optional = false): PolicyTool => ({
  name,
  source: { kind: 'plugin', pluginId },
  optional,
});
const mcp = (name: string): PolicyTool => ({ name, source: { kind: 'mcp', server: 'outlook' } });

const TOOLS = [
  core('read'),
  core('write'),
  core('edit'),
  core('apply_patch'),
  core('exec'),
  core('process'),
  core('web_fetch'),
  core('memory_search'),
  core('memory_get'),
  plugin('diff_render', 'diffs'),
  plugin('lobster_run', 'lobster', true),
  mcp('outlook__send_mail'),
];

function config(file: Record<string, unknown>): GatewayConfig {
  return buildConfig(file, {}, { token: 'test-token-0123456789abcdef' });
}

function allowed(
  file: Record<string, unknown>,
  agentId = 'main',
  surface: 'turn' | 'invoke' = 'turn',
): string[] {
  const policy = toolPolicy(config(file), agentId, surface);
  return TOOLS.filter((tool) => policy.allows(tool)).map((tool) => tool.name);
}

test('no policy: every core and plugin tool, never an optional plugin tool', () => {
  assert.deepEqual(
    allowed({}),
    TOOLS.filter((t) => !t.optional).map((t) => t.name),
  );
});

test('profiles: minimal has none of these, coding has files, runtime, web, memory and MCP, messaging only MCP; full opts into optional tools', () => {
  assert.deepEqual(allowed({ tools: { profile: 'minimal' } }), []);
  assert.deepEqual(allowed({ tools: { profile: 'coding' } }), [
    'read',
    'write',
    'edit',
    'apply_patch',
    'exec',
    'process',
    'web_fetch',
    'memory_search',
    'memory_get',
    'outlook__send_mail',
  ]);
  assert.deepEqual(allowed({ tools: { profile: 'messaging' } }), ['outlook__send_mail']);
  assert.deepEqual(
    allowed({ tools: { profile: 'full' } }),
    TOOLS.map((t) => t.name),
  );
});

test('allow and deny: names, globs, groups, plugin ids, bundle-mcp and group:plugins; deny wins; case-insensitive', () => {
  assert.deepEqual(allowed({ tools: { allow: ['group:fs'] } }), ['read', 'write', 'edit', 'apply_patch']);
  assert.deepEqual(allowed({ tools: { allow: ['memory_*', 'DIFFS'] } }), [
    'memory_search',
    'memory_get',
    'diff_render',
  ]);
  assert.deepEqual(allowed({ tools: { allow: ['bundle-mcp'] } }), ['outlook__send_mail']);
  assert.deepEqual(allowed({ tools: { allow: ['group:plugins'] } }), [
    'diff_render',
    'lobster_run',
    'outlook__send_mail',
  ]);
  assert.deepEqual(allowed({ tools: { allow: ['group:fs'], deny: ['write'] } }), [
    'read',
    'edit',
    'apply_patch',
  ]);
  assert.deepEqual(
    allowed({ tools: { deny: ['group:runtime', 'group:web', 'group:memory', 'group:plugins'] } }),
    ['read', 'write', 'edit', 'apply_patch'],
  );
  // bash is OpenClaw's alias for exec; allowing write allows apply_patch too.
  assert.deepEqual(allowed({ tools: { allow: ['Bash', 'write'] } }), ['write', 'apply_patch', 'exec']);
});

test('alsoAllow widens the profile; an optional plugin tool needs an explicit allow of its name, plugin or group:plugins', () => {
  assert.deepEqual(allowed({ tools: { profile: 'minimal', alsoAllow: ['read', 'lobster'] } }), [
    'read',
    'lobster_run',
  ]);
  assert.deepEqual(allowed({ tools: { alsoAllow: ['lobster_run'] } }).includes('lobster_run'), true);
  assert.throws(
    () => checkToolsConfig(config({ tools: { allow: ['read'], alsoAllow: ['write'] } })),
    /tools\.allow and tools\.alsoAllow cannot both be set/,
  );
});

test("agents.list[].tools: the agent's profile replaces the global one, its allow/deny narrow after the global layer", () => {
  const file = {
    tools: { profile: 'coding', deny: ['process'] },
    agents: {
      list: [
        { id: 'main', default: true },
        {
          id: 'reader',
          tools: { profile: 'minimal', alsoAllow: ['group:fs'], deny: ['write', 'edit', 'apply_patch'] },
        },
        { id: 'fetcher', tools: { allow: ['web_fetch', 'exec', 'process'] } },
      ],
    },
  };
  assert.deepEqual(allowed(file, 'reader'), ['read']);
  // The global deny still holds for the agent (process), and its allow narrows the coding profile.
  assert.deepEqual(allowed(file, 'fetcher'), ['exec', 'web_fetch']);
  assert.deepEqual(allowed(file, 'main').includes('process'), false);
});

test("the invoke surface refuses OpenClaw's default HTTP deny list unless gateway.tools.allow reopens it", () => {
  assert.deepEqual(allowed({}, 'main', 'invoke').includes('exec'), false);
  assert.deepEqual(allowed({}, 'main', 'invoke').includes('apply_patch'), false);
  assert.deepEqual(allowed({}, 'main', 'invoke').includes('read'), true);
  assert.deepEqual(
    allowed({ gateway: { tools: { allow: ['exec'] } } }, 'main', 'invoke').includes('exec'),
    true,
  );
  assert.deepEqual(
    allowed({ gateway: { tools: { deny: ['read'] } } }, 'main', 'invoke').includes('read'),
    false,
  );
});
