import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { buildConfig, validateConfigFile } from '../../src/config/load.ts';
import type { BindingConfig, GatewayConfig } from '../../src/config/types.ts';
import { ROUTE_CACHE_MAX_ENTRIES, resolveAgentRoute } from '../../src/routing/resolve-route.ts';
import type { MatchedBy, RouteInput } from '../../src/routing/types.ts';

const AGENTS = ['main', 'win', 'lose1', 'lose2', 'lose3', 'lose4', 'lose5', 'lose6', 'lose7'];

function configWith(bindings: BindingConfig[], mutate?: (config: GatewayConfig) => void): GatewayConfig {
  const config = defaultConfig();
  config.agents.list = AGENTS.map((id) => ({ id }));
  config.bindings = bindings;
  mutate?.(config);
  return config;
}

const bind = (agentId: string, match: BindingConfig['match'], extra: Partial<BindingConfig> = {}) => ({
  agentId,
  match,
  ...extra,
});

/** A Discord thread C1 (parent channel P1) in guild G1, sent by a member with roles R1 and R2. */
const DISCORD_THREAD: RouteInput = {
  channel: 'discord',
  peer: { kind: 'channel', id: 'C1' },
  parentPeer: { kind: 'channel', id: 'P1' },
  guildId: 'G1',
  roles: ['R2', 'R1'],
};

/** Every binding below the peer tiers matches DISCORD_THREAD; each row leaves only its own tier (and lower) in. */
const lowerThanPeer = [
  bind('lose1', { channel: 'discord', accountId: '*' }),
  bind('lose2', { channel: 'discord', accountId: 'default' }),
  bind('lose3', { channel: 'discord', guildId: 'G1' }),
  bind('lose4', { channel: 'discord', guildId: 'G1', roles: ['R1'] }),
];

type Row = {
  step: MatchedBy;
  input: RouteInput;
  bindings: BindingConfig[];
  mutate?: (config: GatewayConfig) => void;
  agentId: string;
  sessionKey: string;
};

// In each row the expected winner comes last in config order, after bindings of every lower tier that also
// match, and after higher-tier bindings that just miss: the tier decides, not the order.
const rows: Row[] = [
  {
    step: 'binding.peer',
    input: DISCORD_THREAD,
    bindings: [
      ...lowerThanPeer,
      bind('lose5', { channel: 'discord', peer: { kind: 'channel', id: '*' } }),
      bind('lose6', { channel: 'discord', peer: { kind: 'channel', id: 'P1' } }),
      bind('win', { channel: 'discord', peer: { kind: 'channel', id: 'C1' } }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:discord:channel:c1',
  },
  {
    step: 'binding.peer.parent',
    input: DISCORD_THREAD,
    bindings: [
      ...lowerThanPeer,
      bind('lose5', { channel: 'discord', peer: { kind: 'channel', id: '*' } }),
      bind('lose6', { channel: 'discord', peer: { kind: 'channel', id: 'C9' } }),
      bind('lose7', { channel: 'discord', peer: { kind: 'group', id: 'P1' } }),
      bind('win', { channel: 'discord', peer: { kind: 'channel', id: 'P1' } }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:discord:channel:c1',
  },
  {
    step: 'binding.peer.wildcard',
    input: DISCORD_THREAD,
    bindings: [
      ...lowerThanPeer,
      bind('lose5', { channel: 'discord', peer: { kind: 'group', id: '*' } }),
      bind('lose6', { channel: 'discord', peer: { kind: 'channel', id: 'C9' } }),
      bind('lose7', { channel: 'slack', peer: { kind: 'channel', id: '*' } }),
      bind('win', { channel: 'discord', peer: { kind: 'channel', id: '*' } }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:discord:channel:c1',
  },
  {
    step: 'binding.guild+roles',
    input: DISCORD_THREAD,
    bindings: [
      bind('lose1', { channel: 'discord', accountId: '*' }),
      bind('lose2', { channel: 'discord', accountId: 'default' }),
      bind('lose3', { channel: 'discord', guildId: 'G1' }),
      bind('lose4', { channel: 'discord', guildId: 'G1', roles: ['R9'] }),
      bind('lose5', { channel: 'discord', guildId: 'G2', roles: ['R1'] }),
      bind('lose6', { channel: 'discord', peer: { kind: 'group', id: '*' } }),
      bind('win', { channel: 'discord', guildId: 'G1', roles: ['R8', 'R2'] }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:discord:channel:c1',
  },
  {
    step: 'binding.guild',
    input: DISCORD_THREAD,
    bindings: [
      bind('lose1', { channel: 'discord', accountId: '*' }),
      bind('lose2', { channel: 'discord', accountId: 'default' }),
      bind('lose3', { channel: 'discord', teamId: 'G1' }),
      bind('lose4', { channel: 'discord', guildId: 'G1', roles: ['R9'] }),
      bind('lose5', { channel: 'discord', guildId: 'G2' }),
      bind('win', { channel: 'discord', guildId: 'G1' }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:discord:channel:c1',
  },
  {
    step: 'binding.team',
    input: { channel: 'slack', teamId: 'T1', peer: { kind: 'channel', id: 'C0123' } },
    bindings: [
      bind('lose1', { channel: 'slack', accountId: '*' }),
      bind('lose2', { channel: 'slack' }),
      bind('lose3', { channel: 'slack', teamId: 'T2' }),
      bind('lose4', { channel: 'slack', guildId: 'T1' }),
      bind('win', { channel: 'slack', teamId: 'T1' }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:slack:channel:c0123',
  },
  {
    step: 'binding.account',
    input: { channel: 'whatsapp', accountId: 'biz', peer: { kind: 'direct', id: '+15551234567' } },
    bindings: [
      bind('lose1', { channel: 'whatsapp', accountId: '*' }),
      bind('lose2', { channel: 'whatsapp', accountId: 'personal' }),
      bind('lose3', { channel: 'whatsapp' }),
      bind('lose4', { channel: 'whatsapp', accountId: 'biz', teamId: 'T1' }),
      bind('win', { channel: 'whatsapp', accountId: 'biz' }),
    ],
    agentId: 'win',
    sessionKey: 'agent:win:main',
  },
  {
    step: 'binding.channel',
    input: { channel: 'whatsapp', accountId: 'biz', peer: { kind: 'direct', id: '+15551234567' } },
    bindings: [
      bind('lose1', { channel: 'telegram', accountId: '*' }),
      bind('lose2', { channel: 'whatsapp', accountId: 'personal' }),
      bind('lose3', { channel: 'whatsapp' }),
      bind('lose4', { channel: 'whatsapp', peer: { kind: 'direct', id: '+1999' } }),
      bind('win', { channel: 'whatsapp', accountId: '*' }),
    ],
    mutate: (config) => {
      config.session.dmScope = 'per-channel-peer';
    },
    agentId: 'win',
    sessionKey: 'agent:win:whatsapp:direct:+15551234567',
  },
  {
    step: 'default',
    input: { channel: 'whatsapp', accountId: 'biz', peer: { kind: 'group', id: '1203630@g.us' } },
    bindings: [
      bind('lose1', { channel: 'telegram', accountId: '*' }),
      bind('lose2', { channel: 'whatsapp', accountId: 'personal' }),
      bind('lose3', { channel: 'whatsapp' }),
      bind('lose4', { channel: 'whatsapp', accountId: '*', peer: { kind: 'group', id: 'other@g.us' } }),
    ],
    mutate: (config) => {
      config.agents.list = AGENTS.map((id) => ({ id, default: id === 'win' }));
    },
    agentId: 'win',
    sessionKey: 'agent:win:whatsapp:group:1203630@g.us',
  },
];

test('resolveAgentRoute: each precedence step wins over every lower one', () => {
  for (const row of rows) {
    const route = resolveAgentRoute(row.input, configWith(row.bindings, row.mutate));
    assert.deepEqual(
      { ...route },
      {
        agentId: row.agentId,
        sessionKey: row.sessionKey,
        mainSessionKey: `agent:${row.agentId}:main`,
        matchedBy: row.step,
      },
      row.step,
    );
  }
});

test('resolveAgentRoute: dropping the winner hands the message to the next step down', () => {
  const expectedNext: Record<MatchedBy, MatchedBy | undefined> = {
    'binding.peer': 'binding.peer.parent',
    'binding.peer.parent': 'binding.peer.wildcard',
    'binding.peer.wildcard': 'binding.guild+roles',
    'binding.guild+roles': 'binding.guild',
    'binding.guild': 'binding.account',
    'binding.team': 'binding.account',
    'binding.account': 'binding.channel',
    'binding.channel': 'default',
    default: undefined,
  };
  for (const row of rows) {
    const next = expectedNext[row.step];
    if (!next) continue;
    const route = resolveAgentRoute(row.input, configWith(row.bindings.slice(0, -1), row.mutate));
    assert.equal(route.matchedBy, next, `without the ${row.step} winner`);
    assert.notEqual(route.agentId, 'win');
  }
});

test('within one tier the first binding in config order wins', () => {
  const config = configWith([
    bind('lose1', { channel: 'telegram', accountId: 'bot2' }),
    bind('win', { channel: 'telegram', accountId: 'bot1' }),
    bind('lose2', { channel: 'telegram', accountId: 'bot1' }),
  ]);
  const route = resolveAgentRoute({ channel: 'telegram', accountId: 'bot1' }, config);
  assert.equal(route.agentId, 'win');
  assert.equal(route.matchedBy, 'binding.account');
});

test('every field a binding sets must match (AND), and an omitted accountId means the default account', () => {
  const config = configWith([
    bind('lose1', { channel: 'discord', peer: { kind: 'channel', id: 'C1' }, guildId: 'G2' }),
    bind('lose2', { channel: 'discord', peer: { kind: 'channel', id: 'C1' }, accountId: 'other' }),
    bind('lose3', { channel: 'discord', guildId: 'G1', roles: ['R1'], teamId: 'T9' }),
    bind('win', { channel: 'discord', peer: { kind: 'channel', id: 'C1' }, guildId: 'G1', roles: ['R1'] }),
  ]);
  const route = resolveAgentRoute(DISCORD_THREAD, config);
  assert.equal(route.agentId, 'win');
  assert.equal(route.matchedBy, 'binding.peer');

  const accounts = configWith([bind('win', { channel: 'telegram' })]);
  assert.equal(resolveAgentRoute({ channel: 'telegram' }, accounts).matchedBy, 'binding.account');
  assert.equal(resolveAgentRoute({ channel: 'telegram', accountId: 'default' }, accounts).agentId, 'win');
  const elsewhere = resolveAgentRoute({ channel: 'telegram', accountId: 'alerts' }, accounts);
  assert.equal(elsewhere.matchedBy, 'default');
  assert.equal(elsewhere.agentId, 'main');
});

test('channels, accounts and ids compare case-insensitively and trimmed', () => {
  const config = configWith([
    bind('win', { channel: 'Slack', accountId: 'Work', peer: { kind: 'channel', id: ' C0123TEAM ' } }),
  ]);
  const route = resolveAgentRoute(
    { channel: 'slack', accountId: 'work', peer: { kind: 'channel', id: 'c0123team' } },
    config,
  );
  assert.equal(route.matchedBy, 'binding.peer');
  assert.equal(route.sessionKey, 'agent:win:slack:channel:c0123team');
});

test('a binding session override beats session.dmScope / session.groupScope', () => {
  const config = configWith(
    [
      bind(
        'win',
        { channel: 'slack', accountId: '*', peer: { kind: 'channel', id: 'C0123TEAM' } },
        {
          session: { groupScope: 'main' },
        },
      ),
      bind(
        'lose1',
        { channel: 'telegram', accountId: '*' },
        { session: { dmScope: 'per-account-channel-peer' } },
      ),
    ],
    (c) => {
      c.session.dmScope = 'per-peer';
    },
  );
  assert.equal(
    resolveAgentRoute({ channel: 'slack', peer: { kind: 'channel', id: 'C0123TEAM' } }, config).sessionKey,
    'agent:win:main',
  );
  assert.equal(
    resolveAgentRoute({ channel: 'slack', peer: { kind: 'channel', id: 'C0999' } }, config).sessionKey,
    'agent:main:slack:channel:c0999',
  );
  assert.equal(
    resolveAgentRoute(
      { channel: 'telegram', accountId: 'Alerts', peer: { kind: 'direct', id: '42' } },
      config,
    ).sessionKey,
    'agent:lose1:telegram:alerts:direct:42',
  );
  assert.equal(
    resolveAgentRoute({ channel: 'signal', peer: { kind: 'direct', id: '42' } }, config).sessionKey,
    'agent:main:direct:42',
  );
});

test('session.scope global routes everything to the one global session, still naming the agent', () => {
  const config = configWith([bind('win', { channel: 'telegram', accountId: '*' })], (c) => {
    c.session.scope = 'global';
    c.session.dmScope = 'per-peer';
  });
  const route = resolveAgentRoute({ channel: 'telegram', peer: { kind: 'direct', id: '1' } }, config);
  assert.deepEqual(
    { ...route },
    {
      agentId: 'win',
      sessionKey: 'global',
      mainSessionKey: 'global',
      matchedBy: 'binding.channel',
    },
  );
});

test('with no agents configured the implicit main agent answers', () => {
  const config = defaultConfig();
  assert.deepEqual(
    { ...resolveAgentRoute({ channel: 'webchat' }, config) },
    {
      agentId: 'main',
      sessionKey: 'agent:main:main',
      mainSessionKey: 'agent:main:main',
      matchedBy: 'default',
    },
  );
});

test('a hand-built config binding an unknown agent skips that binding', () => {
  const config = configWith([
    bind('ghost', { channel: 'telegram', accountId: '*' }),
    bind('win', { channel: 'telegram', accountId: '*' }),
  ]);
  assert.equal(resolveAgentRoute({ channel: 'telegram' }, config).agentId, 'win');
});

test('routes are cached per config object: same object back, new config recomputes', () => {
  const config = configWith([bind('win', { channel: 'discord', guildId: 'G1', roles: ['R1'] })]);
  const first = resolveAgentRoute(DISCORD_THREAD, config);
  assert.ok(Object.isFrozen(first));
  assert.equal(resolveAgentRoute(DISCORD_THREAD, config), first);
  // The same facts spelt differently (role order, case, padding) are the same cache entry.
  assert.equal(
    resolveAgentRoute({ ...DISCORD_THREAD, roles: ['r1', ' R2 '], channel: 'Discord' }, config),
    first,
  );
  assert.notEqual(resolveAgentRoute({ ...DISCORD_THREAD, roles: ['R2'] }, config), first);

  const swapped = structuredClone(config);
  const recomputed = resolveAgentRoute(DISCORD_THREAD, swapped);
  assert.notEqual(recomputed, first);
  assert.deepEqual(recomputed, first);

  // A config change swaps the object; the new bindings take effect at once.
  const changed = structuredClone(config);
  changed.bindings = [bind('lose1', { channel: 'discord', guildId: 'G1' })];
  assert.equal(resolveAgentRoute(DISCORD_THREAD, changed).agentId, 'lose1');
  assert.equal(resolveAgentRoute(DISCORD_THREAD, config).agentId, 'win');
});

test(`the route cache holds at most ROUTE_CACHE_MAX_ENTRIES (${ROUTE_CACHE_MAX_ENTRIES}) per config, LRU`, () => {
  const config = configWith([]);
  const peerInput = (n: number): RouteInput => ({
    channel: 'telegram',
    peer: { kind: 'direct', id: `${n}` },
  });
  const oldest = resolveAgentRoute(peerInput(0), config);
  const kept = resolveAgentRoute(peerInput(1), config);
  for (let n = 2; n < ROUTE_CACHE_MAX_ENTRIES; n++) resolveAgentRoute(peerInput(n), config);
  // Full. Touch 0 so 1 becomes the least recently used, then one more entry evicts 1, not 0.
  assert.equal(resolveAgentRoute(peerInput(0), config), oldest);
  resolveAgentRoute(peerInput(ROUTE_CACHE_MAX_ENTRIES), config);
  assert.equal(resolveAgentRoute(peerInput(0), config), oldest);
  const again = resolveAgentRoute(peerInput(1), config);
  assert.notEqual(again, kept);
  assert.deepEqual(again, kept);
});

test('config load: bindings are validated by the schema and must name a configured agent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-routing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'clawgate.json');
  const env = {};

  const good = {
    agents: { list: [{ id: 'main' }, { id: 'Work' }] },
    bindings: [
      { agentId: 'work', comment: 'biz line', match: { channel: 'whatsapp', accountId: 'biz' } },
      {
        agentId: 'main',
        type: 'route',
        match: { channel: 'discord', guildId: '1', roles: ['2'], peer: { kind: 'channel', id: '*' } },
        session: { dmScope: 'per-channel-peer', groupScope: 'main' },
      },
    ],
    session: { dmScope: 'per-account-channel-peer', groupScope: 'main' },
  };
  await validateConfigFile(good, path);
  const config = buildConfig(good, env, {});
  assert.deepEqual(config.bindings, good.bindings);
  assert.equal(resolveAgentRoute({ channel: 'whatsapp', accountId: 'biz' }, config).agentId, 'work');
  assert.deepEqual(defaultConfig().bindings, []);
  assert.equal(defaultConfig().session.groupScope, 'per-group');

  const invalid: [file: Record<string, unknown>, problem: string][] = [
    [{ bindings: [{ agentId: 'main', match: {} }] }, 'bindings.0.match.channel is required'],
    [{ bindings: [{ match: { channel: 'x' } }] }, 'bindings.0.agentId is required'],
    [
      { bindings: [{ agentId: 'main', match: { channel: 'x', peer: { kind: 'dm', id: '1' } } }] },
      'bindings.0.match.peer.kind has an unsupported value',
    ],
    [
      { bindings: [{ agentId: 'main', match: { channel: 'x', guild: '1' } }] },
      'unknown key bindings.0.match.guild',
    ],
    [
      { bindings: [{ agentId: 'main', type: 'acp', match: { channel: 'x' } }] },
      'bindings.0.type has an unsupported value',
    ],
    [{ session: { groupScope: 'group' } }, 'session.groupScope has an unsupported value'],
    [{ session: { dmScope: 'per-sender' } }, 'session.dmScope has an unsupported value'],
  ];
  for (const [file, problem] of invalid) {
    await assert.rejects(validateConfigFile(file, path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.includes(`\n  - ${problem}`), `${problem} in:\n${error.message}`);
      return true;
    });
  }

  const unknown = { ...good, bindings: [...good.bindings, { agentId: 'ghost', match: { channel: 'x' } }] };
  await validateConfigFile(unknown, path);
  assert.throws(() => buildConfig(unknown, env, {}), {
    name: 'ConfigError',
    message:
      'bindings[2].agentId "ghost" is not a configured agent (agents: main, work): add it to agents.list or fix the binding',
  });
  // No agents.list: the implicit `main` is the only agent a binding may name.
  assert.equal(
    buildConfig({ bindings: [{ agentId: 'MAIN', match: { channel: 'x' } }] }, env, {}).bindings.length,
    1,
  );
  assert.throws(() => buildConfig({ bindings: [{ agentId: 'work', match: { channel: 'x' } }] }, env, {}), {
    message:
      'bindings[0].agentId "work" is not a configured agent (agents: main): add it to agents.list or fix the binding',
  });
});
