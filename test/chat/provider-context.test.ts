import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toProviderContext } from '../../src/chat/provider-context.ts';
import type { StoredMessage } from '../../src/storage/store.ts';

const KEY = 'agent:main:main';

function message(seq: number, role: StoredMessage['role'], text: string, runId?: string): StoredMessage {
  return {
    id: `m${seq}`,
    sessionKey: KEY,
    sessionId: 's',
    seq,
    role,
    content: role === 'user' ? text : [{ type: 'text', text }],
    timestamp: seq,
    ...(runId ? { runId } : {}),
  };
}

const lines = (window: StoredMessage[], current: StoredMessage) =>
  toProviderContext(window, current).map((m) => `${m.role}: ${m.content}`);

test('turns one after another: the window in seq order, ending with the current message', () => {
  const window = [
    message(1, 'user', 'one', 'r1'),
    message(2, 'assistant', 'Echo: one', 'r1'),
    message(3, 'system', 'a note'),
    message(4, 'user', 'two', 'r2'),
  ];
  assert.deepEqual(lines(window, window[3] as StoredMessage), [
    'user: one',
    'assistant: Echo: one',
    'user: two',
  ]);
});

test('replies stored after a later message are placed right after the message that started their run', () => {
  // r1 and r2 sent together; r2 answered first, r3 sent before either reply was stored.
  const window = [
    message(1, 'user', 'one', 'r1'),
    message(2, 'user', 'two', 'r2'),
    message(3, 'assistant', 'Echo: two', 'r2'),
    message(4, 'user', 'three', 'r3'),
    message(5, 'assistant', 'Echo: one', 'r1'),
    message(6, 'assistant', 'more for one', 'r1'),
    message(7, 'assistant', 'no run'),
  ];
  const current = message(8, 'user', 'four', 'r4');
  assert.deepEqual(lines([...window, current], current), [
    'user: one',
    'assistant: Echo: one',
    'assistant: more for one',
    'user: two',
    'assistant: Echo: two',
    'user: three',
    'assistant: no run',
    'user: four',
  ]);
  // The window itself is left as it was.
  assert.deepEqual(
    window.map((m) => m.seq),
    [1, 2, 3, 4, 5, 6, 7],
  );
});
