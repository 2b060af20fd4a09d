import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import type { ConfigChange, ConfigSubscriber } from '../../src/config/reload.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import type { GatewayContext } from '../../src/server/context.ts';
import { updateCheckService } from '../../src/server/runtime/update-check.ts';
import { UPDATE_CHECK_FILE_NAME } from '../../src/update/check-record.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const INITIAL_DELAY_MS = 10_000;
const URL = 'https://registry.example/clawgate/latest';

type Update = GatewayConfig['update'];

/**
 * The few parts of a gateway the service touches, with a clock and timers under the test's control (node:test's
 * mock timers) and `fetch` replaced: whether a request was made is known synchronously, with no network.
 */
function harness(
  t: { after(fn: () => void): void },
  options: { env?: NodeJS.ProcessEnv; update?: Partial<Update>; fetch?: () => Promise<Response> } = {},
) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  t.after(() => mock.timers.reset());
  const fetches = mock.method(
    globalThis,
    'fetch',
    options.fetch ?? (async () => Response.json({ name: 'clawgate', version: '2.0.0' })),
  );
  t.after(() => fetches.mock.restore());
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-update-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const subscribers: ConfigSubscriber[] = [];
  const broadcasts: unknown[] = [];
  const logs: string[] = [];
  const update: Update = { channel: 'stable', checkOnStart: true, registryUrl: URL, ...options.update };
  const ctx = {
    version: '1.0.0',
    env: options.env ?? {},
    paths: { stateDir },
    configState: { config: { update } },
    config: {
      subscribe(subscriber: ConfigSubscriber) {
        subscribers.push(subscriber);
        return () => subscribers.splice(subscribers.indexOf(subscriber), 1);
      },
    },
    logger: Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (msg: string) => logs.push(`${level} ${msg}`),
      ]),
    ),
    events: { broadcast: (event: string, payload: unknown) => broadcasts.push({ event, payload }) },
    now: () => Date.now(),
    updateAvailable: null,
  } as unknown as GatewayContext;
  const changeConfig = (next: Partial<Update>) => {
    const before = { update: { ...ctx.configState.config.update } } as GatewayConfig;
    Object.assign(ctx.configState.config.update, next);
    const change = { before, after: ctx.configState.config } as unknown as ConfigChange;
    for (const subscriber of [...subscribers]) subscriber(change);
  };
  return { ctx, fetches, subscribers, broadcasts, logs, stateDir, changeConfig };
}

/** Lets a request the mock answered run to its end (its awaits are real promises, not timers). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the first check waits for the initial delay, then one per interval; the same answer is announced once', async (t) => {
  const { ctx, fetches, broadcasts } = harness(t);
  const service = updateCheckService({ initialDelayMs: INITIAL_DELAY_MS });
  service.start(ctx);
  t.after(() => service.stop(ctx));
  assert.equal(fetches.mock.callCount(), 0, 'start only arms a timer');
  mock.timers.tick(INITIAL_DELAY_MS - 1);
  assert.equal(fetches.mock.callCount(), 0);
  mock.timers.tick(1);
  assert.equal(fetches.mock.callCount(), 1);
  assert.equal(String(fetches.mock.calls[0].arguments[0]), URL);
  await settle();
  const available = { currentVersion: '1.0.0', latestVersion: '2.0.0', channel: 'stable' };
  assert.deepEqual(ctx.updateAvailable, available);
  assert.deepEqual(broadcasts, [{ event: 'update.available', payload: { updateAvailable: available } }]);

  mock.timers.tick(DAY_MS - 1);
  assert.equal(fetches.mock.callCount(), 1, 'not before a day has passed');
  mock.timers.tick(1);
  assert.equal(fetches.mock.callCount(), 2);
  await settle();
  assert.equal(broadcasts.length, 1, 'the same version is not announced again');
});

test('stop clears the timer and nothing runs afterwards, before or after the first check', async (t) => {
  const { ctx, fetches, subscribers } = harness(t);
  const early = updateCheckService({ initialDelayMs: INITIAL_DELAY_MS });
  early.start(ctx);
  early.stop(ctx);
  assert.equal(subscribers.length, 0, 'the config subscription goes with it');
  mock.timers.tick(30 * DAY_MS);
  assert.equal(fetches.mock.callCount(), 0);

  const late = updateCheckService({ initialDelayMs: INITIAL_DELAY_MS });
  late.start(ctx);
  mock.timers.tick(INITIAL_DELAY_MS);
  await settle();
  assert.equal(fetches.mock.callCount(), 1);
  late.stop(ctx);
  late.stop(ctx);
  mock.timers.tick(30 * DAY_MS);
  assert.equal(fetches.mock.callCount(), 1);
});

test('an off switch in the environment means no timer, no subscription and no request, whatever the config', (t) => {
  for (const name of ['CLAWGATE_NO_AUTO_UPDATE', 'OPENCLAW_NO_AUTO_UPDATE']) {
    for (const value of ['1', 'true', 'YES', 'on']) {
      const { ctx, fetches, subscribers } = harness(t, { env: { [name]: value } });
      const service = updateCheckService({ initialDelayMs: 0 });
      service.start(ctx);
      assert.equal(subscribers.length, 0, `${name}=${value}`);
      mock.timers.tick(30 * DAY_MS);
      assert.equal(fetches.mock.callCount(), 0, `${name}=${value}`);
      service.stop(ctx);
      mock.timers.reset();
      fetches.mock.restore();
    }
  }
  // `0` and empty are not switches.
  const { ctx, fetches } = harness(t, { env: { CLAWGATE_NO_AUTO_UPDATE: '0', OPENCLAW_NO_AUTO_UPDATE: '' } });
  const service = updateCheckService({ initialDelayMs: 0 });
  service.start(ctx);
  t.after(() => service.stop(ctx));
  mock.timers.tick(0);
  assert.equal(fetches.mock.callCount(), 1);
});

test('config changes re-arm: off withdraws the notice, on again reuses a recent answer, a new URL is asked', async (t) => {
  const { ctx, fetches, broadcasts, stateDir, changeConfig } = harness(t);
  const service = updateCheckService({ initialDelayMs: INITIAL_DELAY_MS });
  service.start(ctx);
  t.after(() => service.stop(ctx));
  mock.timers.tick(INITIAL_DELAY_MS);
  await settle();
  assert.equal(broadcasts.length, 1);

  changeConfig({ checkOnStart: false });
  assert.equal(ctx.updateAvailable, null);
  assert.deepEqual(broadcasts[1], { event: 'update.available', payload: { updateAvailable: null } });
  mock.timers.tick(30 * DAY_MS);
  assert.equal(fetches.mock.callCount(), 1, 'off: no request, ever');

  // On again within a day of the last answer (counted on the record's clock): that answer stands, unasked.
  writeFileSync(
    join(stateDir, UPDATE_CHECK_FILE_NAME),
    JSON.stringify({ checkedAtMs: Date.now() - 1000, registryUrl: URL, latestVersion: '2.0.0' }),
  );
  changeConfig({ checkOnStart: true });
  mock.timers.tick(INITIAL_DELAY_MS);
  await settle();
  assert.equal(fetches.mock.callCount(), 1);
  assert.equal((ctx.updateAvailable as { latestVersion: string } | null)?.latestVersion, '2.0.0');

  changeConfig({ registryUrl: 'https://mirror.example/clawgate/latest' });
  mock.timers.tick(INITIAL_DELAY_MS);
  assert.equal(fetches.mock.callCount(), 2);
  assert.equal(String(fetches.mock.calls[1].arguments[0]), 'https://mirror.example/clawgate/latest');
  await settle();
});

test('a record from the future (the clock went back) is not trusted; an unreadable one is ignored', async (t) => {
  const { ctx, fetches, stateDir } = harness(t);
  writeFileSync(
    join(stateDir, UPDATE_CHECK_FILE_NAME),
    JSON.stringify({ checkedAtMs: Date.now() + DAY_MS, registryUrl: URL, latestVersion: '9.0.0' }),
  );
  const service = updateCheckService({ initialDelayMs: 0 });
  service.start(ctx);
  t.after(() => service.stop(ctx));
  mock.timers.tick(0);
  assert.equal(fetches.mock.callCount(), 1);
  await settle();
  assert.equal((ctx.updateAvailable as { latestVersion: string } | null)?.latestVersion, '2.0.0');

  writeFileSync(join(stateDir, UPDATE_CHECK_FILE_NAME), '{not json');
  mock.timers.tick(DAY_MS);
  assert.equal(fetches.mock.callCount(), 2);
  await settle();
});

test('a failure is warned once, with the URL but not its credentials; the same failure again goes to debug', async (t) => {
  const { ctx, logs, broadcasts } = harness(t, {
    update: { registryUrl: 'https://ci:s3cret@mirror.example/clawgate/latest' },
    fetch: async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    },
  });
  const service = updateCheckService({ initialDelayMs: 0 });
  service.start(ctx);
  t.after(() => service.stop(ctx));
  mock.timers.tick(0);
  await settle();
  mock.timers.tick(DAY_MS);
  await settle();
  const line = 'update check failed: https://mirror.example/clawgate/latest: fetch failed: ENOTFOUND';
  assert.deepEqual(logs, [`warn ${line}`, `debug ${line}`]);
  assert.equal(ctx.updateAvailable, null);
  assert.deepEqual(broadcasts, []);
});
