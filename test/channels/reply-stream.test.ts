import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelAccountHandle, OutboundMessage } from '../../src/channels/channel-types.ts';
import { ReplyStream } from '../../src/channels/reply-stream.ts';
import { createLogger } from '../../src/logging/logger.ts';

type Call = { op: 'send' | 'edit' | 'typing'; text?: string; id?: string; at: number };

function fakeHandle(options: { edit?: boolean; failOn?: number } = {}) {
  const calls: Call[] = [];
  let ids = 0;
  const handle: ChannelAccountHandle = {
    send: async (message: OutboundMessage) => {
      if (options.failOn !== undefined && calls.filter((c) => c.op !== 'typing').length === options.failOn)
        throw new Error('refused');
      const id = String(++ids);
      calls.push({ op: 'send', text: message.text, id, at: Date.now() });
      return { messageId: id, chatId: message.chatId };
    },
    typing: async () => {
      calls.push({ op: 'typing', at: Date.now() });
    },
    stop: async () => undefined,
  };
  if (options.edit !== false) {
    handle.edit = async (target, text) => {
      calls.push({ op: 'edit', text, id: target.messageId, at: Date.now() });
    };
  }
  return { handle, calls };
}

const logger = createLogger({ level: 'error', console: null });
const timing = { previewThrottleMs: 40, typingIntervalMs: 30 };

function stream(
  handle: ChannelAccountHandle,
  extra: Partial<ConstructorParameters<typeof ReplyStream>[0]> = {},
) {
  const failures: string[] = [];
  let outbound = 0;
  const reply = new ReplyStream({
    handle,
    target: { chatId: '1' },
    limit: 20,
    streaming: true,
    timing,
    logger,
    onOutbound: () => {
      outbound += 1;
    },
    onFailure: (reason) => failures.push(reason),
    ...extra,
  });
  return { reply, failures, outbound: () => outbound };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test('a streamed reply: typing, the first delta sent, later ones edited in no faster than the throttle, the final text split', async () => {
  const { handle, calls } = fakeHandle();
  const { reply, failures } = stream(handle);
  reply.start();
  reply.update('Hello');
  await until(() => calls.some((c) => c.op === 'send'));
  for (let i = 1; i <= 10; i += 1) {
    reply.update(`Hello ${'x'.repeat(i)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await reply.finish('Hello world, this is the final answer.');
  const writes = calls.filter((c) => c.op !== 'typing');
  assert.equal(writes[0]?.op, 'send');
  assert.equal(writes[0]?.text, 'Hello');
  const edits = writes.filter((c) => c.op === 'edit');
  // Preview edits keep the throttle (the final one goes out at once); the timer may fire a little early.
  const previews = [writes[0], ...edits.slice(0, -1)];
  assert.ok(previews.length >= 2, 'the preview was edited while streaming');
  for (let i = 1; i < previews.length; i += 1) {
    assert.ok(
      (previews[i]?.at ?? 0) - (previews[i - 1]?.at ?? 0) >= 30,
      'edits come no faster than the throttle',
    );
  }
  // The final text: its first piece edited into the preview, the rest in a new message; nothing lost.
  const last = writes.at(-1);
  assert.equal(last?.op, 'send');
  const finalEdit = edits.at(-1);
  assert.equal(`${finalEdit?.text}${last?.text}`, 'Hello world, this is the final answer.');
  assert.ok(calls.some((c) => c.op === 'typing'));
  assert.deepEqual(failures, []);
  const typingAfter = calls.filter((c) => c.op === 'typing').length;
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(calls.filter((c) => c.op === 'typing').length, typingAfter, 'typing stops with the reply');
});

test('without edit (or with streaming off) the reply goes out once, whole and split', async () => {
  const { handle, calls } = fakeHandle({ edit: false });
  const { reply } = stream(handle);
  reply.update('partial text');
  await reply.finish('one two three four five six seven');
  assert.deepEqual(
    calls.filter((c) => c.op === 'send').map((c) => c.text),
    ['one two three four ', 'five six seven'],
  );
});

test('a silent reply (NO_REPLY) is never shown, not even as a preview; an empty one sends nothing', async () => {
  const { handle, calls } = fakeHandle();
  const { reply } = stream(handle);
  reply.update('NO_');
  reply.update('NO_REPLY');
  await new Promise((resolve) => setTimeout(resolve, 60));
  await reply.finish('NO_REPLY');
  assert.deepEqual(
    calls.filter((c) => c.op !== 'typing'),
    [],
  );
  const other = stream(fakeHandle().handle);
  await other.reply.finish('   ');
});

test('a failed send ends the delivery: reported once, nothing more sent, no rejection', async () => {
  const { handle, calls } = fakeHandle({ edit: false, failOn: 1 });
  const { reply, failures } = stream(handle);
  await reply.finish('one two three four five six seven eight nine ten eleven twelve');
  assert.equal(calls.filter((c) => c.op === 'send').length, 1);
  assert.deepEqual(failures, ['refused']);
});
