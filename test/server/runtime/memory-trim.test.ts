import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { createLogger } from '../../../src/logging/logger.ts';
import { MemoryTrim, memoryReducingGc } from '../../../src/server/runtime/memory-trim.ts';

const logger = createLogger({ level: 'error', console: null });

function trimmer(options: { minDrop?: number } = {}) {
  let obtained = 0;
  let runs = 0;
  const trim = new MemoryTrim({
    logger,
    idleMs: 1_000,
    minDrop: options.minDrop ?? 100,
    collect: () => {
      obtained += 1;
      return () => {
        runs += 1;
      };
    },
  });
  return { trim, runs: () => runs, obtained: () => obtained };
}

test('unit: one memory-reducing GC once most of a large crowd has gone and the closes stopped', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { trim, runs, obtained } = trimmer();
  t.after(() => trim.close());
  for (let n = 1; n <= 300; n++) trim.opened(n);
  for (let n = 299; n >= 200; n--) trim.closed(n);
  mock.timers.tick(5_000);
  assert.equal(runs(), 0, '100 gone but two thirds still here: no trim');
  for (let n = 199; n >= 10; n--) trim.closed(n);
  mock.timers.tick(999);
  assert.equal(runs(), 0, 'waits for the closes to stop');
  trim.closed(9);
  mock.timers.tick(999);
  assert.equal(runs(), 0, 'each close restarts the wait');
  mock.timers.tick(1);
  assert.equal(runs(), 1);
  assert.equal(obtained(), 0 + 1, 'the GC function is obtained at the first trim');
  trim.closed(8);
  mock.timers.tick(5_000);
  assert.equal(runs(), 1, 'the peak is reset: no second trim for the same crowd');
});

test('unit: a crowd that comes back cancels the trim; close() cancels it too; small crowds never trim', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const back = trimmer();
  for (let n = 1; n <= 300; n++) back.trim.opened(n);
  for (let n = 299; n >= 0; n--) back.trim.closed(n);
  for (let n = 1; n <= 250; n++) back.trim.opened(n);
  mock.timers.tick(5_000);
  assert.equal(back.runs(), 0);

  const closing = trimmer();
  for (let n = 1; n <= 300; n++) closing.trim.opened(n);
  for (let n = 299; n >= 0; n--) closing.trim.closed(n);
  closing.trim.close();
  mock.timers.tick(5_000);
  assert.equal(closing.runs(), 0);

  const small = trimmer({ minDrop: 1_000 });
  for (let n = 1; n <= 300; n++) small.trim.opened(n);
  for (let n = 299; n >= 0; n--) small.trim.closed(n);
  mock.timers.tick(5_000);
  assert.equal(small.runs(), 0);
  small.trim.close();
});

test('the memory-reducing GC is available without --expose-gc and runs', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the test runs without --expose-gc');
  const gc = memoryReducingGc();
  // A WeakRef's target stays alive until the job that created or read it ends.
  const ref = await new Promise<WeakRef<object>>((resolve) =>
    setImmediate(() => resolve(new WeakRef({ big: 'x'.repeat(1e6) }))),
  );
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.equal(ref.deref() === undefined, true, 'it collected');
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'and left no global gc behind');
});
