import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, connectParams, type Frame, RawClient } from '../helpers/raw-client.ts';

/** protocol.md §3: the error codes a fuzzed frame may be answered with, and the close codes it may end in. */
const DOCUMENTED_ERROR_CODES = new Set(['INVALID_REQUEST', 'FORBIDDEN', 'UNAVAILABLE', 'NOT_PAIRED']);
const DOCUMENTED_CLOSE_CODES = new Set([1000, 1002, 1008, 1009, 1011]);
const ERROR_SHAPE_KEYS = new Set(['code', 'message', 'details', 'retryable', 'retryAfterMs']);
/** Methods a fuzzer must not call with an admin socket: they may rewrite config or stop the gateway. */
const NOT_FUZZED = new Set([
  'config.set',
  'config.patch',
  'config.apply',
  'gateway.restart.request',
  'update.run',
]);
const OUTCOME_TIMEOUT_MS = 3_000;

type Close = { code: number; reason: string };
type Outcome = { res: Frame } | { close: Close };
/** A frame as sent: text (always valid UTF-8) or binary bytes. */
type WireFrame = { text: string } | { bytes: Uint8Array };

function send(client: RawClient, frame: WireFrame): void {
  if ('text' in frame) client.ws.send(frame.text);
  else client.ws.send(frame.bytes, { binary: true });
}

/** The id the gateway answers a post-hello frame with: the frame's non-empty string id, else "invalid". */
function expectedResponseId(frame: WireFrame): string {
  const text = 'text' in frame ? frame.text : Buffer.from(frame.bytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'invalid';
  const id = (parsed as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : 'invalid';
}

/** Waits for a `res` (with `id`, or any when undefined) or the socket's close, whichever comes first. */
function nextOutcome(client: RawClient, id: string | undefined, start: () => void): Promise<Outcome> {
  const { ws } = client;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no response${id === undefined ? '' : ` for id ${JSON.stringify(id)}`} and no close`));
    }, OUTCOME_TIMEOUT_MS);
    const onMessage = (data: Buffer) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString('utf8')) as Frame;
      } catch {
        return;
      }
      if (frame.type !== 'res' || (id !== undefined && frame.id !== id)) return;
      cleanup();
      resolve({ res: frame });
    };
    const onClose = (code: number, reason: Buffer) => {
      cleanup();
      resolve({ close: { code, reason: reason.toString() } });
    };
    function cleanup(): void {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    }
    ws.on('message', onMessage);
    ws.on('close', onClose);
    start();
  });
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), OUTCOME_TIMEOUT_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function assertDocumentedResponse(res: Frame, sent: WireFrame): void {
  const where = `in answer to ${JSON.stringify(sent)}`;
  assert.equal(typeof res.ok, 'boolean', where);
  if (res.ok) return;
  const error = res.error;
  assert.ok(error, `an error response carries an error ${where}`);
  assert.ok(DOCUMENTED_ERROR_CODES.has(error.code), `undocumented error code ${error.code} ${where}`);
  assert.equal(typeof error.message, 'string', where);
  assert.ok(error.message.length > 0, where);
  for (const key of Object.keys(error)) assert.ok(ERROR_SHAPE_KEYS.has(key), `error key ${key} ${where}`);
  // UNAVAILABLE is documented, but not as the mask of a handler that threw: that is a crash.
  assert.doesNotMatch(error.message, /^internal error|message handler unavailable/, where);
}

function assertDocumentedClose(close: Close, sent: WireFrame): void {
  const where = `after ${JSON.stringify(sent)}`;
  assert.ok(DOCUMENTED_CLOSE_CODES.has(close.code), `undocumented close ${close.code} ${where}`);
  assert.notEqual(close.code, 1011, `the gateway's handler failed ${where}`);
}

// Arbitraries. Text frames are built from JS strings, so they are valid UTF-8 (invalid UTF-8 text is the ws
// library's business, 1007); raw bytes travel as binary frames, which the gateway decodes as UTF-8 text.
const bytesFrame = fc.uint8Array({ maxLength: 512 }).map((bytes): WireFrame => ({ bytes }));
const jsonTextFrame = fc.json({ maxDepth: 4 }).map((text): WireFrame => ({ text }));
const objectFrame = fc
  .object({ maxDepth: 3 })
  .map((value): WireFrame => ({ text: JSON.stringify(value) ?? 'null' }));
const looseTextFrame = fc.string({ maxLength: 200 }).map((text): WireFrame => ({ text }));

function requestFrames(methods: readonly string[], idArb: fc.Arbitrary<string>): fc.Arbitrary<WireFrame> {
  const method = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...methods) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  );
  // Mostly objects, so that some calls get past parameter validation and reach the handlers.
  const params = fc.oneof(
    fc.constant({}),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const wellFormed = fc.record(
    { type: fc.constant('req'), id: idArb, method, params },
    { requiredKeys: ['type', 'id', 'method'] },
  );
  // Every field optional and any JSON value, plus the occasional stray key or long traceparent.
  const loose = fc.record(
    {
      type: fc.oneof(fc.constant('req'), fc.jsonValue({ maxDepth: 1 })),
      id: fc.oneof(idArb, fc.jsonValue({ maxDepth: 1 })),
      method: fc.oneof(method, fc.jsonValue({ maxDepth: 1 })),
      params,
      traceparent: fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 1 })),
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );
  return fc
    .oneof({ weight: 3, arbitrary: wellFormed }, { weight: 2, arbitrary: loose })
    .map((frame): WireFrame => ({ text: JSON.stringify(frame) }));
}

/** A valid connect with one field (top level, client or auth) replaced by something arbitrary. */
const nearlyValidConnect = fc
  .oneof(
    fc
      .tuple(
        fc.constantFrom(
          'minProtocol',
          'maxProtocol',
          'client',
          'role',
          'scopes',
          'caps',
          'auth',
          'device',
          'modelCatalog',
          'permissions',
          'bogus',
        ),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([key, value]) => connectParams(TEST_TOKEN, { [key]: value })),
    fc
      .tuple(fc.constantFrom('id', 'mode', 'version', 'platform', 'displayName', 'extra'), fc.jsonValue())
      .map(([key, value]) => connectParams(TEST_TOKEN, { client: { [key]: value } })),
    fc
      .record({ token: fc.string(), password: fc.string(), deviceToken: fc.string() }, { requiredKeys: [] })
      .map((auth) => ({ ...connectParams(undefined), auth })),
    fc
      .record({ min: fc.integer({ min: -2, max: 8 }), max: fc.integer({ min: -2, max: 8 }) })
      .map(({ min, max }) => connectParams(TEST_TOKEN, { minProtocol: min, maxProtocol: max })),
  )
  .map(
    (params): WireFrame => ({ text: JSON.stringify({ type: 'req', id: 'c', method: 'connect', params }) }),
  );

async function startFuzzGateway(): Promise<TestGateway> {
  // No loopback delay and no lockout: fuzzed wrong tokens must not slow the run down or lock it out.
  return startTestGateway({
    config: {
      gateway: { auth: { token: TEST_TOKEN, rateLimit: { exemptLoopback: false, maxAttempts: 1_000_000 } } },
    },
  });
}

async function assertGatewayHealthy(gw: TestGateway): Promise<void> {
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN);
  try {
    assert.equal(hello.ok, true, JSON.stringify(hello.error));
    const health = await client.request('health');
    assert.equal(health.ok, true, JSON.stringify(health.error));
    assert.equal((health.payload as { ok: boolean }).ok, true);
  } finally {
    client.close();
  }
}

test('fuzzed first frames before auth always end in a documented response or close', async (t) => {
  const gw = await startFuzzGateway();
  t.after(() => gw.close());
  const firstFrame = fc.oneof(
    { weight: 2, arbitrary: bytesFrame },
    { weight: 2, arbitrary: jsonTextFrame },
    { weight: 1, arbitrary: objectFrame },
    { weight: 1, arbitrary: looseTextFrame },
    { weight: 3, arbitrary: requestFrames(['connect', 'health', 'config.get'], fc.string({ minLength: 1 })) },
    { weight: 4, arbitrary: nearlyValidConnect },
  );
  const outcomes = new Map<string, number>();

  await fc.assert(
    fc.asyncProperty(firstFrame, async (frame) => {
      const client = new RawClient(gw.url);
      try {
        await client.challenge();
        const outcome = await nextOutcome(client, undefined, () => send(client, frame));
        if ('close' in outcome) {
          assertDocumentedClose(outcome.close, frame);
          outcomes.set(`close ${outcome.close.code}`, (outcomes.get(`close ${outcome.close.code}`) ?? 0) + 1);
          return;
        }
        assertDocumentedResponse(outcome.res, frame);
        const key = outcome.res.ok ? 'hello-ok' : `res ${outcome.res.error?.code}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (outcome.res.ok) {
          assert.equal((outcome.res.payload as { type: string }).type, 'hello-ok');
          return;
        }
        // A refused handshake never leaves the socket open.
        const close = await withDeadline(client.closed, 'the close after a refused connect');
        assertDocumentedClose(close, frame);
        assert.notEqual(close.code, 1000, 'a refused connect is not a normal close');
      } finally {
        client.close();
      }
    }),
    {
      numRuns: 200,
      // Fixed cases first, so every documented pre-auth outcome is reached whatever the seed.
      examples: [
        [{ text: 'not json' }],
        [{ text: '{"type":"req","id":"c","method":"connect","params":{}}' }],
        [
          {
            text: JSON.stringify({
              type: 'req',
              id: 'c',
              method: 'connect',
              params: connectParams(undefined),
            }),
          },
        ],
        [
          {
            text: JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams('wrong') }),
          },
        ],
      ],
    },
  );
  // The run reached the interesting outcomes, not only "not JSON".
  for (const key of ['close 1000', 'close 1008', 'res INVALID_REQUEST', 'res NOT_PAIRED']) {
    assert.ok((outcomes.get(key) ?? 0) > 0, `no run ended in ${key}: ${JSON.stringify([...outcomes])}`);
  }
  t.diagnostic(`outcomes: ${JSON.stringify([...outcomes])}`);
  await assertGatewayHealthy(gw);
});

test('fuzzed frames after auth are each answered with a documented response', async (t) => {
  const gw = await startFuzzGateway();
  t.after(() => gw.close());

  const sessions: Record<'admin' | 'reader', RawClient | undefined> = { admin: undefined, reader: undefined };
  const scopesOf = { admin: ['operator.admin'], reader: ['operator.read'] };
  t.after(() => {
    for (const client of Object.values(sessions)) client?.close();
  });
  async function session(kind: 'admin' | 'reader'): Promise<RawClient> {
    const current = sessions[kind];
    if (current && current.ws.readyState === current.ws.OPEN) return current;
    const { client, hello } = await connectClient(gw.url, TEST_TOKEN, { scopes: scopesOf[kind] });
    assert.equal(hello.ok, true, JSON.stringify(hello.error));
    assert.deepEqual((hello.payload as { auth: { scopes: string[] } }).auth.scopes, scopesOf[kind]);
    sessions[kind] = client;
    return client;
  }

  const first = await connectClient(gw.url, TEST_TOKEN);
  first.client.close();
  const advertised = (first.hello.payload as { features: { methods: string[] } }).features.methods;
  assert.ok(advertised.includes('health'));
  const methods = [
    ...advertised.filter((method) => !NOT_FUZZED.has(method)),
    'node.event',
    'node.invoke.result',
    'foo.bar',
  ];
  // The listener for a frame's answer is attached just before it is sent, so ids need not be unique.
  const requestId = fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((n) => `f${n}`) },
    fc.string({ minLength: 1 }),
  );
  const frame = fc.oneof(
    { weight: 1, arbitrary: bytesFrame },
    { weight: 1, arbitrary: jsonTextFrame },
    { weight: 1, arbitrary: objectFrame },
    { weight: 1, arbitrary: looseTextFrame },
    {
      weight: 6,
      arbitrary: requestFrames(methods, requestId),
    },
  );
  const codes = new Map<string, number>();

  await fc.assert(
    fc.asyncProperty(fc.constantFrom('admin' as const, 'reader' as const), frame, async (kind, sent) => {
      const client = await session(kind);
      const id = expectedResponseId(sent);
      const outcome = await nextOutcome(client, id, () => send(client, sent));
      if ('close' in outcome) {
        // Only a run of wrong-role calls may close an authenticated socket; the next run reconnects.
        assertDocumentedClose(outcome.close, sent);
        assert.deepEqual(outcome.close, { code: 1008, reason: 'repeated unauthorized calls' });
        return;
      }
      assertDocumentedResponse(outcome.res, sent);
      const key = outcome.res.ok ? 'ok' : (outcome.res.error?.code ?? '?');
      codes.set(key, (codes.get(key) ?? 0) + 1);
      assert.equal(client.ws.readyState, client.ws.OPEN, 'an answered frame leaves the socket open');
    }),
    {
      numRuns: 500,
      examples: [
        ['reader', { text: '{"type":"req","id":"x","method":"foo.bar"}' }],
        ['admin', { text: '{"type":"req","id":"x","method":"health"}' }],
        ['admin', { bytes: new Uint8Array([0xff, 0x00, 0x7b]) }],
      ],
    },
  );
  for (const key of ['ok', 'INVALID_REQUEST', 'FORBIDDEN']) {
    assert.ok((codes.get(key) ?? 0) > 0, `no run was answered ${key}: ${JSON.stringify([...codes])}`);
  }
  t.diagnostic(`outcomes: ${JSON.stringify([...codes])}`);
  await assertGatewayHealthy(gw);
});
