import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreAuthWork } from '../../../src/server/ws/preauth-work.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('jobs run in arrival order, a slice at a time, with I/O-phase callbacks in between', async () => {
  const work = new PreAuthWork(
    () => 2,
    (error) => assert.fail(String(error)),
  );
  const order: string[] = [];
  for (let i = 0; i < 4; i++)
    work.run(() => {
      order.push(`job${i}`);
      busy(3);
    });
  assert.equal(work.pending, 4);
  // Each job outlasts the 2 ms budget, so a slice runs one; the loop then turns, and the immediate below
  // (queued after the first slice) runs before the next slice.
  setImmediate(() => order.push('other'));
  await new Promise<void>((resolve) => {
    const check = () => (work.pending === 0 ? resolve() : setImmediate(check));
    setImmediate(check);
  });
  assert.deepEqual(order, ['job0', 'other', 'job1', 'job2', 'job3']);
  work.close();
});

test('a throwing job is reported and the rest still run', async () => {
  const errors: unknown[] = [];
  const work = new PreAuthWork(
    () => 50,
    (error) => errors.push(error),
  );
  const ran: number[] = [];
  work.run(() => ran.push(1));
  work.run(() => {
    throw new Error('boom');
  });
  work.run(() => ran.push(3));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, [1, 3]);
  assert.equal((errors[0] as Error).message, 'boom');
  work.close();
});

test('a slice of 0 runs jobs at once; close() drops what is queued', async () => {
  let slice = 0;
  const work = new PreAuthWork(
    () => slice,
    (error) => assert.fail(String(error)),
  );
  const ran: string[] = [];
  work.run(() => ran.push('now'));
  assert.deepEqual(ran, ['now']);
  slice = 5;
  work.run(() => ran.push('later'));
  work.close();
  work.run(() => ran.push('after close'));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, ['now']);
  assert.equal(work.pending, 0);
});
