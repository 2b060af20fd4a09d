import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessProblem, channelAccessFrom } from '../../src/channels/access-config.ts';
import { decideAccess } from '../../src/channels/access-policy.ts';
import type { InboundMessage } from '../../src/channels/channel-types.ts';

const dm = (senderId: string): InboundMessage => ({
  messageId: '1',
  chatId: senderId,
  peerKind: 'direct',
  senderId,
  text: 'hi',
  timestamp: 0,
});
const group = (chatId: string, senderId: string, wasMentioned = false): InboundMessage => ({
  ...dm(senderId),
  chatId,
  peerKind: 'group',
  wasMentioned,
});
const none = new Set<string>();

test('DM policies: pairing (the default) admits allowFrom and approved senders and pairs the rest', () => {
  const access = channelAccessFrom({ allowFrom: ['telegram:100'] });
  assert.equal(access.dmPolicy, 'pairing');
  assert.deepEqual(decideAccess('telegram', access, dm('100'), none), { action: 'accept' });
  assert.deepEqual(decideAccess('telegram', access, dm('200'), none), { action: 'pair' });
  assert.deepEqual(decideAccess('telegram', access, dm('200'), new Set(['200'])), { action: 'accept' });
});

test('DM policies: allowlist, open (only with "*" public) and disabled; approvals never widen them', () => {
  const allowlist = channelAccessFrom({ dmPolicy: 'allowlist', allowFrom: ['100'] });
  assert.equal(decideAccess('x', allowlist, dm('100'), none).action, 'accept');
  assert.equal(decideAccess('x', allowlist, dm('200'), new Set(['200'])).action, 'drop');
  const open = channelAccessFrom({ dmPolicy: 'open', allowFrom: ['*'] });
  assert.equal(decideAccess('x', open, dm('anyone'), none).action, 'accept');
  const narrowOpen = channelAccessFrom({ dmPolicy: 'open', allowFrom: ['100'] });
  assert.equal(decideAccess('x', narrowOpen, dm('200'), new Set(['200'])).action, 'drop');
  const disabled = channelAccessFrom({ dmPolicy: 'disabled', allowFrom: ['*'] });
  assert.equal(decideAccess('x', disabled, dm('100'), none).action, 'drop');
});

test('groups: the groups map is an allowlist, senders come from groupAllowFrom, else allowFrom, and mentions gate', () => {
  const access = channelAccessFrom({
    allowFrom: ['100'],
    groups: { '-5': { requireMention: true }, '-6': { requireMention: false } },
  });
  assert.equal(access.groupPolicy, 'allowlist');
  assert.equal(decideAccess('x', access, group('-5', '100', true), none).action, 'accept');
  assert.equal(decideAccess('x', access, group('-5', '100', false), none).action, 'drop');
  assert.equal(decideAccess('x', access, group('-6', '100'), none).action, 'accept');
  assert.equal(decideAccess('x', access, group('-7', '100', true), none).action, 'drop');
  // DM pairing approvals are not group authorization (OpenClaw's boundary).
  assert.equal(decideAccess('x', access, group('-5', '200', true), new Set(['200'])).action, 'drop');
  const byGroup = channelAccessFrom({
    groupAllowFrom: ['300'],
    groups: { '*': { requireMention: false }, '-9': { allowFrom: ['400'], requireMention: false } },
  });
  assert.equal(decideAccess('x', byGroup, group('-1', '300'), none).action, 'accept');
  assert.equal(decideAccess('x', byGroup, group('-9', '300'), none).action, 'drop');
  assert.equal(decideAccess('x', byGroup, group('-9', '400'), none).action, 'accept');
});

test('groups: without a groups map, open admits every group (mention still required) and allowlist none', () => {
  const open = channelAccessFrom({ groupPolicy: 'open' });
  assert.equal(decideAccess('x', open, group('-1', '999', true), none).action, 'accept');
  assert.equal(decideAccess('x', open, group('-1', '999', false), none).action, 'drop');
  assert.equal(decideAccess('x', channelAccessFrom({}), group('-1', '999', true), none).action, 'drop');
  const perGroup = channelAccessFrom({ groups: { '-1': { groupPolicy: 'open', requireMention: false } } });
  assert.equal(decideAccess('x', perGroup, group('-1', '999'), none).action, 'accept');
  const disabled = channelAccessFrom({ groupPolicy: 'disabled', groups: { '*': {} } });
  assert.equal(decideAccess('x', disabled, group('-1', '999', true), none).action, 'drop');
});

test('an account inherits the root keys, its own win, and its groups map replaces the root one', () => {
  const access = channelAccessFrom(
    { dmPolicy: 'allowlist', allowFrom: ['1'], groups: { '-1': {} } },
    { allowFrom: ['2'], groups: {} },
  );
  assert.equal(access.dmPolicy, 'allowlist');
  assert.deepEqual(access.allowFrom, ['2']);
  assert.deepEqual(access.groups, {});
  assert.match(
    accessProblem(channelAccessFrom({ dmPolicy: 'allowlist' })) ?? '',
    /needs at least one sender/,
  );
  assert.match(accessProblem(channelAccessFrom({ dmPolicy: 'open' })) ?? '', /allowFrom: \["\*"\]/);
  assert.equal(accessProblem(channelAccessFrom({})), undefined);
});
