import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { createLogger } from '../../../src/logging/logger.ts';
import {
  MemoryTrim,
  memoryReducingGc,
  TRIM_CHECK_MS,
  TRIM_GROWTH_BYTES,
} from '../../../src/server/runtime/memory-trim.ts';

const logger = createLogger({ level: 'error', console: null });

const MiB = 1024 * 1024;

function trimmer() {
  const state: { rss: number; heapUsed: number; utilization: number; keep?: number } = {
    rss: 100 * MiB,
    heapUsed: 20 * MiB,
    utilization: 0,
  };
  let obtained = 0;
  let runs = 0;
  const trim = new MemoryTrim({
    logger,
    probe: { rss: () => state.rss, heapUsed: () => state.heapUsed, utilization: () => state.utilization },
    collect: () => {
      obtained += 1;
      return () => {
        runs += 1;
        state.rss = state.keep ?? state.rss;
      };
    },
  });
  return Object.assign(state, {
    trim,
    runs: () => runs,
    obtained: () => obtained,
  });
}

test('unit: a trim runs once RSS is TRIM_GROWTH_BYTES above its low point and the loop was idle', () => {
  const t = trimmer();
  assert.equal(t.trim.check(), false, 'the first look only takes the low point');
  t.rss = 100 * MiB + TRIM_GROWTH_BYTES - 1;
  assert.equal(t.trim.check(), false, 'not yet grown enough');
  t.rss = 130 * MiB;
  t.utilization = 0.5;
  assert.equal(t.trim.check(), false, 'the loop was busy: not now');
  assert.equal(t.obtained(), 0, 'the GC is not obtained before it is needed');
  t.utilization = 0.01;
  t.keep = 104 * MiB;
  assert.equal(t.trim.check(), false, 'one idle window may be the pause before the next burst');
  assert.equal(t.trim.check(), true, 'two in a row');
  assert.equal(t.runs(), 1);
  assert.equal(t.obtained(), 1);
  t.rss = 110 * MiB;
  assert.equal(t.trim.check(), false, 'the low point is what the trim left: 6 MiB above it is nothing');
});

test('unit: memory really in use becomes the low point; a large live heap is left to V8', () => {
  const t = trimmer();
  t.trim.check();
  t.rss = 200 * MiB;
  t.keep = 195 * MiB;
  assert.equal(t.trim.check(), true, 'tried once (the first look was an idle window too)');
  t.rss = 210 * MiB;
  assert.equal(t.trim.check(), false, 'not again for the same data');
  t.rss = 230 * MiB;
  t.heapUsed = 200 * MiB;
  assert.equal(t.trim.check(), false, 'a 200 MiB live heap: no memory-reducing pause');
  assert.equal(t.runs(), 1);
});

test("unit: start() looks every TRIM_CHECK_MS on an unref'd interval; stop() ends it", (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  const m = trimmer();
  m.trim.start();
  m.trim.check();
  m.utilization = 0.5;
  m.trim.check();
  m.utilization = 0;
  m.rss = 200 * MiB;
  mock.timers.tick(TRIM_CHECK_MS);
  assert.equal(m.runs(), 0, 'one idle window');
  mock.timers.tick(TRIM_CHECK_MS - 1);
  assert.equal(m.runs(), 0);
  mock.timers.tick(1);
  assert.equal(m.runs(), 1);
  m.trim.stop();
  m.rss = 400 * MiB;
  mock.timers.tick(TRIM_CHECK_MS * 3);
  assert.equal(m.runs(), 1);
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
