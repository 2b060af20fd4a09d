import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/config/duration.ts';

test('OpenClaw duration strings parse to milliseconds; anything else is undefined', () => {
  assert.equal(parseDuration('30d'), 30 * 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1h 30m'), 5_400_000);
  assert.equal(parseDuration('0h'), 0);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  assert.equal(parseDuration('12'), 12);
  assert.equal(parseDuration(250), 250);
  for (const bad of ['', 'x', '1h x', '-1h', '1y', Number.NaN, -5])
    assert.equal(parseDuration(bad), undefined);
});
