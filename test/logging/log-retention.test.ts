import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { pruneLogArchives } from '../../src/logging/log-retention.ts';
import { createLogger } from '../../src/logging/logger.ts';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

function logDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-log-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'logs');
}

/** A file last written `daysAgo` days before NOW. */
function writeAged(path: string, daysAgo: number): void {
  writeFileSync(path, '{}\n');
  const at = (NOW - daysAgo * DAY_MS) / 1000;
  utimesSync(path, at, at);
}

test('archives last written before the cut-off are removed; the live file and other files never are', (t) => {
  const dir = logDir(t);
  mkdirSync(dir);
  const file = join(dir, 'gateway.log');
  writeAged(file, 100);
  writeAged(`${file}.1`, 3);
  writeAged(`${file}.2`, 15);
  writeAged(`${file}.3`, 40);
  // Not archives as logger.ts names them: kept whatever their age.
  for (const name of ['gateway.log.01', 'gateway.log.x', 'gateway.log.1.bak', 'other.log.1', 'gateway.log.0'])
    writeAged(join(dir, name), 100);
  const before = NOW - 14 * DAY_MS;

  assert.equal(pruneLogArchives(file, before, true), 2, 'a dry run counts');
  assert.equal(readdirSync(dir).length, 9, 'and removes nothing');
  assert.equal(pruneLogArchives(file, before), 2);
  assert.deepEqual(readdirSync(dir).sort(), [
    'gateway.log',
    'gateway.log.0',
    'gateway.log.01',
    'gateway.log.1',
    'gateway.log.1.bak',
    'gateway.log.x',
    'other.log.1',
  ]);
  assert.equal(pruneLogArchives(file, before), 0);
});

test('an archive written exactly at the cut-off is kept', (t) => {
  const dir = logDir(t);
  mkdirSync(dir);
  const file = join(dir, 'gateway.log');
  writeAged(`${file}.1`, 14);
  assert.equal(pruneLogArchives(file, NOW - 14 * DAY_MS), 0);
  assert.equal(pruneLogArchives(file, NOW - 14 * DAY_MS + 1), 1);
});

test('no log directory yet is no archives', (t) => {
  assert.equal(pruneLogArchives(join(logDir(t), 'gateway.log'), NOW), 0);
});

test('archives the logger rotated are pruned and the logger keeps writing its live file', (t) => {
  const file = join(logDir(t), 'gateway.log');
  const logger = createLogger({ level: 'info', file, console: null, maxFileBytes: 1024, maxFiles: 3 });
  t.after(() => logger.close());
  for (let i = 0; i < 20; i++) logger.info(`line ${i}`, { pad: 'x'.repeat(200) });
  assert.ok(existsSync(`${file}.2`), 'rotated at least twice');
  assert.ok(pruneLogArchives(file, Date.now() + 60_000) >= 2);
  assert.ok(!existsSync(`${file}.1`) && !existsSync(`${file}.2`));
  for (let i = 0; i < 20; i++) logger.info(`again ${i}`, { pad: 'x'.repeat(200) });
  assert.ok(existsSync(file));
  assert.ok(existsSync(`${file}.1`), 'rotation goes on after the gap');
});
