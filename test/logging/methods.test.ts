import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import { type TailResult, tailLogFile } from '../../src/logging/methods.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';

function tempLogger(t: TestContext, maxFiles = 5): { file: string; logger: Logger } {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.log');
  const logger = createLogger({ level: 'info', file, console: null, maxFileBytes: 4096, maxFiles });
  t.after(() => logger.close());
  return { file, logger };
}

type Tail = TailResult;

/** The numbered messages of a tail answer, without the rotation headers. */
const numbers = (answer: Tail) =>
  answer.lines
    .map((line) => (JSON.parse(line) as { message: string }).message)
    .filter((msg) => msg !== 'log rotated')
    .map(Number);

/** Follows the log like a client polling with its cursor, until nothing is left to read. */
function follow(file: string, cursor: number, limit?: number): { seen: number[]; answer: Tail } {
  const seen: number[] = [];
  for (let round = 0; round < 100; round++) {
    const answer = tailLogFile(file, { cursor, limit });
    assertMatchesOfficial('LogsTailResult', answer);
    assert.equal(answer.reset, undefined);
    seen.push(...numbers(answer));
    cursor = answer.cursor;
    if (!answer.truncated) return { seen, answer };
  }
  throw new Error('the tail never caught up');
}

/**
 * Logs numbered lines from `next` until the log has rotated exactly once and the new file is longer than
 * `minSize`; returns the next number.
 */
function logThroughOneRotation(logger: Logger, file: string, next: number, minSize: number): number {
  while (!existsSync(`${file}.1`) || statSync(file).size <= minSize) {
    logger.info(String(next++), { pad: PAD });
    assert.ok(!existsSync(`${file}.2`), 'rotated twice');
  }
  return next;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);
const PAD = 'q'.repeat(60);

test('a cursor follows the log across a rotation: no line lost or repeated', (t) => {
  const { file, logger } = tempLogger(t);
  for (let index = 0; index < 5; index++) logger.info(String(index), { pad: PAD });
  const first = tailLogFile(file, {});
  assertMatchesOfficial('LogsTailResult', first);
  assert.deepEqual(numbers(first), range(0, 5));
  // The new file grows longer than the old cursor: a plain offset would read the wrong bytes.
  const end = logThroughOneRotation(logger, file, 5, first.cursor);
  const { seen, answer } = follow(file, first.cursor);
  assert.deepEqual(seen, range(5, end));
  assert.equal(answer.cursor, answer.size);
  // Polling again at the end reads nothing.
  assert.deepEqual(tailLogFile(file, { cursor: answer.cursor }).lines, []);
});

test('small limits page through the archive and into the new file', (t) => {
  const { file, logger } = tempLogger(t);
  logger.info('0', { pad: PAD });
  const start = tailLogFile(file, {}).cursor;
  const end = logThroughOneRotation(logger, file, 1, 2400);
  assert.deepEqual(follow(file, start, 2).seen, range(1, end));
});

test('a cursor older than the previous file, or past the end, resets to the newest lines', (t) => {
  const { file, logger } = tempLogger(t);
  logger.info('0', { pad: PAD });
  const stale = tailLogFile(file, {}).cursor;
  for (let index = 1; index < 80; index++) logger.info(String(index), { pad: PAD });
  const old = tailLogFile(file, { cursor: stale, limit: 3 });
  assertMatchesOfficial('LogsTailResult', old);
  assert.equal(old.reset, true);
  assert.deepEqual(numbers(old).at(-1), 79);
  const ahead = tailLogFile(file, { cursor: old.size + 10 });
  assert.equal(ahead.reset, true);
  assert.equal(ahead.cursor, ahead.size);
});

test('a log that never rotated keeps plain byte offsets', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.log');
  writeFileSync(file, '{"msg":"a"}\n{"msg":"b"}\n{"msg":"c');
  const answer = tailLogFile(file, {});
  assert.deepEqual(answer.lines, ['{"msg":"a"}', '{"msg":"b"}']);
  assert.equal(answer.cursor, 24);
  assert.equal(answer.size, 33);
  assert.equal(answer.truncated, true);
  const tail = tailLogFile(file, { cursor: 12 });
  assert.deepEqual(tail.lines, ['{"msg":"b"}']);
  assert.equal(tail.cursor, 24);
});
