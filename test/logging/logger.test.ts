import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createLogger, LOG_OFFSET_FIELD } from '../../src/logging/logger.ts';

function tempLog(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-logger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'logs', 'gateway.log');
}

const messages = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { message: string; [key: string]: unknown });

test('lines are appended to one file created 0600, and survive a reopen by a second logger', (t) => {
  const file = tempLog(t);
  const first = createLogger({ level: 'info', file, console: null });
  first.info('one', { n: 1 });
  first.debug('filtered');
  first.close();
  const second = createLogger({ level: 'debug', file, console: null });
  second.debug('two');
  second.close();
  assert.deepEqual(
    messages(file).map((line) => line.message),
    ['one', 'two'],
  );
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('the file rotates by size, keeping maxFiles archives and deleting the oldest', (t) => {
  const file = tempLog(t);
  const logger = createLogger({ level: 'info', file, console: null, maxFileBytes: 1024, maxFiles: 2 });
  t.after(() => logger.close());
  const pad = 'x'.repeat(200);
  for (let index = 0; index < 40; index++) logger.info(`line ${index}`, { pad });
  assert.ok(statSync(file).size <= 1024);
  assert.ok(existsSync(`${file}.1`));
  assert.ok(existsSync(`${file}.2`));
  assert.ok(!existsSync(`${file}.3`));
  const kept = [...messages(`${file}.2`), ...messages(`${file}.1`), ...messages(file)]
    .filter((line) => line.message !== 'log rotated')
    .map((line) => Number(line.message.slice('line '.length)));
  // What is kept is a contiguous, newest run of lines: nothing lost or reordered within the archives.
  assert.equal(kept.at(-1), 39);
  assert.deepEqual(
    kept,
    kept.map((_, index) => 40 - kept.length + index),
  );
  // Each rotated-in file starts with the stream position it continues from.
  const header = messages(file)[0];
  assert.equal(header?.message, 'log rotated');
  assert.equal(
    header?.[LOG_OFFSET_FIELD],
    (messages(`${file}.1`)[0]?.[LOG_OFFSET_FIELD] as number) + statSync(`${file}.1`).size,
  );
});

test('a line larger than maxFileBytes is written once, not rotated forever', (t) => {
  const file = tempLog(t);
  const logger = createLogger({ level: 'info', file, console: null, maxFileBytes: 1024, maxFiles: 3 });
  t.after(() => logger.close());
  logger.info('small');
  logger.info('huge', { pad: 'y'.repeat(4000) });
  logger.info('after');
  assert.deepEqual(
    messages(`${file}.1`).map((line) => line.message),
    ['log rotated', 'huge'],
  );
  assert.deepEqual(
    messages(`${file}.2`).map((line) => line.message),
    ['small'],
  );
  assert.deepEqual(
    messages(file).map((line) => line.message),
    ['log rotated', 'after'],
  );
});

test('setRotation applies new limits live, and a lowered maxFiles prunes the extra archives', (t) => {
  const file = tempLog(t);
  const logger = createLogger({ level: 'info', file, console: null, maxFileBytes: 1024, maxFiles: 4 });
  t.after(() => logger.close());
  const pad = 'z'.repeat(300);
  for (let index = 0; index < 30; index++) logger.info(`a${index}`, { pad });
  assert.ok(existsSync(`${file}.4`));
  logger.setRotation({ maxFileBytes: 1024, maxFiles: 1 });
  for (let index = 0; index < 5; index++) logger.info(`b${index}`, { pad });
  assert.ok(existsSync(`${file}.1`));
  for (const index of [2, 3, 4]) assert.ok(!existsSync(`${file}.${index}`), `${file}.${index} remains`);
  logger.setRotation({ maxFileBytes: 1_000_000, maxFiles: 1 });
  const before = statSync(file).size;
  for (let index = 0; index < 10; index++) logger.info(`c${index}`, { pad });
  assert.ok(statSync(file).size > before + 3000);
});

test('a failed write or rotation never throws, and the console still gets the line', (t) => {
  const file = tempLog(t);
  const seen: string[] = [];
  const logger = createLogger({
    level: 'info',
    file,
    console: (line) => seen.push(line),
    maxFileBytes: 1024,
    maxFiles: 1,
  });
  t.after(() => logger.close());
  logger.info('first');
  // A non-empty directory where the archive goes makes rotation fail (even for root); appends go on.
  mkdirSync(join(`${file}.1`, 'in-the-way'), { recursive: true });
  for (let index = 0; index < 20; index++) logger.info(`line ${index}`, { pad: 'p'.repeat(200) });
  assert.equal(seen.length, 21);
  assert.equal(messages(file).length, 21);
  rmSync(`${file}.1`, { recursive: true });
  logger.info('recovered');
  assert.equal(messages(`${file}.1`).length, 21);
  assert.deepEqual(
    messages(file).map((line) => line.message),
    ['log rotated', 'recovered'],
  );
});

test('after close() lines reach the console only', (t) => {
  const file = tempLog(t);
  const seen: string[] = [];
  const logger = createLogger({ level: 'info', file, console: (line) => seen.push(line) });
  logger.info('kept');
  logger.close();
  logger.info('console only');
  logger.close();
  assert.deepEqual(
    messages(file).map((line) => line.message),
    ['kept'],
  );
  assert.equal(seen.length, 2);
});

test('an unwritable log path does not throw', (t) => {
  const file = tempLog(t);
  const blocker = join(file, '..', '..', 'blocker');
  writeFileSync(blocker, '');
  const logger = createLogger({ level: 'info', file: join(blocker, 'gateway.log'), console: null });
  logger.info('dropped');
  logger.close();
});
