import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { DmScope, GroupScope, PeerKind } from '../../src/config/types.ts';
import { GatewayError } from '../../src/protocol/gateway-error.ts';
import {
  checkSessionKey,
  MAX_SESSION_KEY_LENGTH,
  mainSessionKey,
  normalizeSessionKey,
  parseSessionKey,
  peerSessionKey,
  type SessionKeyDefaults,
  sessionKeyDefaults,
} from '../../src/routing/session-key.ts';

const MAIN: SessionKeyDefaults = { agentId: 'main', mainKey: 'main', scope: 'per-sender' };
const WORK_HOME: SessionKeyDefaults = { agentId: 'work', mainKey: 'home', scope: 'per-sender' };
const GLOBAL: SessionKeyDefaults = { agentId: 'main', mainKey: 'main', scope: 'global' };

test('mainSessionKey: agent:<id>:<mainKey> lowercased, or global', () => {
  assert.equal(mainSessionKey('main', 'main', 'per-sender'), 'agent:main:main');
  assert.equal(mainSessionKey('Work', 'Home', 'per-sender'), 'agent:work:home');
  assert.equal(mainSessionKey('work', 'home', 'global'), 'global');
});

test('sessionKeyDefaults: the default agent (flagged, else first) and the session settings', () => {
  const config = defaultConfig();
  assert.deepEqual(sessionKeyDefaults(config), { agentId: 'main', mainKey: 'main', scope: 'per-sender' });
  config.agents.list = [{ id: 'Alpha' }, { id: 'Beta', default: true }];
  config.session.mainKey = 'home';
  config.session.scope = 'global';
  assert.deepEqual(sessionKeyDefaults(config), { agentId: 'beta', mainKey: 'home', scope: 'global' });
});

test('normalizeSessionKey accepts what clients send', () => {
  const longTail = 'x'.repeat(MAX_SESSION_KEY_LENGTH - 'agent:main:'.length);
  const longFull = `agent:main:${'y'.repeat(MAX_SESSION_KEY_LENGTH - 'agent:main:'.length)}`;
  const rows: [input: string, defaults: SessionKeyDefaults, expected: string][] = [
    ['main', MAIN, 'agent:main:main'],
    ['MAIN', MAIN, 'agent:main:main'],
    ['  main\t', MAIN, 'agent:main:main'],
    ['main', WORK_HOME, 'agent:work:home'],
    ['main', GLOBAL, 'global'],
    ['global', MAIN, 'global'],
    ['Global', WORK_HOME, 'global'],
    ['cli-test', MAIN, 'agent:main:cli-test'],
    ['cli-test', WORK_HOME, 'agent:work:cli-test'],
    ['home', WORK_HOME, 'agent:work:home'],
    ['telegram:direct:123', MAIN, 'agent:main:telegram:direct:123'],
    ['agent', MAIN, 'agent:main:agent'],
    ['agent:main:main', MAIN, 'agent:main:main'],
    ['Agent:Work:Slack:Channel:C0123', MAIN, 'agent:work:slack:channel:c0123'],
    ['agent:work:main', GLOBAL, 'agent:work:main'],
    ['agent:a_b-9:x:y:z', MAIN, 'agent:a_b-9:x:y:z'],
    [`agent:${'a'.repeat(64)}:x`, MAIN, `agent:${'a'.repeat(64)}:x`],
    [longTail, MAIN, `agent:main:${longTail}`],
    [longFull, MAIN, longFull],
  ];
  for (const [input, defaults, expected] of rows) {
    assert.equal(normalizeSessionKey(input, defaults), expected, `input ${JSON.stringify(input)}`);
    assert.deepEqual(checkSessionKey(input, defaults), { ok: true, key: expected });
  }
  assert.equal(longFull.length, MAX_SESSION_KEY_LENGTH);
});

test('normalizeSessionKey refuses bad keys with INVALID_REQUEST naming the problem', () => {
  const tooLongTail = 'x'.repeat(MAX_SESSION_KEY_LENGTH - 'agent:main:'.length + 1);
  const rows: [input: unknown, problem: string][] = [
    ['', 'must be 1-512 characters'],
    ['   ', 'must be 1-512 characters'],
    ['x'.repeat(MAX_SESSION_KEY_LENGTH + 1), 'must be 1-512 characters'],
    [`agent:main:${'y'.repeat(MAX_SESSION_KEY_LENGTH)}`, 'must be 1-512 characters'],
    [tooLongTail, 'must be 1-512 characters once prefixed with agent:main: (got 513)'],
    ['a\nb', 'must not contain control characters'],
    ['agent:main:a\u0000b', 'must not contain control characters'],
    ['tail\u007f', 'must not contain control characters'],
    ['tail\u0085x', 'must not contain control characters'],
    ['agent:', 'has an empty agent id (expected agent:<agentId>:<rest>)'],
    ['agent::main', 'has an empty agent id (expected agent:<agentId>:<rest>)'],
    ['agent:main', 'has nothing after the agent id (expected agent:main:<rest>)'],
    ['agent:main:', 'has nothing after the agent id (expected agent:main:<rest>)'],
    [
      'agent:-bad:x',
      'has an invalid agent id "-bad" (letters, digits, _ and -, starting with a letter or digit, at most 64)',
    ],
    [
      'agent:a b:x',
      'has an invalid agent id "a b" (letters, digits, _ and -, starting with a letter or digit, at most 64)',
    ],
    [
      `agent:${'a'.repeat(65)}:x`,
      `has an invalid agent id "${'a'.repeat(65)}" (letters, digits, _ and -, starting with a letter or digit, at most 64)`,
    ],
    [42, 'must be a string'],
    [undefined, 'must be a string'],
  ];
  for (const [input, problem] of rows) {
    assert.deepEqual(checkSessionKey(input, MAIN), { ok: false, problem }, `input ${JSON.stringify(input)}`);
    assert.throws(
      () => normalizeSessionKey(input, MAIN),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, 'INVALID_REQUEST');
        assert.equal(error.message, `sessionKey ${problem}`);
        return true;
      },
    );
  }
});

test('normalizeSessionKey names the method and field it was given', () => {
  assert.throws(
    () => normalizeSessionKey('', MAIN, { method: 'chat.send' }),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.deepEqual(error.toShape(), {
        code: 'INVALID_REQUEST',
        message: 'invalid chat.send params: sessionKey must be 1-512 characters',
      });
      return true;
    },
  );
  assert.throws(() => normalizeSessionKey('agent:main', MAIN, { method: 'sessions.resolve', field: 'key' }), {
    name: 'GatewayError',
    code: 'INVALID_REQUEST',
    message:
      'invalid sessions.resolve params: key has nothing after the agent id (expected agent:main:<rest>)',
  });
});

test('parseSessionKey splits agent:<id>:<rest>', () => {
  assert.deepEqual(parseSessionKey('agent:main:main'), { agentId: 'main', rest: 'main' });
  assert.deepEqual(parseSessionKey('agent:work:telegram:direct:123'), {
    agentId: 'work',
    rest: 'telegram:direct:123',
  });
  assert.deepEqual(parseSessionKey('Agent:Work:Main'), { agentId: 'work', rest: 'main' });
  for (const key of [
    'global',
    'main',
    'cli-test',
    'agent:',
    'agent::x',
    'agent:main',
    'agent:main:',
    'agent:-x:y',
  ]) {
    assert.equal(parseSessionKey(key), undefined, key);
  }
});

test('peerSessionKey follows dmScope for DMs and groupScope for groups and channels', () => {
  const base = { agentId: 'main', mainKey: 'main', scope: 'per-sender' as const, channel: 'telegram' };
  const rows: [
    dmScope: DmScope,
    groupScope: GroupScope,
    peer: { kind: PeerKind; id: string } | undefined,
    accountId: string | undefined,
    expected: string,
  ][] = [
    ['main', 'per-group', { kind: 'direct', id: '123' }, undefined, 'agent:main:main'],
    ['per-peer', 'per-group', { kind: 'direct', id: '123' }, 'biz', 'agent:main:direct:123'],
    ['per-channel-peer', 'per-group', { kind: 'direct', id: '123' }, 'biz', 'agent:main:telegram:direct:123'],
    [
      'per-account-channel-peer',
      'per-group',
      { kind: 'direct', id: '123' },
      'biz',
      'agent:main:telegram:biz:direct:123',
    ],
    [
      'per-account-channel-peer',
      'per-group',
      { kind: 'direct', id: '123' },
      undefined,
      'agent:main:telegram:default:direct:123',
    ],
    [
      'per-peer',
      'per-group',
      { kind: 'group', id: '-100ABC' },
      undefined,
      'agent:main:telegram:group:-100abc',
    ],
    ['main', 'per-group', { kind: 'channel', id: 'C0123' }, undefined, 'agent:main:telegram:channel:c0123'],
    ['per-peer', 'main', { kind: 'group', id: '-100' }, undefined, 'agent:main:main'],
    ['per-peer', 'main', { kind: 'direct', id: '7' }, undefined, 'agent:main:direct:7'],
    ['per-peer', 'per-group', undefined, undefined, 'agent:main:main'],
  ];
  for (const [dmScope, groupScope, peer, accountId, expected] of rows) {
    assert.equal(
      peerSessionKey({ ...base, dmScope, groupScope, peer, accountId }),
      expected,
      `${dmScope}/${groupScope} ${JSON.stringify(peer)}`,
    );
  }
  assert.equal(
    peerSessionKey({
      ...base,
      scope: 'global',
      dmScope: 'per-peer',
      groupScope: 'per-group',
      peer: { kind: 'group', id: '1' },
    }),
    'global',
  );
  assert.equal(
    peerSessionKey({
      ...base,
      agentId: 'work',
      mainKey: 'home',
      dmScope: 'main',
      groupScope: 'main',
      peer: { kind: 'direct', id: '1' },
    }),
    'agent:work:home',
  );
});
