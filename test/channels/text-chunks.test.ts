import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitText } from '../../src/channels/text-chunks.ts';

test('a text within the limit is one piece; an empty text is one empty piece', () => {
  assert.deepEqual(splitText('hello', 5), ['hello']);
  assert.deepEqual(splitText('', 5), ['']);
  assert.throws(() => splitText('x', 0), /limit must be >= 1/);
});

test('pieces prefer a paragraph break, then a line break, then a space; joined they are the text exactly', () => {
  const paragraphs = `${'a'.repeat(30)}\n\n${'b'.repeat(30)}`;
  assert.deepEqual(splitText(paragraphs, 40), [`${'a'.repeat(30)}\n\n`, 'b'.repeat(30)]);
  const lines = `${'a'.repeat(25)} ${'c'.repeat(5)}\n${'b'.repeat(30)}`;
  assert.deepEqual(splitText(lines, 40), [`${'a'.repeat(25)} ${'c'.repeat(5)}\n`, 'b'.repeat(30)]);
  const words = 'one two three four five six seven eight nine ten';
  const pieces = splitText(words, 12);
  assert.ok(pieces.every((piece) => piece.length <= 12));
  assert.equal(pieces.join(''), words);
  assert.ok(
    pieces.slice(0, -1).every((piece) => piece.endsWith(' ')),
    JSON.stringify(pieces),
  );
});

test('without any break the text is cut at the limit, never inside a surrogate pair', () => {
  assert.deepEqual(splitText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  const emoji = `abc${'😀'.repeat(3)}`;
  const pieces = splitText(emoji, 4);
  assert.equal(pieces.join(''), emoji);
  for (const piece of pieces)
    assert.ok(!/[\ud800-\udbff]$/.test(piece), `a piece ends inside a pair: ${JSON.stringify(piece)}`);
});

test('a long random text survives splitting at every limit: nothing lost, nothing repeated, none too long', () => {
  const alphabet = 'ab c\nd\n\ne  f😀';
  let seed = 7;
  let text = '';
  for (let i = 0; i < 3000; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    text += alphabet[seed % alphabet.length];
  }
  for (const limit of [2, 3, 7, 50, 333, 4096]) {
    const pieces = splitText(text, limit);
    assert.equal(pieces.join(''), text, `limit ${limit}`);
    assert.ok(
      pieces.every((piece) => piece.length <= limit && piece.length > 0),
      `limit ${limit}`,
    );
  }
});
