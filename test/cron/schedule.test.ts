import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCroner, nextRunAt, parseAt, validateSchedule } from '../../src/cron/schedule.ts';

test('every: whole intervals from the anchor, strictly after the given time', () => {
  const schedule = { kind: 'every', everyMs: 1000, anchorMs: 10_000 } as const;
  assert.equal(nextRunAt(schedule, 'j', 5_000), 10_000);
  assert.equal(nextRunAt(schedule, 'j', 10_000), 11_000);
  assert.equal(nextRunAt(schedule, 'j', 10_500), 11_000);
  // A gateway down for an hour resumes on the grid: one next slot, not a backlog.
  assert.equal(nextRunAt(schedule, 'j', 3_610_400), 3_611_000);
});

test('at: ISO 8601, UTC without an offset; nothing once it ran', () => {
  assert.equal(parseAt('2027-02-01T16:00:00'), Date.UTC(2027, 1, 1, 16));
  assert.equal(parseAt('2027-02-01T16:00:00+02:00'), Date.UTC(2027, 1, 1, 14));
  assert.equal(nextRunAt({ kind: 'at', at: '2027-02-01T16:00:00Z' }, 'j', 0), Date.UTC(2027, 1, 1, 16));
  assert.equal(nextRunAt({ kind: 'at', at: '2027-02-01T16:00:00Z' }, 'j', 0, { ranOnce: true }), undefined);
  assert.throws(() => parseAt('next tuesday'), /schedule\.at: "next tuesday" is not an ISO 8601 date-time/);
});

test('cron: evaluated in its time zone; top-of-hour expressions are staggered per job, explicit stagger wins', async () => {
  await loadCroner();
  const from = Date.UTC(2026, 11, 3, 12, 30);
  // 09:00 in Berlin (UTC+1 in December) is 08:00 UTC.
  assert.equal(
    nextRunAt({ kind: 'cron', expr: '0 9 * * *', tz: 'Europe/Berlin' }, 'j', from),
    Date.UTC(2026, 11, 4, 8),
  );
  const exact = nextRunAt({ kind: 'cron', expr: '0 * * * *', tz: 'UTC', staggerMs: 0 }, 'j', from);
  assert.equal(exact, Date.UTC(2026, 11, 3, 13));
  const offsets = ['a', 'b', 'c', 'd'].map(
    (id) =>
      (nextRunAt({ kind: 'cron', expr: '0 * * * *', tz: 'UTC' }, id, from) as number) -
      Date.UTC(2026, 11, 3, 13),
  );
  for (const offset of offsets) assert.ok(offset >= 0 && offset < 5 * 60_000, `offset ${offset}`);
  assert.ok(new Set(offsets).size > 1, 'jobs sharing an expression are spread');
  // The same job always gets the same offset.
  assert.equal(
    nextRunAt({ kind: 'cron', expr: '0 * * * *', tz: 'UTC' }, 'a', from),
    offsets[0] + Date.UTC(2026, 11, 3, 13),
  );
});

test('a bad expression or time zone names the field', async () => {
  await assert.rejects(
    validateSchedule({ kind: 'cron', expr: '99 * * * *' }),
    (error: Error & { field?: string }) => {
      assert.equal(error.field, 'schedule.expr');
      assert.match(error.message, /^schedule\.expr: .*minute: 99/);
      return true;
    },
  );
  await assert.rejects(validateSchedule({ kind: 'cron', expr: '0 * * * *', tz: 'Mars/Base' }), {
    message: 'schedule.tz: "Mars/Base" is not an IANA time zone',
  });
  await assert.rejects(
    validateSchedule({ kind: 'cron', expr: '* * *' }),
    /schedule\.expr: "\* \* \*" has 3 fields/,
  );
  await validateSchedule({ kind: 'cron', expr: '*/5 * * * *', tz: 'America/New_York' });
});
