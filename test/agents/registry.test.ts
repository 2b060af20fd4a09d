import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKnownAgent, resolveAgent } from '../../src/agents/registry.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { buildConfig } from '../../src/config/load.ts';
import { GatewayError } from '../../src/protocol/gateway-error.ts';

test('resolveAgent: the implicit main agent runs on agents.defaults', () => {
  const config = defaultConfig();
  assert.deepEqual(resolveAgent(config, 'main'), {
    id: 'main',
    isDefault: true,
    model: 'echo/echo',
    fallbacks: [],
  });
});

test('resolveAgent merges agents.defaults under each agent (case-insensitive id)', () => {
  const config = buildConfig(
    {
      agents: {
        defaults: {
          model: { primary: 'openai/gpt-5', fallbacks: ['anthropic/claude'] },
          workspace: '/ws/shared',
          systemPrompt: 'Be brief.',
        },
        list: [
          { id: 'main' },
          { id: 'Work', default: true, name: 'Work', model: 'anthropic/opus', systemPrompt: 'Be thorough.' },
          { id: 'lab', model: { primary: 'openai/o5', fallbacks: ['echo/echo'] }, workspace: '/ws/lab' },
          { id: 'fam', model: { fallbacks: ['echo/echo'] }, identity: { name: 'Fam Bot', emoji: '🦥' } },
        ],
      },
    },
    {},
    {},
  );
  assert.deepEqual(resolveAgent(config, 'main'), {
    id: 'main',
    isDefault: false,
    model: 'openai/gpt-5',
    fallbacks: ['anthropic/claude'],
    workspace: '/ws/shared',
    systemPrompt: 'Be brief.',
  });
  // Its own model, no fallbacks listed: strict, as OpenClaw treats a per-agent model.
  assert.deepEqual(resolveAgent(config, ' WORK '), {
    id: 'work',
    name: 'Work',
    isDefault: true,
    model: 'anthropic/opus',
    fallbacks: [],
    workspace: '/ws/shared',
    systemPrompt: 'Be thorough.',
  });
  assert.deepEqual(resolveAgent(config, 'lab'), {
    id: 'lab',
    isDefault: false,
    model: 'openai/o5',
    fallbacks: ['echo/echo'],
    workspace: '/ws/lab',
    systemPrompt: 'Be brief.',
  });
  assert.deepEqual(resolveAgent(config, 'fam'), {
    id: 'fam',
    name: 'Fam Bot',
    isDefault: false,
    model: 'openai/gpt-5',
    fallbacks: ['echo/echo'],
    workspace: '/ws/shared',
    systemPrompt: 'Be brief.',
    identity: { name: 'Fam Bot', emoji: '🦥' },
  });
  // The result is a copy: changing it leaves the config alone.
  resolveAgent(config, 'main').fallbacks.push('x');
  assert.deepEqual(config.agents.defaults.fallbacks, ['anthropic/claude']);
});

test('resolveAgent refuses an unknown agent with UNKNOWN_AGENT_ID', () => {
  const config = defaultConfig();
  assert.equal(isKnownAgent(config, 'Main'), true);
  assert.equal(isKnownAgent(config, 'work'), false);
  assert.throws(
    () => resolveAgent(config, 'work'),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.deepEqual(error.toShape(), {
        code: 'INVALID_REQUEST',
        message: 'unknown agent: work',
        details: { code: 'UNKNOWN_AGENT_ID', agentId: 'work' },
      });
      return true;
    },
  );
  config.agents.list = [{ id: 'work' }];
  assert.equal(resolveAgent(config, 'work').isDefault, true);
  assert.throws(() => resolveAgent(config, 'main'), { message: 'unknown agent: main' });
});
