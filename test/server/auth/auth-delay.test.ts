import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimerAuthDelay } from '../../../src/server/auth/auth-delay.ts';

test('the real auth delay waits on a timer; close() clears it and settles the wait at once', async () => {
  const delay = new TimerAuthDelay();
  let settled = false;
  const short = delay.wait(1);
  // Long enough that only close() can settle it within the test's run.
  const long = delay.wait(60_000).then(() => {
    settled = true;
  });
  await short;
  assert.equal(delay.pending, 1, 'a finished wait leaves no timer');
  assert.equal(settled, false);
  delay.close();
  assert.equal(delay.pending, 0);
  await long;
  assert.equal(settled, true);
  // After close nothing new is armed: a late failure is answered at once.
  await delay.wait(60_000);
  assert.equal(delay.pending, 0);
});
