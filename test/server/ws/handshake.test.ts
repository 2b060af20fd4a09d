import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { NODE } from '../../../src/server/authz/access.ts';
import type { GatewayModule } from '../../../src/server/registry.ts';
import { connectDevice, createTestDevice } from '../../helpers/device.ts';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.ts';
import {
  type ConnectOverrides,
  connectClient,
  connectParams,
  type Frame,
  RawClient,
} from '../../helpers/raw-client.ts';

type Outcome = {
  client: RawClient;
  res: Frame | undefined;
  close: { code: number; reason: string };
};

type SocketOptions = { headers?: Record<string, string>; origin?: string };

const TOKEN_MISMATCH_MESSAGE =
  'unauthorized: gateway token mismatch (set the gateway token: --token or CLAWGATE_GATEWAY_TOKEN)';
const TOKEN_MISMATCH_DETAILS = {
  code: 'AUTH_TOKEN_MISMATCH',
  authReason: 'token_mismatch',
  canRetryWithDeviceToken: false,
  recommendedNextStep: 'update_auth_credentials',
};

/** Sends `first` as the socket's first frame (after the challenge) and waits for the server to close it. */
async function firstFrame(url: string, first: unknown, options: SocketOptions = {}): Promise<Outcome> {
  const client = new RawClient(url, options);
  await client.challenge();
  client.send(first);
  const close = await client.closed;
  const res = client.frames.find((frame) => frame.type === 'res');
  return { client, res, close };
}

/** A `connect` that is expected to be refused: returns its response and the close. */
function failedConnect(url: string, params: unknown, options: SocketOptions = {}): Promise<Outcome> {
  return firstFrame(url, { type: 'req', id: 'c1', method: 'connect', params }, options);
}

/** The handshake failure left the gateway serving: a good client connects and `health` answers. */
async function assertGoodClientConnects(gw: TestGateway, options: SocketOptions = {}): Promise<void> {
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN, {}, options);
  try {
    assert.equal(hello.ok, true, JSON.stringify(hello.error));
    assert.equal((hello.payload as { type: string }).type, 'hello-ok');
    const health = await client.request('health');
    assert.equal(health.ok, true, JSON.stringify(health.error));
  } finally {
    client.close();
  }
}

/** A node connects with a signed device (clawgate refuses a node without one). */
async function connectNodeOk(
  gw: TestGateway,
  extra: Record<string, unknown> = {},
): Promise<{ client: RawClient; auth: { role: string; scopes: string[] }; protocol: number }> {
  const { client, hello } = await connectDevice(gw.url, createTestDevice(), {
    token: TEST_TOKEN,
    role: 'node',
    scopes: [],
    client: { id: 'node-host', mode: 'node' },
    extra,
  });
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const payload = hello.payload as { auth: { role: string; scopes: string[] }; protocol: number };
  return { client, auth: payload.auth, protocol: payload.protocol };
}

async function connectOk(
  gw: TestGateway,
  overrides: ConnectOverrides,
  options: SocketOptions = {},
): Promise<{ client: RawClient; auth: { role: string; scopes: string[] }; protocol: number }> {
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN, overrides, options);
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const payload = hello.payload as { auth: { role: string; scopes: string[] }; protocol: number };
  return { client, auth: payload.auth, protocol: payload.protocol };
}

test('connect.challenge is the first frame, unnumbered, with nonce, ts and capabilities', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const a = new RawClient(gw.url);
  const b = new RawClient(gw.url);
  t.after(() => {
    a.close();
    b.close();
  });
  const first = await a.next();
  assert.equal(first.type, 'event');
  assert.equal(first.event, 'connect.challenge');
  assert.equal('seq' in first, false);
  assert.equal('stateVersion' in first, false);
  const payload = first.payload as { nonce: string; ts: number; capabilities: string[] };
  assert.deepEqual(Object.keys(payload).sort(), ['capabilities', 'nonce', 'ts']);
  assert.match(payload.nonce, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(Math.abs(payload.ts - Date.now()) < 5_000, `ts ${payload.ts} is not now`);
  assert.deepEqual(payload.capabilities, ['model-catalog-snapshot']);
  const other = (await b.next()).payload as { nonce: string };
  assert.notEqual(other.nonce, payload.nonce, 'every socket gets its own nonce');
  await assertGoodClientConnects(gw);
});

test('a wrong token gets AUTH_TOKEN_MISMATCH and no credentials get DEVICE_IDENTITY_REQUIRED, both close 1008', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  const bad = await failedConnect(gw.url, connectParams('wrong-token'));
  assert.deepEqual(bad.res?.error, {
    code: 'INVALID_REQUEST',
    message: TOKEN_MISMATCH_MESSAGE,
    details: TOKEN_MISMATCH_DETAILS,
  });
  assert.deepEqual(bad.close, { code: 1008, reason: TOKEN_MISMATCH_MESSAGE });

  const missing = await failedConnect(gw.url, connectParams(undefined));
  assert.deepEqual(missing.res?.error, {
    code: 'NOT_PAIRED',
    message: 'device identity required',
    details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'update_auth_credentials' },
  });
  assert.deepEqual(missing.close, { code: 1008, reason: 'device identity required' });

  await assertGoodClientConnects(gw);
});

test('after maxAttempts failures a non-exempt source is locked out, even with the right token', async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: { auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 3, exemptLoopback: false } } },
    },
  });
  t.after(() => gw.close());

  for (let attempt = 1; attempt <= 3; attempt++) {
    const bad = await failedConnect(gw.url, connectParams('wrong-token'));
    assert.equal(bad.res?.error?.code, 'INVALID_REQUEST', `attempt ${attempt}`);
    assert.equal(bad.res?.error?.details?.code, 'AUTH_TOKEN_MISMATCH', `attempt ${attempt}`);
    assert.equal(bad.res?.error?.retryable, undefined);
    assert.deepEqual(bad.close, { code: 1008, reason: TOKEN_MISMATCH_MESSAGE });
  }

  const locked = await failedConnect(gw.url, connectParams(TEST_TOKEN));
  const error = locked.res?.error;
  assert.ok(error, 'a locked-out connect is answered');
  assert.equal(error.code, 'INVALID_REQUEST');
  assert.equal(error.message, 'unauthorized: too many failed authentication attempts; retry later');
  assert.equal(error.retryable, true);
  assert.equal(typeof error.retryAfterMs, 'number');
  assert.ok(
    (error.retryAfterMs as number) > 250_000 && (error.retryAfterMs as number) <= 300_000,
    `retryAfterMs ${error.retryAfterMs} is the default 300 s lockout`,
  );
  assert.deepEqual(error.details, {
    code: 'AUTH_RATE_LIMITED',
    authReason: 'rate_limited',
    recommendedNextStep: 'wait_then_retry',
  });
  assert.deepEqual(locked.close, { code: 1008, reason: error.message });

  // The lockout is per source: a browser client is keyed by its Origin and still gets in.
  await assertGoodClientConnects(gw, { origin: `http://127.0.0.1:${gw.port}` });
});

test('loopback is never locked out; each failure there is answered later than the last', async (t) => {
  // Each wait the gateway asks for is held until the test releases it, so the answer's dependence on it shows.
  const held: { ms: number; release: () => void }[] = [];
  let asked: (() => void) | undefined;
  // maxAttempts 2 with the default exemptLoopback: three failures exceed the limit but lock nothing.
  const gw = await startTestGateway({
    config: { gateway: { auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 2 } } } },
    authFailureDelay: (ms) =>
      new Promise<void>((release) => {
        held.push({ ms, release });
        asked?.();
      }),
  });
  t.after(() => gw.close());

  for (let attempt = 1; attempt <= 3; attempt++) {
    const client = new RawClient(gw.url);
    await client.challenge();
    const delayRequested = new Promise<void>((resolve) => {
      asked = resolve;
    });
    client.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams('wrong-token') });
    await delayRequested;
    // An answer sent without waiting would have been written before the gateway even read this HTTP request.
    assert.equal((await fetch(`${gw.httpUrl}/health`)).status, 200);
    assert.equal(client.frames.filter((frame) => frame.type === 'res').length, 0, `attempt ${attempt}`);
    held.at(-1)?.release();
    const res = await client.response('c1');
    assert.equal(res.error?.details?.code, 'AUTH_TOKEN_MISMATCH', `attempt ${attempt}`);
    await client.closed;
  }
  // 250 ms, 500 ms, 1 s (protocol.md §5: grows 250 → 5 000 ms per consecutive failure).
  assert.deepEqual(
    held.map((wait) => wait.ms),
    [250, 500, 1_000],
  );

  await assertGoodClientConnects(gw);
});

test('a protocol range without 4 is PROTOCOL_MISMATCH, close 1002; probes and legacy nodes may offer 3', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  const future = await failedConnect(gw.url, connectParams(TEST_TOKEN, { minProtocol: 5, maxProtocol: 5 }));
  assert.deepEqual(future.res?.error, {
    code: 'INVALID_REQUEST',
    message: 'protocol mismatch',
    details: {
      code: 'PROTOCOL_MISMATCH',
      clientMinProtocol: 5,
      clientMaxProtocol: 5,
      expectedProtocol: 4,
      minimumProbeProtocol: 3,
    },
  });
  assert.deepEqual(future.close, { code: 1002, reason: 'protocol mismatch' });

  // An ordinary operator may not offer 3 only.
  const old = await failedConnect(gw.url, connectParams(TEST_TOKEN, { minProtocol: 3, maxProtocol: 3 }));
  assert.equal(old.res?.error?.details?.code, 'PROTOCOL_MISMATCH');
  assert.deepEqual(old.close, { code: 1002, reason: 'protocol mismatch' });

  const probe = await connectOk(gw, {
    minProtocol: 3,
    maxProtocol: 3,
    client: { id: 'openclaw-probe', mode: 'probe' },
  });
  t.after(() => probe.client.close());
  assert.equal(probe.protocol, 4);
  assert.deepEqual(probe.auth.scopes, [], 'probes keep no scopes');

  const node = await connectNodeOk(gw, { minProtocol: 3, maxProtocol: 3 });
  t.after(() => node.client.close());
  assert.equal(node.protocol, 4);
  assert.equal(node.auth.role, 'node');

  await assertGoodClientConnects(gw);
});

test('a first frame that is not a connect request is refused as the table says', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  const notConnect = await firstFrame(gw.url, { type: 'req', id: 'h1', method: 'health' });
  assert.deepEqual(notConnect.res, {
    type: 'res',
    id: 'h1',
    ok: false,
    error: { code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' },
  });
  assert.deepEqual(notConnect.close, {
    code: 1008,
    reason: 'invalid handshake: first request must be connect',
  });

  const notJson = await firstFrame(gw.url, 'this is not json');
  assert.deepEqual(notJson.close, { code: 1000, reason: '' });
  assert.deepEqual(
    notJson.client.frames.map((frame) => frame.event ?? frame.type),
    ['connect.challenge'],
    'no response to a non-JSON first frame',
  );

  const notRequest = await firstFrame(gw.url, { type: 'event', event: 'connect' });
  assert.deepEqual(notRequest.close, { code: 1008, reason: 'invalid request frame' });
  assert.equal(notRequest.res, undefined);

  await assertGoodClientConnects(gw);
});

test('connect params failing the schema name the field; the Control UI extras are accepted', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  const unknownField = await failedConnect(gw.url, connectParams(TEST_TOKEN, { bogus: 1 }));
  assert.deepEqual(unknownField.res?.error, {
    code: 'INVALID_REQUEST',
    message: 'invalid connect params: unknown key bogus',
  });
  assert.deepEqual(unknownField.close, { code: 1008, reason: 'invalid connect params: unknown key bogus' });

  const badClientId = await failedConnect(gw.url, connectParams(TEST_TOKEN, { client: { id: 'nope' } }));
  const message = 'invalid connect params: client.id has an unsupported value';
  assert.deepEqual(badClientId.res?.error, { code: 'INVALID_REQUEST', message });
  assert.deepEqual(badClientId.close, { code: 1008, reason: message });

  const missingVersion = await failedConnect(gw.url, {
    ...connectParams(TEST_TOKEN),
    client: { id: 'cli', mode: 'cli', platform: 'linux' },
  });
  assert.equal(missingVersion.res?.error?.message, 'invalid connect params: client.version is required');
  assert.equal(missingVersion.close.code, 1008);

  const controlUi = await connectOk(gw, {
    client: { id: 'openclaw-control-ui', mode: 'webchat' },
    scopes: ['operator.admin', 'operator.read', 'operator.write'],
    auth: { password: TEST_TOKEN },
    modelCatalog: { sessionKey: 'main' },
    locale: 'en-US',
    userAgent: 'Mozilla/5.0',
  });
  t.after(() => controlUi.client.close());
  assert.equal(controlUi.auth.role, 'operator');

  await assertGoodClientConnects(gw);
});

test('a role other than operator or node is "invalid role", close 1008', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const viewer = await failedConnect(gw.url, connectParams(TEST_TOKEN, { role: 'viewer' }));
  assert.deepEqual(viewer.res?.error, { code: 'INVALID_REQUEST', message: 'invalid role' });
  assert.deepEqual(viewer.close, { code: 1008, reason: 'invalid role' });
  await assertGoodClientConnects(gw);
});

test('self-declared scopes without a device are cleared except for cli/cli on direct loopback', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  const ui = await connectOk(gw, {
    client: { id: 'openclaw-control-ui', mode: 'webchat' },
    scopes: ['operator.admin'],
  });
  t.after(() => ui.client.close());
  assert.deepEqual(ui.auth, { method: 'token', role: 'operator', scopes: [] });
  const forbidden = await ui.client.request('config.get');
  assert.deepEqual(forbidden.error, {
    code: 'FORBIDDEN',
    message: 'missing scope: operator.read',
    details: {
      code: 'MISSING_SCOPE',
      missingScope: 'operator.read',
      requiredScopes: ['operator.read'],
    },
  });

  const forwarded = await connectOk(gw, {}, { headers: { 'x-forwarded-for': '10.0.0.1' } });
  t.after(() => forwarded.client.close());
  assert.deepEqual(forwarded.auth.scopes, [], 'a forwarded cli is not direct loopback');
  const alsoForbidden = await forwarded.client.request('config.get');
  assert.equal(alsoForbidden.error?.code, 'FORBIDDEN');
  assert.equal(alsoForbidden.error?.details?.code, 'MISSING_SCOPE');

  const direct = await connectOk(gw, {});
  t.after(() => direct.client.close());
  assert.deepEqual(direct.auth.scopes, ['operator.admin'], 'cli/cli on direct loopback keeps its scopes');
  const allowed = await direct.client.request('config.get');
  assert.equal(allowed.ok, true, JSON.stringify(allowed.error));

  await assertGoodClientConnects(gw);
});

test('pre-auth frames over 64 KiB close 1009; after hello a 100 KB frame is answered', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());

  // Exactly at the limit the frame is read (and refused as non-JSON with 1000); one byte more is 1009.
  const atLimit = await firstFrame(gw.url, 'x'.repeat(65_536));
  assert.deepEqual(atLimit.close, { code: 1000, reason: '' });
  const overLimit = await firstFrame(gw.url, 'x'.repeat(65_537));
  assert.equal(overLimit.close.code, 1009);
  assert.equal(overLimit.res, undefined);
  const bigConnect = await firstFrame(gw.url, {
    type: 'req',
    id: 'c1',
    method: 'connect',
    params: connectParams(TEST_TOKEN, { client: { displayName: 'x'.repeat(70_000) } }),
  });
  assert.equal(bigConnect.close.code, 1009);
  assert.equal(bigConnect.res, undefined, 'an oversize connect is not processed');

  const { client, hello } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => client.close());
  assert.equal(hello.ok, true);
  client.send({ type: 'req', id: 'big', method: 'health', params: { pad: 'x'.repeat(100_000) } });
  const big = await client.response('big');
  assert.equal(big.ok, true, JSON.stringify(big.error));
  assert.equal(client.ws.readyState, client.ws.OPEN);

  await assertGoodClientConnects(gw);
});

test('frames queued before hello are answered after it, but more than 15 close 1008', async (t) => {
  // The failed-auth delay is held until the test ends, so the refused connect stays unanswered.
  const held: (() => void)[] = [];
  const gw = await startTestGateway({
    authFailureDelay: () => new Promise<void>((release) => held.push(release)),
  });
  t.after(async () => {
    for (const release of held) release();
    await gw.close();
  });

  // A few frames right behind a good connect are held and answered once it succeeds.
  const eager = new RawClient(gw.url);
  t.after(() => eager.close());
  await eager.challenge();
  eager.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams(TEST_TOKEN) });
  for (let i = 0; i < 3; i++) eager.send({ type: 'req', id: `q${i}`, method: 'health' });
  assert.equal((await eager.response('c1')).ok, true);
  for (let i = 0; i < 3; i++) assert.equal((await eager.response(`q${i}`)).ok, true, `q${i}`);

  // A bad token holds the connect answer for the loopback delay, so twenty frames pile up behind it.
  const flood = new RawClient(gw.url);
  t.after(() => flood.close());
  await flood.challenge();
  flood.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams('wrong-token') });
  for (let i = 0; i < 20; i++) flood.send({ type: 'req', id: `f${i}`, method: 'health' });
  assert.deepEqual(await flood.closed, { code: 1008, reason: 'too many frames before hello' });
  assert.equal(
    flood.frames.some((frame) => frame.type === 'res' && frame.id !== 'c1'),
    false,
    'queued frames of a refused socket are never answered',
  );

  await assertGoodClientConnects(gw);
});

test('unauthenticated sockets beyond maxPreauthConnectionsPerIp are refused with HTTP 503', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { maxPreauthConnectionsPerIp: 3 } } } });
  t.after(() => gw.close());

  const held = [new RawClient(gw.url), new RawClient(gw.url), new RawClient(gw.url)];
  t.after(() => {
    for (const client of held) client.close();
  });
  await Promise.all(held.map((client) => client.opened));

  const refused = new RawClient(gw.url);
  await assert.rejects(refused.opened, /HTTP 503/);

  // Closing one frees its slot (the server sees the close asynchronously, so retry until a deadline).
  held[0]?.close();
  const deadline = Date.now() + 3_000;
  let admitted: RawClient | undefined;
  while (!admitted) {
    const candidate = new RawClient(gw.url);
    try {
      await candidate.opened;
      admitted = candidate;
    } catch (error) {
      assert.match((error as Error).message, /HTTP 503/);
      assert.ok(Date.now() < deadline, 'a slot was never freed after a socket closed');
    }
  }
  held.push(admitted);

  // An authenticated socket gives its slot back: after hello, one more unauthenticated socket fits.
  admitted.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams(TEST_TOKEN) });
  assert.equal((await admitted.response('c1')).ok, true);
  await assertGoodClientConnects(gw);
});

test('a socket that never sends connect is closed 1008 "handshake timeout"', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { handshakeTimeoutMs: 200 } } } });
  t.after(() => gw.close());
  const silent = new RawClient(gw.url);
  t.after(() => silent.close());
  await silent.opened;
  const started = performance.now();
  const close = await silent.closed;
  const elapsed = performance.now() - started;
  assert.deepEqual(close, { code: 1008, reason: 'handshake timeout' });
  assert.ok(elapsed >= 150 && elapsed < 1_500, `closed after ${elapsed} ms`);
  assert.deepEqual(
    silent.frames.map((frame) => frame.event),
    ['connect.challenge'],
  );
  await assertGoodClientConnects(gw);
});

test('a browser Origin must be same-origin or listed, else the upgrade gets 403', async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { controlUi: { allowedOrigins: ['https://ui.example'] } } },
  });
  t.after(() => gw.close());

  const evil = new RawClient(gw.url, { origin: 'https://evil.example' });
  await assert.rejects(evil.opened, /HTTP 403/);
  const evilPort = new RawClient(gw.url, { origin: `http://evil.example:${gw.port}` });
  await assert.rejects(evilPort.opened, /HTTP 403/);

  const same = await connectOk(gw, {}, { origin: `http://127.0.0.1:${gw.port}` });
  t.after(() => same.client.close());
  const listed = await connectOk(gw, {}, { origin: 'https://ui.example' });
  t.after(() => listed.client.close());
  assert.equal((await listed.client.request('health')).ok, true);

  await assertGoodClientConnects(gw);
});

/** A node-role method, registered as a plugin's would be, for the role checks below. */
const nodeProbe: GatewayModule = {
  id: 'test-node-probe',
  methods: { 'test.node.ping': { access: NODE, handler: () => ({ pong: true }) } },
};

test('after hello: scope before existence, malformed frames answered, wrong role closes after 10', async (t) => {
  const gw = await startTestGateway({ modules: [nodeProbe] });
  t.after(() => gw.close());

  const reader = await connectOk(gw, { scopes: ['operator.read'] });
  t.after(() => reader.client.close());
  assert.deepEqual(reader.auth.scopes, ['operator.read']);
  const hidden = await reader.client.request('foo.bar');
  assert.deepEqual(hidden.error, {
    code: 'FORBIDDEN',
    message: 'missing scope: operator.admin',
    details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
  });

  const admin = await connectOk(gw, {});
  t.after(() => admin.client.close());
  const unknown = await admin.client.request('foo.bar');
  assert.deepEqual(unknown.error, { code: 'INVALID_REQUEST', message: 'unknown method: foo.bar' });
  const nodeOnly = await admin.client.request('test.node.ping', {});
  assert.deepEqual(nodeOnly.error, { code: 'INVALID_REQUEST', message: 'unauthorized role: operator' });

  const { client } = admin;
  const before = client.frames.length;
  client.send('{not json');
  client.send({ type: 'req', id: 'm1', method: 'health', extra: 1 });
  client.send({ type: 'req', id: 'm2' });
  client.send({ type: 'req', id: 'm3', method: 'health', traceparent: 'x'.repeat(129) });
  const answered = (id: string) =>
    client.waitFor(
      (frame) => frame.type === 'res' && frame.id === id && client.frames.indexOf(frame) >= before,
    );
  assert.deepEqual((await answered('invalid')).error, {
    code: 'INVALID_REQUEST',
    message: 'invalid request frame: not valid JSON',
  });
  assert.deepEqual((await answered('m1')).error, {
    code: 'INVALID_REQUEST',
    message: 'invalid request frame: unknown property extra',
  });
  assert.deepEqual((await answered('m2')).error, {
    code: 'INVALID_REQUEST',
    message: 'invalid request frame: method must be a non-empty string',
  });
  assert.deepEqual((await answered('m3')).error, {
    code: 'INVALID_REQUEST',
    message: 'invalid request frame: traceparent must be a string of at most 128 characters',
  });
  assert.equal((await client.request('health')).ok, true, 'the socket stays usable');

  const node = await connectNodeOk(gw);
  t.after(() => node.client.close());
  const wrongRole = { code: 'INVALID_REQUEST', message: 'unauthorized role: node' };
  for (let i = 0; i < 10; i++) assert.deepEqual((await node.client.request('health')).error, wrongRole);
  // A call the role may make resets the run.
  assert.deepEqual((await node.client.request('test.node.ping')).payload, { pong: true });
  for (let i = 0; i < 10; i++) assert.deepEqual((await node.client.request('health')).error, wrongRole);
  assert.equal(node.client.ws.readyState, node.client.ws.OPEN, 'ten in a row are tolerated');
  node.client.send({ type: 'req', id: 'eleventh', method: 'health' });
  assert.deepEqual(await node.client.closed, { code: 1008, reason: 'repeated unauthorized calls' });

  await assertGoodClientConnects(gw);
});

/** A raw upgrade request ws itself refuses (unsupported version): answered 400 before any client exists. */
async function malformedUpgrade(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let answer = '';
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n',
  );
  await once(socket, 'close');
  return answer.split('\r\n')[0] ?? '';
}

test('an upgrade refused as malformed gives its pre-auth slot back', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { maxPreauthConnectionsPerIp: 3 } } } });
  t.after(() => gw.close());
  for (let i = 0; i < 5; i++) assert.equal(await malformedUpgrade(gw.port), 'HTTP/1.1 400 Bad Request');
  // Each refused upgrade held a slot until its socket closed; were they kept, the cap of 3 would refuse this.
  const deadline = Date.now() + 3_000;
  for (;;) {
    const client = new RawClient(gw.url);
    try {
      await client.opened;
      client.close();
      break;
    } catch (error) {
      assert.match((error as Error).message, /HTTP 503/);
      assert.ok(Date.now() < deadline, 'slots taken by malformed upgrades were never given back');
    }
  }
  await assertGoodClientConnects(gw);
});
