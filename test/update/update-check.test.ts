import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UPDATE_CHECK_FILE_NAME } from '../../src/update/check-record.ts';
import { CLAWGATE_VERSION } from '../../src/version.ts';
import { admin, configGet } from '../helpers/admin.ts';
import { answerVersion, FakeRegistry, type RegistryReply, stall } from '../helpers/fake-registry.ts';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

const NEWER = '99.0.0';
const isUpdateEvent = (frame: Frame) => frame.type === 'event' && frame.event === 'update.available';

/** A gateway whose update check runs at once (or as `timing` says) against `registry`. */
async function gatewayAsking(
  t: { after(fn: () => unknown): void },
  registry: FakeRegistry,
  options: TestGatewayOptions & { update?: Record<string, unknown> } = {},
): Promise<TestGateway> {
  const { update, ...rest } = options;
  const gw = await startTestGateway({
    ...rest,
    config: { ...rest.config, update: { registryUrl: registry.url(), ...update } },
    updateCheck: { initialDelayMs: 0, ...rest.updateCheck },
  });
  t.after(() => gw.close());
  return gw;
}

async function updateStatus(client: RawClient): Promise<Record<string, unknown>> {
  const res = await client.request('update.status', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assertMatchesOfficial('UpdateStatusResult', res.payload);
  return res.payload as Record<string, unknown>;
}

/** Polls `probe` until it returns something, or fails after the deadline: for outcomes no event announces. */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The gateway's JSON-lines log, parsed. */
function logLines(gw: TestGateway): { message: string; level: string }[] {
  const file = join(gw.stateDir, 'logs', 'gateway.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parsed = JSON.parse(line) as { message: string; _meta: { logLevelName: string } };
      return { message: parsed.message, level: parsed._meta.logLevelName };
    });
}

async function patchConfig(client: RawClient, raw: string): Promise<void> {
  const { hash } = await configGet<{ hash: string }>(client);
  const res = await client.request('config.patch', { raw, baseHash: hash });
  assert.equal(res.ok, true, JSON.stringify(res.error));
}

test('a newer release: update.status reports it to admins, and every client gets one update.available', async (t) => {
  // The first answer waits until both clients are connected, so neither can miss the event.
  let release = () => {};
  const connected = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held: RegistryReply = (req, res) => void connected.then(() => answerVersion(NEWER)(req, res));
  const registry = await FakeRegistry.start(t, held, answerVersion(NEWER));
  const gw = await gatewayAsking(t, registry, { updateCheck: { intervalMs: 30 } });
  const operator = await admin(t, gw);
  const { client: scopeless, hello } = await connectClient(gw.url, gw.token, { scopes: [] });
  t.after(() => scopeless.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  release();

  const expected = { currentVersion: CLAWGATE_VERSION, latestVersion: NEWER, channel: 'stable' };
  for (const client of [operator, scopeless]) {
    const event = await client.waitFor(isUpdateEvent);
    assert.deepEqual(event.payload, { updateAvailable: expected });
    assertMatchesOfficial('UpdateAvailable', (event.payload as { updateAvailable: unknown }).updateAvailable);
  }
  assert.deepEqual(await updateStatus(operator), {
    sentinel: null,
    updateAvailable: expected,
    effectiveChannel: 'stable',
    schedule: { channel: 'stable', autoEnabled: false },
  });
  // refreshCheckout (what the Control UI sends) is accepted; the params stay closed.
  assert.equal((await operator.request('update.status', { refreshCheckout: true })).ok, true);
  const extra = await operator.request('update.status', { force: true });
  assert.equal(extra.error?.code, 'INVALID_REQUEST');
  const forbidden = await scopeless.request('update.status', {});
  assert.equal(forbidden.error?.message, 'missing scope: operator.admin');

  // Two more checks answer the same version: nobody hears of it again.
  await registry.requested(3);
  for (const client of [operator, scopeless]) assert.equal(client.frames.filter(isUpdateEvent).length, 1);
});

test('the same, an older, or (on stable) a prerelease version is no update', async (t) => {
  const registry = await FakeRegistry.start(
    t,
    answerVersion(CLAWGATE_VERSION),
    answerVersion('0.0.1'),
    answerVersion(`${NEWER}-beta.1`),
  );
  const gw = await gatewayAsking(t, registry, { updateCheck: { intervalMs: 20 } });
  const operator = await admin(t, gw);
  // The fourth request comes a full interval after the third answer was taken in.
  await registry.requested(4);
  const status = await updateStatus(operator);
  assert.equal(status.updateAvailable, null);
  assert.equal(operator.frames.filter(isUpdateEvent).length, 0);
});

test('a failing registry is logged with its URL and changes nothing; the same failure again is not warned twice', async (t) => {
  const oversize: RegistryReply = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"version":"${NEWER}","pad":"${'x'.repeat(1024 * 1024)}"}`);
  };
  const registry = await FakeRegistry.start(
    t,
    (_req, res) => res.writeHead(500).end('upstream down'),
    (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":'),
    oversize,
    stall,
  );
  const gw = await gatewayAsking(t, registry, { updateCheck: { intervalMs: 20, timeoutMs: 200 } });
  const url = registry.url();
  const reasons = [
    'registry answered HTTP 500',
    'registry answer is not JSON',
    'registry answer is larger than 1048576 bytes',
    'no answer within 200 ms',
  ];
  // The fifth request stalls like the fourth; the sixth comes only after it timed out and was logged.
  await registry.requested(6, 10_000);
  const failures = await eventually('the four failures in the log', () => {
    const lines = logLines(gw).filter((line) => line.message.startsWith('update check failed'));
    return lines.length >= reasons.length ? lines : undefined;
  });
  assert.deepEqual(
    failures.map((line) => [line.level, line.message]),
    reasons.map((reason) => ['WARN', `update check failed: ${url}: ${reason}`]),
  );
  const operator = await admin(t, gw);
  assert.equal((await updateStatus(operator)).updateAvailable, null);
  assert.equal((await operator.request('health')).ok, true);
});

test('off means no request at all: either environment switch, or update.checkOnStart false, even after re-arming', async (t) => {
  const off = await FakeRegistry.start(t, answerVersion(NEWER));
  const timing = { initialDelayMs: 0, intervalMs: 10 };
  const gateways = [
    await gatewayAsking(t, off, { updateCheck: timing, env: { CLAWGATE_NO_AUTO_UPDATE: '1' } }),
    await gatewayAsking(t, off, { updateCheck: timing, env: { OPENCLAW_NO_AUTO_UPDATE: '1' } }),
    await gatewayAsking(t, off, { updateCheck: timing, update: { checkOnStart: false } }),
  ];
  const [clawgateEnv, openclawEnv, config] = await Promise.all(gateways.map((gw) => admin(t, gw)));
  // The environment beats the file; a config change re-arms the check, which stays off.
  await patchConfig(clawgateEnv, '{update:{checkOnStart:true}}');
  await patchConfig(openclawEnv, '{update:{checkOnStart:true}}');
  await patchConfig(config, '{update:{channel:"beta"}}');

  // A gateway with the same timers and no switch, started last, has asked twice by now: the others would have.
  const control = await FakeRegistry.start(t, answerVersion(NEWER));
  await gatewayAsking(t, control, { updateCheck: timing });
  await control.requested(2);
  assert.equal(off.requests.length, 0);
  for (const client of [clawgateEnv, openclawEnv, config]) {
    assert.equal((await updateStatus(client)).updateAvailable, null);
  }
  assert.equal((await updateStatus(config)).effectiveChannel, 'beta');
});

test('the check is off the start-up path: ready while the registry stalls, and close aborts the request', async (t) => {
  const registry = await FakeRegistry.start(t, stall);
  const gw = await gatewayAsking(t, registry, { updateCheck: { initialDelayMs: 0, timeoutMs: 60_000 } });
  await registry.requested(1);
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
  const operator = await admin(t, gw);
  assert.equal((await updateStatus(operator)).updateAvailable, null);

  const socketClosed = once(registry.requests[0].socket, 'close');
  await gw.close();
  await socketClosed;
});

test('a restart within a day reuses the recorded answer instead of asking again', async (t) => {
  const registry = await FakeRegistry.start(t, answerVersion(NEWER));
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-update-restart-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const first = await gatewayAsking(t, registry, { stateDir });
  const before = await admin(t, first);
  await eventually('the first answer', async () => (await updateStatus(before)).updateAvailable ?? undefined);
  await first.close();
  const record = JSON.parse(readFileSync(join(stateDir, UPDATE_CHECK_FILE_NAME), 'utf8'));
  assert.equal(record.registryUrl, registry.url());
  assert.equal(record.latestVersion, NEWER);

  const second = await gatewayAsking(t, registry, { stateDir });
  const after = await admin(t, second);
  const available = await eventually(
    'the recorded answer',
    async () => (await updateStatus(after)).updateAvailable ?? undefined,
  );
  assert.deepEqual(available, { currentVersion: CLAWGATE_VERSION, latestVersion: NEWER, channel: 'stable' });
  assert.equal(registry.requests.length, 1);
});

test('live config: off withdraws the notice; on again with another registry URL asks it', async (t) => {
  const first = await FakeRegistry.start(t, answerVersion(NEWER));
  const gw = await gatewayAsking(t, first);
  const operator = await admin(t, gw);
  await eventually(
    'the first answer',
    async () => (await updateStatus(operator)).updateAvailable ?? undefined,
  );

  await patchConfig(operator, '{update:{checkOnStart:false}}');
  const withdrawn = await operator.waitFor(
    (frame) =>
      isUpdateEvent(frame) && (frame.payload as { updateAvailable: unknown }).updateAvailable === null,
  );
  assert.deepEqual(withdrawn.payload, { updateAvailable: null });
  assert.equal((await updateStatus(operator)).updateAvailable, null);

  const mirror = await FakeRegistry.start(t, answerVersion('98.0.0'));
  await patchConfig(operator, `{update:{checkOnStart:true, registryUrl:${JSON.stringify(mirror.url())}}}`);
  const announced = await operator.waitFor(
    (frame) =>
      isUpdateEvent(frame) &&
      (frame.payload as { updateAvailable: { latestVersion?: string } | null }).updateAvailable
        ?.latestVersion === '98.0.0',
  );
  assertMatchesOfficial(
    'UpdateAvailable',
    (announced.payload as { updateAvailable: unknown }).updateAvailable,
  );
  assert.equal(mirror.requests.length, 1);
  assert.equal(first.requests.length, 1);
});
