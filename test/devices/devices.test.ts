import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import { countWalCommits } from '../../bench/store-cost.ts';
import {
  connectDevice,
  createTestDevice,
  type DeviceConnectOptions,
  FORWARDED_HEADERS,
  type TestDevice,
} from '../helpers/device.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

const PAIRING_MESSAGE = 'pairing required: approve this device with device.pair.approve';
const DEVICE_TOKEN_MISMATCH = 'unauthorized: device token mismatch (re-pair or use the gateway token)';

/** An operator that may manage pairing: the CLI on direct loopback keeps its self-declared scopes. */
async function connectOperator(t: TestContext, url: string): Promise<RawClient> {
  const { client, hello } = await connectClient(url, TEST_TOKEN, {
    scopes: ['operator.read', 'operator.pairing'],
  });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  assert.deepEqual((hello.payload as { auth: { scopes: string[] } }).auth.scopes, [
    'operator.read',
    'operator.pairing',
  ]);
  return client;
}

/** Connects a device and registers its socket for cleanup. */
async function device(
  t: TestContext,
  url: string,
  identity: TestDevice,
  options: DeviceConnectOptions,
): Promise<{ client: RawClient; hello: Frame }> {
  const result = await connectDevice(url, identity, options);
  t.after(() => result.client.close());
  return result;
}

/** The socket's close code and reason, failing instead of hanging if the server never closes it. */
function closed(client: RawClient, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the server did not close the socket')), timeoutMs);
  });
  return Promise.race([client.closed, deadline]).finally(() => clearTimeout(timer));
}

async function ok<T>(client: RawClient, method: string, params?: unknown): Promise<T> {
  const res = await client.request(method, params);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

/** A refused connect: the error response, then close 1008 with the message as reason. */
async function assertRefused(
  result: { client: RawClient; hello: Frame },
  code: string,
  detailCode: string,
  message: string,
): Promise<Record<string, unknown>> {
  assert.equal(result.hello.ok, false, 'the connect must be refused');
  assert.equal(result.hello.error?.code, code);
  assert.equal(result.hello.error?.details?.code, detailCode);
  assert.equal(result.hello.error?.message, message);
  assert.deepEqual(await closed(result.client), { code: 1008, reason: message });
  return result.hello.error?.details ?? {};
}

function helloAuth(hello: Frame): { role: string; scopes: string[]; deviceToken?: string } {
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return (hello.payload as { auth: { role: string; scopes: string[]; deviceToken?: string } }).auth;
}

const proxied = (scopes: string[]): DeviceConnectOptions => ({
  token: TEST_TOKEN,
  scopes,
  headers: FORWARDED_HEADERS,
});

test('a proxied device needs approval: request event, approve, resolved event, then it connects', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const operator = await connectOperator(t, gw.url);
  const phone = createTestDevice();

  const first = await device(t, gw.url, phone, {
    ...proxied(['operator.read']),
    client: { displayName: 'Test Phone', deviceFamily: 'iPhone' },
  });
  const details = await assertRefused(first, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  assert.equal(details.reason, 'not-paired');
  assert.equal(details.recommendedNextStep, 'wait_for_approval');
  const requestId = details.requestId as string;
  assert.match(requestId, /^[0-9a-f-]{36}$/);

  const requested = await operator.event('device.pair.requested');
  assertMatchesOfficial('DevicePairRequestedEvent', requested.payload);
  assert.deepEqual(requested.payload, {
    requestId,
    deviceId: phone.deviceId,
    publicKey: phone.publicKeyRaw,
    displayName: 'Test Phone',
    platform: 'linux',
    deviceFamily: 'iPhone',
    clientId: 'cli',
    clientMode: 'cli',
    role: 'operator',
    scopes: ['operator.read'],
    // An untrusted x-forwarded-for is not believed: the peer address is reported.
    remoteIp: '127.0.0.1',
    isRepair: false,
    ts: (requested.payload as { ts: number }).ts,
  });

  // Asking again before approval reuses the open request and does not notify operators twice.
  const retry = await device(t, gw.url, phone, proxied(['operator.read']));
  const retryDetails = await assertRefused(retry, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  assert.equal(retryDetails.requestId, requestId);
  const pending = await ok<{ pending: { requestId: string; deviceId: string }[]; paired: unknown[] }>(
    operator,
    'device.pair.list',
  );
  assert.deepEqual(
    pending.pending.map((r) => [r.requestId, r.deviceId]),
    [[requestId, phone.deviceId]],
  );
  assert.deepEqual(pending.paired, []);

  const approved = await ok<{ requestId: string; device: { deviceId: string; roles: string[] } }>(
    operator,
    'device.pair.approve',
    { requestId },
  );
  assert.equal(approved.requestId, requestId);
  assert.equal(approved.device.deviceId, phone.deviceId);
  assert.deepEqual(approved.device.roles, ['operator']);
  const resolved = await operator.event('device.pair.resolved');
  assertMatchesOfficial('DevicePairResolvedEvent', resolved.payload);
  assert.equal((resolved.payload as { decision: string }).decision, 'approved');
  assert.equal((resolved.payload as { requestId: string }).requestId, requestId);
  assert.equal((resolved.payload as { deviceId: string }).deviceId, phone.deviceId);
  assert.equal(
    operator.frames.filter((f) => f.event === 'device.pair.requested').length,
    1,
    'one request event for the two attempts',
  );

  const paired = await device(t, gw.url, phone, proxied(['operator.read']));
  const auth = helloAuth(paired.hello);
  assert.deepEqual(auth.scopes, ['operator.read']);
  assert.equal(typeof auth.deviceToken, 'string');
  assert.equal((await ok<{ ok: boolean }>(paired.client, 'health')).ok, true);

  // Asking for more than it was approved for is a new (scope-upgrade) request.
  const wider = await device(t, gw.url, phone, proxied(['operator.read', 'operator.write']));
  const upgrade = await assertRefused(wider, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  assert.equal(upgrade.reason, 'scope-upgrade');
  assert.notEqual(upgrade.requestId, requestId);
  const upgradeEvent = await operator.waitFor(
    (f) => f.event === 'device.pair.requested' && (f.payload as { isRepair: boolean }).isRepair,
  );
  assertMatchesOfficial('DevicePairRequestedEvent', upgradeEvent.payload);
  assert.equal((upgradeEvent.payload as { requestId: string }).requestId, upgrade.requestId);
});

test('a rejected device stays unpaired and its next attempt opens a new request', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const operator = await connectOperator(t, gw.url);
  const laptop = createTestDevice();

  const first = await device(t, gw.url, laptop, proxied(['operator.read']));
  const { requestId } = await assertRefused(first, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  await operator.event('device.pair.requested');
  assert.deepEqual(await ok(operator, 'device.pair.reject', { requestId }), {
    requestId,
    deviceId: laptop.deviceId,
  });
  const resolved = await operator.event('device.pair.resolved');
  assertMatchesOfficial('DevicePairResolvedEvent', resolved.payload);
  assert.equal((resolved.payload as { decision: string }).decision, 'rejected');
  assert.deepEqual(await ok(operator, 'device.pair.list'), { pending: [], paired: [] });

  const again = await operator.request('device.pair.approve', { requestId });
  assert.equal(again.ok, false);
  assert.equal(again.error?.code, 'INVALID_REQUEST');
  assert.equal(again.error?.message, `unknown requestId: ${requestId}`);
  assert.equal(again.error?.details?.code, 'PAIRING_REQUEST_NOT_FOUND');

  const second = await device(t, gw.url, laptop, proxied(['operator.read']));
  const next = await assertRefused(second, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  assert.notEqual(next.requestId, requestId);
  assert.equal(next.reason, 'not-paired');
});

test('device signature checks: nonce, freshness, signature, id; v2 payloads still accepted', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const key = createTestDevice();
  const other = createTestDevice();
  const base: DeviceConnectOptions = { token: TEST_TOKEN, scopes: ['operator.read'] };

  const nonce = await device(t, gw.url, key, { ...base, signed: (i) => ({ ...i, nonce: randomUUID() }) });
  await assertRefused(
    nonce,
    'INVALID_REQUEST',
    'DEVICE_AUTH_NONCE_MISMATCH',
    'device nonce does not match the connect challenge',
  );

  const stale = await device(t, gw.url, key, {
    ...base,
    signed: (i) => ({ ...i, signedAt: i.signedAt - 10 * 60_000 }),
  });
  await assertRefused(
    stale,
    'INVALID_REQUEST',
    'DEVICE_AUTH_SIGNATURE_EXPIRED',
    'device signature expired: check the device clock',
  );

  const tampered = await device(t, gw.url, key, {
    ...base,
    proof: (p) => {
      const bytes = Buffer.from(p.signature, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      return { ...p, signature: bytes.toString('base64url') };
    },
  });
  await assertRefused(
    tampered,
    'INVALID_REQUEST',
    'DEVICE_AUTH_SIGNATURE_INVALID',
    'device signature invalid',
  );

  // A valid signature over other scopes than the ones sent is no proof for these.
  const otherScopes = await device(t, gw.url, key, {
    ...base,
    signed: (i) => ({ ...i, scopes: ['operator.admin'] }),
  });
  await assertRefused(
    otherScopes,
    'INVALID_REQUEST',
    'DEVICE_AUTH_SIGNATURE_INVALID',
    'device signature invalid',
  );

  const foreignId = await device(t, gw.url, key, { ...base, proof: (p) => ({ ...p, id: other.deviceId }) });
  await assertRefused(
    foreignId,
    'INVALID_REQUEST',
    'DEVICE_AUTH_DEVICE_ID_MISMATCH',
    'device id does not match its public key',
  );

  const v2 = await device(t, gw.url, key, {
    ...base,
    client: { deviceFamily: 'Linux' },
    signed: (i) => ({ ...i, version: 'v2' }),
  });
  assert.deepEqual(helloAuth(v2.hello).scopes, ['operator.read']);

  // v3 covers platform and family, trimmed and lowercased.
  const v3 = await device(t, gw.url, key, {
    ...base,
    client: { platform: ' Linux ', deviceFamily: 'Desktop' },
  });
  assert.deepEqual(helloAuth(v3.hello).scopes, ['operator.read']);
});

test('device tokens: mismatch, rotate and revoke invalidate sockets that used the old token', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const operator = await connectOperator(t, gw.url);
  const key = createTestDevice();
  // Pairing scope so the device can rotate its own token below.
  const scopes = ['operator.pairing', 'operator.read'];

  // Direct loopback with the shared secret: paired at once, device token issued.
  const paired = await device(t, gw.url, key, { token: TEST_TOKEN, scopes });
  const oldToken = helloAuth(paired.hello).deviceToken;
  assert.ok(oldToken);

  const wrong = await device(t, gw.url, key, { deviceToken: 'x'.repeat(43), scopes });
  const wrongDetails = await assertRefused(
    wrong,
    'INVALID_REQUEST',
    'AUTH_DEVICE_TOKEN_MISMATCH',
    DEVICE_TOKEN_MISMATCH,
  );
  assert.equal(wrongDetails.authReason, 'device_token_mismatch');

  // A device token only works with the device it was issued to.
  const stranger = await device(t, gw.url, createTestDevice(), { deviceToken: oldToken, scopes });
  await assertRefused(stranger, 'INVALID_REQUEST', 'AUTH_DEVICE_TOKEN_MISMATCH', DEVICE_TOKEN_MISMATCH);

  const viaToken = await device(t, gw.url, key, { deviceToken: oldToken, scopes });
  assert.deepEqual(helloAuth(viaToken.hello).scopes, scopes);
  // The reference client's way: the device token in auth.token (and no shared secret).
  const viaTokenField = await device(t, gw.url, key, { token: oldToken, scopes });
  assert.deepEqual(helloAuth(viaTokenField.hello).scopes, scopes);

  const tooWide = await operator.request('device.token.rotate', {
    deviceId: key.deviceId,
    role: 'operator',
    scopes: ['operator.admin'],
  });
  assert.equal(tooWide.ok, false);
  assert.equal(tooWide.error?.code, 'INVALID_REQUEST');
  assert.equal(tooWide.error?.details?.code, 'AUTH_SCOPE_MISMATCH');

  // Rotated by someone else (the shared-token operator): the new token never reaches them.
  const crossDevice = await ok<Record<string, unknown>>(operator, 'device.token.rotate', {
    deviceId: key.deviceId,
    role: 'operator',
  });
  assertMatchesOfficial('DeviceTokenRotateResult', crossDevice);
  assert.equal(crossDevice.tokenDelivery, 'withheld-cross-device');
  assert.equal('token' in crossDevice, false);
  assert.deepEqual(crossDevice.scopes, scopes);
  const rotatedReason = { code: 4001, reason: 'client invalidated: device token rotated' };
  assert.deepEqual(await closed(viaToken.client), rotatedReason);
  assert.deepEqual(await closed(viaTokenField.client), rotatedReason);
  // The socket that used the shared secret keeps its grant.
  assert.equal((await ok<{ ok: boolean }>(paired.client, 'health')).ok, true);

  // Rotated by the device itself, on its own signed connection: delivered in band.
  const rotated = await ok<{ token: string; scopes: string[]; tokenDelivery: string }>(
    paired.client,
    'device.token.rotate',
    { deviceId: key.deviceId, role: 'operator' },
  );
  assertMatchesOfficial('DeviceTokenRotateResult', rotated);
  assert.equal(rotated.tokenDelivery, 'in-band');
  assert.notEqual(rotated.token, oldToken);
  assert.deepEqual(rotated.scopes, scopes);
  assert.equal(
    operator.frames.some((frame) => JSON.stringify(frame).includes(rotated.token)),
    false,
    'no frame to the other caller carries the token',
  );
  // Nor does any other method an operator may call about the device: pairing list and approval results carry
  // token metadata only.
  const listed = await ok<unknown>(operator, 'device.pair.list', {});
  assert.equal(JSON.stringify(listed).includes(rotated.token), false);
  assert.equal(JSON.stringify(listed).includes(oldToken), false);
  assert.equal(
    operator.frames.some((frame) => JSON.stringify(frame).includes(oldToken)),
    false,
    'the first token never reached the operator either',
  );

  const old = await device(t, gw.url, key, { deviceToken: oldToken, scopes });
  await assertRefused(old, 'INVALID_REQUEST', 'AUTH_DEVICE_TOKEN_MISMATCH', DEVICE_TOKEN_MISMATCH);
  const fresh = await device(t, gw.url, key, { deviceToken: rotated.token, scopes });
  assert.deepEqual(helloAuth(fresh.hello).scopes, scopes);

  const revoked = await ok<{ deviceId: string; role: string; revokedAtMs: number }>(
    operator,
    'device.token.revoke',
    { deviceId: key.deviceId, role: 'operator' },
  );
  assert.equal(revoked.deviceId, key.deviceId);
  assert.equal(revoked.role, 'operator');
  assert.deepEqual(await closed(fresh.client), {
    code: 4001,
    reason: 'client invalidated: device token revoked',
  });
  assert.equal((await ok<{ ok: boolean }>(paired.client, 'health')).ok, true);
  const afterRevoke = await device(t, gw.url, key, { deviceToken: rotated.token, scopes });
  await assertRefused(afterRevoke, 'INVALID_REQUEST', 'AUTH_DEVICE_TOKEN_MISMATCH', DEVICE_TOKEN_MISMATCH);
  const twice = await operator.request('device.token.revoke', { deviceId: key.deviceId, role: 'operator' });
  assert.equal(twice.ok, false);
  assert.equal(twice.error?.message, `device ${key.deviceId} holds no token for role operator`);

  // Removing the device closes every socket it has, shared-secret ones included.
  assert.deepEqual(await ok(operator, 'device.pair.remove', { deviceId: key.deviceId }), {
    deviceId: key.deviceId,
  });
  assert.deepEqual(await closed(paired.client), { code: 4001, reason: 'client invalidated: device removed' });
  const list = await ok<{ paired: unknown[] }>(operator, 'device.pair.list');
  assert.deepEqual(list.paired, []);
});

test('paired devices and their tokens survive a restart on the same state dir', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-devices-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const key = createTestDevice();
  const scopes = ['operator.read', 'operator.write'];

  const first = await startTestGateway({ stateDir });
  t.after(() => first.close());
  const paired = await device(t, first.url, key, { token: TEST_TOKEN, scopes });
  const deviceToken = helloAuth(paired.hello).deviceToken;
  assert.ok(deviceToken);
  paired.client.close();
  await first.close();
  const stored = readFileSync(join(stateDir, 'devices.db'), 'latin1');
  assert.ok(stored.includes(key.deviceId));
  assert.ok(!stored.includes(deviceToken), 'the device store holds a hash, never the token');
  assert.equal(statSync(join(stateDir, 'devices.db')).mode & 0o777, 0o600);

  const second = await startTestGateway({ stateDir });
  t.after(() => second.close());
  const again = await device(t, second.url, key, { deviceToken, scopes });
  assert.deepEqual(helloAuth(again.hello).scopes, scopes);
  const operator = await connectOperator(t, second.url);
  const list = await ok<{ paired: { deviceId: string; roles: string[]; scopes: string[] }[] }>(
    operator,
    'device.pair.list',
  );
  assert.deepEqual(
    list.paired.map((d) => [d.deviceId, d.roles, d.scopes]),
    [[key.deviceId, ['operator'], scopes]],
  );
});

test('with pairing.autoApproveLoopback false a direct loopback device also waits for approval', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { pairing: { autoApproveLoopback: false } } } });
  t.after(() => gw.close());
  const operator = await connectOperator(t, gw.url);
  const key = createTestDevice();

  const first = await device(t, gw.url, key, { token: TEST_TOKEN, scopes: ['operator.read'] });
  const { requestId } = await assertRefused(first, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  const requested = await operator.event('device.pair.requested');
  assert.equal((requested.payload as { requestId: string }).requestId, requestId);
  await ok(operator, 'device.pair.approve', { requestId });
  await operator.event('device.pair.resolved');

  const second = await device(t, gw.url, key, { token: TEST_TOKEN, scopes: ['operator.read'] });
  assert.deepEqual(helloAuth(second.hello).scopes, ['operator.read']);
});

test('pairing events reach only operators holding operator.pairing', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const pairing = await connectOperator(t, gw.url);
  const { client: reader, hello } = await connectClient(gw.url, TEST_TOKEN, { scopes: ['operator.read'] });
  t.after(() => reader.close());
  assert.equal(hello.ok, true);

  const denied = await reader.request('device.pair.list');
  assert.equal(denied.error?.code, 'FORBIDDEN');
  assert.equal(denied.error?.message, 'missing scope: operator.pairing');

  const key = createTestDevice();
  const refused = await device(t, gw.url, key, proxied(['operator.read']));
  const { requestId } = await assertRefused(refused, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  await pairing.event('device.pair.requested');
  await ok(pairing, 'device.pair.approve', { requestId });
  await pairing.event('device.pair.resolved');
  // The reader is still connected and saw neither event (a later request proves its stream is drained).
  assert.equal((await ok<{ ok: boolean }>(reader, 'health')).ok, true);
  assert.deepEqual(
    reader.frames.filter((f) => f.event?.startsWith('device.pair.')),
    [],
  );
});

type ListedDevice = {
  deviceId: string;
  role?: string;
  approvedVia?: string;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
  connected: boolean;
  tokens: { role: string; scopes: string[]; createdAtMs: number; rotatedAtMs?: number }[];
};

test('device.pair.list shows what the Devices page reads: role, approvedVia, last seen, connected, token times', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const operator = await connectOperator(t, gw.url);
  const listed = async (deviceId: string) =>
    (await ok<{ paired: ListedDevice[] }>(operator, 'device.pair.list')).paired.find(
      (d) => d.deviceId === deviceId,
    );

  // Direct loopback: paired silently on its first connect.
  const laptop = createTestDevice();
  const first = await device(t, gw.url, laptop, {
    token: TEST_TOKEN,
    scopes: ['operator.read', 'operator.write'],
  });
  const seen = await listed(laptop.deviceId);
  assert.ok(seen);
  assert.equal(seen.role, 'operator');
  assert.equal(seen.approvedVia, 'silent');
  assert.equal(seen.lastSeenReason, 'connect');
  assert.equal(typeof seen.lastSeenAtMs, 'number');
  assert.equal(seen.connected, true);
  assert.deepEqual(
    seen.tokens.map((token) => [token.role, token.scopes, typeof token.createdAtMs, token.rotatedAtMs]),
    [['operator', ['operator.read', 'operator.write'], 'number', undefined]],
  );
  const deviceToken = helloAuth(first.hello).deviceToken as string;
  first.client.close();
  // The server notices the close on its own time: poll, with a deadline.
  const deadline = performance.now() + 5_000;
  while ((await listed(laptop.deviceId))?.connected !== false) {
    assert.ok(performance.now() < deadline, 'the device still shows as connected after its socket closed');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  // Back with its device token: seen again for that reason; with the shared secret again: the token rotates.
  const back = await device(t, gw.url, laptop, { deviceToken, scopes: ['operator.read'] });
  const again = await listed(laptop.deviceId);
  assert.equal(again?.connected, true);
  assert.equal(again?.lastSeenReason, 'device-token-auth');
  back.client.close();
  await device(t, gw.url, laptop, { token: TEST_TOKEN, scopes: ['operator.read', 'operator.write'] });
  const rotated = (await listed(laptop.deviceId))?.tokens[0];
  assert.equal(rotated?.createdAtMs, seen.tokens[0]?.createdAtMs);
  assert.equal(typeof rotated?.rotatedAtMs, 'number');

  // An operator's approval is recorded as such.
  const phone = createTestDevice();
  const refused = await device(t, gw.url, phone, proxied(['operator.read']));
  const { requestId } = await assertRefused(refused, 'NOT_PAIRED', 'PAIRING_REQUIRED', PAIRING_MESSAGE);
  await ok(operator, 'device.pair.approve', { requestId });
  const approved = await listed(phone.deviceId);
  assert.equal(approved?.approvedVia, 'owner');
  assert.equal(approved?.connected, false);
  assert.deepEqual(approved?.tokens, []);
});

test('a devices.json from an earlier clawgate is imported once into devices.db and renamed', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-devices-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const key = createTestDevice();
  const legacy = {
    version: 1,
    devices: [
      {
        deviceId: key.deviceId,
        publicKey: key.publicKeyRaw,
        roles: ['operator'],
        scopes: ['operator.read'],
        createdAtMs: 1_000,
        approvedAtMs: 1_000,
        tokens: {
          operator: {
            role: 'operator',
            tokenHash: 'ab'.repeat(32),
            scopes: ['operator.read'],
            issuedAtMs: 2_000,
          },
        },
      },
    ],
    pending: [],
  };
  writeFileSync(join(stateDir, 'devices.json'), JSON.stringify(legacy));
  const gw = await startTestGateway({ stateDir, keepStateDir: true });
  t.after(() => gw.close());
  assert.equal(existsSync(join(stateDir, 'devices.json')), false);
  assert.equal(existsSync(join(stateDir, 'devices.json.imported')), true);
  const operator = await connectOperator(t, gw.url);
  const listed = (await ok<{ paired: ListedDevice[] }>(operator, 'device.pair.list')).paired;
  assert.deepEqual(
    listed.map((d) => [d.deviceId, d.tokens.map((token) => token.createdAtMs)]),
    [[key.deviceId, [2_000]]],
  );
  // Still paired after a restart, now from devices.db alone.
  await gw.close();
  const again = await startTestGateway({ stateDir, keepStateDir: true });
  t.after(() => again.close());
  const reader = await connectOperator(t, again.url);
  const relisted = (await ok<{ paired: ListedDevice[] }>(reader, 'device.pair.list')).paired;
  assert.deepEqual(
    relisted.map((d) => d.deviceId),
    [key.deviceId],
  );
});

test('a new device costs at most one devices.db commit, and is on disk before its hello-ok', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const wal = join(gw.stateDir, 'devices.db-wal');
  const before = existsSync(wal) ? countWalCommits(wal) : 0;
  const keys = Array.from({ length: 16 }, () => createTestDevice());
  const connected = await Promise.all(
    keys.map((key) => device(t, gw.url, key, { token: TEST_TOKEN, scopes: ['operator.read'] })),
  );
  for (const { hello } of connected) assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const commits = countWalCommits(wal) - before;
  // Pairing, last-seen and token of one device share a commit (connects handled in one turn share one too).
  assert.ok(commits >= 1 && commits <= keys.length, `${commits} commits for ${keys.length} new devices`);
  // Acknowledged means stored: another connection to the file sees every one of them now.
  const db = new DatabaseSync(join(gw.stateDir, 'devices.db'), { readOnly: true });
  t.after(() => db.close());
  const stored = new Set(
    (db.prepare('SELECT device_id FROM devices').all() as { device_id: string }[]).map(
      (row) => row.device_id,
    ),
  );
  for (const key of keys) assert.ok(stored.has(key.deviceId), key.deviceId);
});
