import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';
import {
  BEARER,
  HOOK_TOKEN,
  type HookResponse,
  hookRequest,
  hooksConfig,
  jsonOf,
  stalledRequest,
} from './hook-client.ts';

const HOOK_MAX_BODY_BYTES = 262_144;

function assertText(res: HookResponse, status: number, text: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(res.text, text);
}

/** A `/hooks/wake` body of exactly `bytes` bytes. */
function wakeBody(bytes: number): string {
  const frame = '{"text":""}';
  return `{"text":"${'a'.repeat(bytes - frame.length)}"}`;
}

test('refusals in OpenClaw order and words: query token 400, method 405, token 401, path 404', async (t) => {
  const gw = await startTestGateway({ config: hooksConfig() });
  t.after(() => gw.close());

  // A token in the URL is refused even beside a valid header, before the method is looked at.
  assertText(
    await hookRequest(gw, `/hooks/wake?token=${HOOK_TOKEN}`, { body: { text: 'x' } }),
    400,
    'Hook token must be provided via Authorization: Bearer <token> or X-OpenClaw-Token header (query parameters are not allowed).',
  );
  assert.equal((await hookRequest(gw, '/hooks/wake?token=x', { method: 'GET', headers: {} })).status, 400);
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await hookRequest(gw, '/hooks/wake', { method, headers: {} });
    assertText(res, 405, 'Method Not Allowed');
    assert.equal(res.headers.allow, 'POST');
  }
  const head = await hookRequest(gw, '/hooks/agent', { method: 'HEAD' });
  assert.equal(head.status, 405);
  assert.equal(head.text, '');

  const badTokens: Record<string, string>[] = [
    {},
    { authorization: 'Bearer wrong-token-0123456789' },
    { authorization: `Basic ${HOOK_TOKEN}` },
    { 'x-openclaw-token': 'wrong' },
    // A non-empty Bearer wins over the header, as on OpenClaw.
    { authorization: 'Bearer wrong', 'x-openclaw-token': HOOK_TOKEN },
  ];
  for (const headers of badTokens) {
    assertText(await hookRequest(gw, '/hooks/wake', { headers, body: { text: 'x' } }), 401, 'Unauthorized');
  }
  assertText(await hookRequest(gw, '/hooks/unknown', { headers: {}, body: {} }), 401, 'Unauthorized');
  // The gateway's own token is not the hook token.
  const gatewayToken = { authorization: `Bearer ${gw.token}` };
  assertText(
    await hookRequest(gw, '/hooks/wake', { headers: gatewayToken, body: { text: 'x' } }),
    401,
    'Unauthorized',
  );

  assertText(await hookRequest(gw, '/hooks', { body: {} }), 404, 'Not Found');
  assertText(await hookRequest(gw, '/hooks/', { body: {} }), 404, 'Not Found');
  assertText(await hookRequest(gw, '/hooks/unknown', { body: {} }), 404, 'Not Found');
  // A path that merely starts like the hooks path is not theirs.
  assert.equal((await hookRequest(gw, '/hooksx/wake', { body: { text: 'x' } })).status, 404);
  assert.equal(
    (
      await hookRequest(gw, '/hooks/wake', {
        headers: { authorization: `bearer ${HOOK_TOKEN}` },
        body: { text: 'x' },
      })
    ).status,
    200,
    'the scheme is case-insensitive',
  );
});

test('bodies: bad JSON 400 naming the problem, non-objects and bad fields 400, 413 one past the cap either way', async (t) => {
  const gw = await startTestGateway({ config: hooksConfig() });
  t.after(() => gw.close());

  const badJson = await hookRequest(gw, '/hooks/wake', { body: '{"text":' });
  assert.equal(badJson.status, 400);
  assert.match(String(badJson.headers['content-type']), /^application\/json/);
  assert.deepEqual(jsonOf(badJson), {
    ok: false,
    error: 'request body is not valid JSON: Unexpected end of JSON input',
  });
  const cases: [string, string, string][] = [
    ['/hooks/wake', '[1,2]', 'request body must be a JSON object'],
    ['/hooks/wake', '"text"', 'request body must be a JSON object'],
    ['/hooks/wake', '', 'text required'],
    ['/hooks/wake', '{"text":"  "}', 'text required'],
    ['/hooks/wake', '{"text":"x","mode":"later"}', 'mode must be "now" or "next-heartbeat"'],
    ['/hooks/wake', '{"text":"x","agentId":""}', 'agentId must be a non-empty string'],
    [
      '/hooks/wake',
      '{"text":"x","sessionKey":"hook:x"}',
      'sessionKey is disabled for externally supplied hook payload values; set hooks.allowRequestSessionKey=true to enable',
    ],
    ['/hooks/agent', '{}', 'message required'],
    ['/hooks/agent', '{"message":"x","wakeMode":"soon"}', 'wakeMode must be "now" or "next-heartbeat"'],
    ['/hooks/agent', '{"message":"x","sessionMode":"forever"}', 'sessionMode must be isolated or persistent'],
    ['/hooks/agent', '{"message":"x","waitForCompletion":"yes"}', 'waitForCompletion must be boolean'],
    ['/hooks/agent', '{"message":"x","deliver":"no"}', 'deliver must be a boolean'],
    [
      '/hooks/agent',
      '{"message":"x","channel":"telegram","to":"1"}',
      'channel: channel delivery needs a messaging channel, and this gateway has none yet',
    ],
    [
      '/hooks/agent',
      '{"message":"x","model":"openai/gpt-5"}',
      'model: per-run model overrides are not supported by clawgate yet',
    ],
  ];
  for (const [path, body, error] of cases) {
    const res = await hookRequest(gw, path, { body });
    assert.equal(res.status, 400, `${path} ${body}: ${res.text}`);
    assert.deepEqual(jsonOf(res), { ok: false, error }, `${path} ${body}`);
  }

  // Exactly at the cap is read; one byte past it is refused by its Content-Length, or as it streams.
  const atCap = await hookRequest(gw, '/hooks/wake', { body: wakeBody(HOOK_MAX_BODY_BYTES) });
  assert.equal(atCap.status, 200, atCap.text);
  const declared = await hookRequest(gw, '/hooks/wake', { body: wakeBody(HOOK_MAX_BODY_BYTES + 1) });
  assert.equal(declared.status, 413);
  assert.equal(declared.headers.connection, 'close');
  assert.deepEqual(jsonOf(declared), { ok: false, error: 'payload too large' });
  const body = Buffer.from(wakeBody(HOOK_MAX_BODY_BYTES + 1));
  const streamed = await hookRequest(gw, '/hooks/wake', {
    chunks: [body.subarray(0, 100_000), body.subarray(100_000, 200_000), body.subarray(200_000)],
  });
  assert.equal(streamed.status, 413);
  assert.deepEqual(jsonOf(streamed), { ok: false, error: 'payload too large' });
  // Without a token the body is never read: 401, not 413.
  assert.equal(
    (await hookRequest(gw, '/hooks/wake', { headers: {}, body: wakeBody(HOOK_MAX_BODY_BYTES + 1) })).status,
    401,
  );
});

test('a body that does not arrive in time is answered 408 and the connection closed', async (t) => {
  const gw = await startTestGateway({
    config: hooksConfig({}, { gateway: { limits: { hookBodyTimeoutMs: 150 } } }),
  });
  t.after(() => gw.close());
  const started = performance.now();
  const answer = await stalledRequest(gw, '/hooks/wake', 40, '{"text":');
  const waited = performance.now() - started;
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  assert.ok(answer.endsWith('{"ok":false,"error":"request body timeout"}'), answer);
  assert.ok(waited >= 140 && waited < 5_000, `answered after ${waited.toFixed(0)} ms`);
  // A prompt body on the same gateway is not affected.
  assert.equal((await hookRequest(gw, '/hooks/wake', { body: { text: 'on time' } })).status, 200);
});

test('20 wrong tokens in a minute lock the source out with 429 (loopback too); a valid token still passes; the gateway limiter is untouched', async (t) => {
  const gw = await startTestGateway({ config: hooksConfig() });
  t.after(() => gw.close());
  const wrong = { authorization: 'Bearer not-the-hook-token' };
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    const res = await hookRequest(gw, '/hooks/wake', { headers: wrong, body: { text: 'x' } });
    assert.equal(res.status, 401, `attempt ${attempt}`);
  }
  const locked = await hookRequest(gw, '/hooks/wake', { headers: wrong, body: { text: 'x' } });
  assertText(locked, 429, 'Too Many Requests');
  assert.equal(locked.headers['retry-after'], '60');
  // A missing token is a failure too, and locked alike.
  assert.equal((await hookRequest(gw, '/hooks/agent', { headers: {}, body: {} })).status, 429);

  // The right token is never throttled, and it clears the count (OpenClaw's rule).
  assert.equal(
    (await hookRequest(gw, '/hooks/wake', { headers: BEARER, body: { text: 'still here' } })).status,
    200,
  );
  assert.equal((await hookRequest(gw, '/hooks/wake', { headers: wrong, body: { text: 'x' } })).status, 401);

  // Operators are not locked out by a hook sender's guessing.
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true);
  assert.deepEqual(gw.authDelays, [], 'no gateway auth failure was recorded');
});

test('counters reach hooks.status, and the hook token is never logged', async (t) => {
  const gw = await startTestGateway({ config: hooksConfig() });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  await hookRequest(gw, '/hooks/wake', { body: { text: 'one' } });
  await hookRequest(gw, '/hooks/wake', { headers: { authorization: 'Bearer nope' }, body: {} });
  await hookRequest(gw, `/hooks/wake?token=${HOOK_TOKEN}`, { body: {} });
  await hookRequest(gw, '/hooks/wake', { body: {} });
  const status = await client.request('hooks.status', {});
  assert.equal(status.ok, true, JSON.stringify(status.error));
  const webhooks = (status.payload as { webhooks: Record<string, unknown> }).webhooks;
  assert.deepEqual(webhooks.requests, { total: 4, accepted: 1, rejected: 2, unauthorized: 1, throttled: 0 });
  assert.deepEqual((webhooks.lastError as { status: number; error: string }).error, 'text required');
  assert.equal(typeof webhooks.lastAcceptedAtMs, 'number');

  const log = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8');
  assert.ok(log.length > 0);
  assert.ok(!log.includes(HOOK_TOKEN), 'the hook token is in the log');
  assert.ok(!JSON.stringify(status.payload).includes(HOOK_TOKEN));
});
