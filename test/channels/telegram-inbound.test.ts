import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Update } from 'grammy/types';
import { inboundFromUpdate } from '../../src/channels/telegram/inbound-update.ts';

const bot = { id: 555, username: 'claw_bot' };
const user = { id: 42, is_bot: false, first_name: 'Ada' };
const group = { id: -1001, type: 'supergroup', title: 'G' };

function update(message: Record<string, unknown>, kind = 'message'): Update {
  return { update_id: 1, [kind]: { message_id: 9, date: 1_700_000_000, from: user, ...message } } as Update;
}

const inGroup = (text: string, extra: Record<string, unknown> = {}) =>
  inboundFromUpdate(update({ chat: group, text, ...extra }), bot);

test('a private text is a direct message without mention facts', () => {
  const message = inboundFromUpdate(update({ chat: { id: 42, type: 'private' }, text: 'hi' }), bot);
  assert.deepEqual(message, {
    messageId: '9',
    chatId: '42',
    peerKind: 'direct',
    senderId: '42',
    senderName: 'Ada',
    text: 'hi',
    timestamp: 1_700_000_000_000,
  });
});

test('a caption counts as the text; media alone, service messages and empty texts start nothing', () => {
  const photo = inboundFromUpdate(update({ chat: group, caption: '@claw_bot look', photo: [] }), bot);
  assert.equal(photo?.text, 'look');
  assert.equal(photo?.wasMentioned, true);
  assert.equal(inboundFromUpdate(update({ chat: group, photo: [] }), bot), undefined);
  assert.equal(inboundFromUpdate(update({ chat: group, new_chat_members: [user] }), bot), undefined);
  assert.equal(inGroup('   '), undefined);
});

test('group mentions: the mention entity, a text mention, a reply to the bot; not another handle', () => {
  const entity = [{ type: 'mention', offset: 6, length: 9 }];
  assert.equal(inGroup('hello @claw_bot', { entities: entity })?.wasMentioned, true);
  assert.equal(
    inGroup('hello @Claw_Bot', { entities: entity })?.wasMentioned,
    true,
    'handles are case-blind',
  );
  assert.equal(
    inGroup('hey you', { entities: [{ type: 'text_mention', offset: 4, length: 3, user: { id: 555 } }] })
      ?.wasMentioned,
    true,
  );
  assert.equal(
    inGroup('hello @claw_botty', { entities: [{ type: 'mention', offset: 6, length: 11 }] })?.wasMentioned,
    false,
  );
  assert.equal(inGroup('plain chatter')?.wasMentioned, false);
  const reply = {
    message_id: 3,
    date: 1,
    chat: group,
    from: { id: 555, is_bot: true, first_name: 'B' },
    text: 'x',
  };
  assert.equal(inGroup('answering you', { reply_to_message: reply })?.wasMentioned, true);
});

test('in a forum, the topic opener a message replies to is not a mention; the topic is the thread', () => {
  const opener = {
    message_id: 70,
    date: 1,
    chat: { ...group, is_forum: true },
    from: { id: 555, is_bot: true, first_name: 'B' },
    forum_topic_created: { name: 't', icon_color: 1 },
  };
  const message = inGroup('in topic', {
    chat: { ...group, is_forum: true },
    message_thread_id: 70,
    is_topic_message: true,
    reply_to_message: opener,
  });
  assert.equal(message?.wasMentioned, false);
  assert.equal(message?.threadId, '70');
  // A reply thread in an ordinary supergroup is no topic: replies go to the chat.
  assert.equal(inGroup('reply chain', { message_thread_id: 5 })?.threadId, undefined);
});

test('commands: /cmd@this_bot is addressed and normalized; /cmd@other_bot is not ours', () => {
  const entities = [{ type: 'bot_command', offset: 0, length: 13 }];
  const ours = inGroup('/new@claw_bot now', { entities });
  assert.equal(ours?.text, '/new now');
  assert.equal(ours?.wasMentioned, true);
  assert.equal(
    inGroup('/reset@other_bot', { entities: [{ type: 'bot_command', offset: 0, length: 16 }] }),
    undefined,
  );
  assert.equal(inGroup('/reset')?.wasMentioned, false, 'a bare command in a group is not a mention');
  assert.equal(
    inGroup('@claw_bot /reset', { entities: [{ type: 'mention', offset: 0, length: 9 }] })?.text,
    '/reset',
  );
  const dm = inboundFromUpdate(update({ chat: { id: 42, type: 'private' }, text: '/reset@claw_bot' }), bot);
  assert.equal(dm?.text, '/reset');
});

test('bots, channel posts and edits start no turn', () => {
  const fromBot = update({
    chat: group,
    text: '@claw_bot hi',
    from: { id: 77, is_bot: true, first_name: 'X' },
  });
  assert.equal(inboundFromUpdate(fromBot, bot), undefined);
  const own = update({ chat: group, text: 'mine', from: { id: 555, is_bot: true, first_name: 'B' } });
  assert.equal(inboundFromUpdate(own, bot), undefined);
  assert.equal(inboundFromUpdate(update({ chat: group, text: 'edit' }, 'edited_message'), bot), undefined);
  const post = update({ chat: { id: -100, type: 'channel' }, text: 'news' }, 'channel_post');
  assert.equal(inboundFromUpdate(post, bot), undefined);
});

test('send targets: chat ids, @usernames, forum topics, a tg: prefix', async () => {
  const { parseTelegramTarget } = await import('../../src/channels/telegram/telegram-target.ts');
  assert.deepEqual(parseTelegramTarget('123456789'), { chatId: '123456789' });
  assert.deepEqual(parseTelegramTarget('@name'), { chatId: '@name' });
  assert.deepEqual(parseTelegramTarget('-1001234567890:topic:42'), {
    chatId: '-1001234567890',
    threadId: '42',
  });
  assert.deepEqual(parseTelegramTarget('tg:-100123'), { chatId: '-100123' });
});
