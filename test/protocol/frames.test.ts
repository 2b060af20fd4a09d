import assert from 'node:assert/strict';
import { test } from 'node:test';
import { okResponse, payloadJson, serializeOnce } from '../../src/protocol/frames.ts';

test('a snapshot serialized once is spliced as that JSON into every response', () => {
  const snapshot = serializeOnce({ ok: true, agents: [{ agentId: 'main' }] });
  // The contract is "never mutated"; mutating it here shows the cached JSON is what goes out.
  (snapshot as { ok: boolean }).ok = false;
  assert.equal(payloadJson(snapshot), '{"ok":true,"agents":[{"agentId":"main"}]}');
  assert.equal(
    okResponse('r1', snapshot),
    '{"type":"res","id":"r1","ok":true,"payload":{"ok":true,"agents":[{"agentId":"main"}]}}',
  );
});

test('other payloads are stringified as they are', () => {
  const plain = { n: 1 };
  assert.equal(okResponse('r2', plain), '{"type":"res","id":"r2","ok":true,"payload":{"n":1}}');
  plain.n = 2;
  assert.equal(payloadJson(plain), '{"n":2}');
  assert.equal(payloadJson('text'), '"text"');
  assert.equal(payloadJson(null), 'null');
  assert.equal(okResponse('r3', undefined), '{"type":"res","id":"r3","ok":true}');
});
