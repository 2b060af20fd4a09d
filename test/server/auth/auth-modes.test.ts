import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GatewayContext } from '../../../src/server/context.ts';
import { bearerAuthorized } from '../../../src/server/http/bearer-auth.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { connectClient, type Frame } from '../../helpers/raw-client.ts';

const FIRST = 'first-token-aaaaaaaaaaaa';
const SECOND = 'second-token-bbbbbbbbbbbb';

/** Replaces a file by rename, so a watcher keyed on inode, size or mtime cannot miss the change. */
function replaceFile(path: string, text: string): void {
  const tmp = `${path}.next`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function assertAuthFailure(hello: Frame, detailCode: string, message: RegExp): void {
  assert.equal(hello.ok, false, 'connect must fail');
  assert.equal(hello.error?.code, 'INVALID_REQUEST');
  assert.equal(hello.error?.details?.code, detailCode);
  assert.match(hello.error?.message ?? '', message);
}

async function assertRotated(url: string): Promise<void> {
  const old = await connectClient(url, FIRST);
  try {
    assertAuthFailure(old.hello, 'AUTH_TOKEN_MISMATCH', /^unauthorized: gateway token mismatch/);
    assert.equal((await old.client.closed).code, 1008);
  } finally {
    old.client.close();
  }
  const fresh = await connectClient(url, SECOND);
  try {
    assert.equal(fresh.hello.ok, true, JSON.stringify(fresh.hello.error));
    const res = await fresh.client.request('health');
    assert.equal(res.ok, true);
  } finally {
    fresh.client.close();
  }
}

test('rewriting the config file rotates the token without a restart and closes old sockets 4001', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { auth: { token: FIRST } } } });
  t.after(() => gw.close());
  const a = await connectClient(gw.url, FIRST);
  t.after(() => a.client.close());
  assert.equal(a.hello.ok, true, JSON.stringify(a.hello.error));

  replaceFile(gw.configPath, JSON.stringify({ gateway: { auth: { token: SECOND } } }));
  // The next connect re-reads the secret itself; no file watcher has to fire first.
  await assertRotated(gw.url);
  assert.deepEqual(await a.client.closed, { code: 4001, reason: 'gateway auth changed' });
});

test('config.patch over the wire rotates the token and closes shared-secret sockets 4001', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { auth: { token: FIRST } } } });
  t.after(() => gw.close());
  const a = await connectClient(gw.url, FIRST);
  t.after(() => a.client.close());
  assert.equal(a.hello.ok, true, JSON.stringify(a.hello.error));
  const admin = await connectClient(gw.url, FIRST);
  t.after(() => admin.client.close());

  const get = await admin.client.request('config.get');
  assert.equal(get.ok, true, JSON.stringify(get.error));
  const { hash } = get.payload as { hash: string };
  const patch = await admin.client.request('config.patch', {
    raw: JSON.stringify({ gateway: { auth: { token: SECOND } } }),
    baseHash: hash,
  });
  // The caller authenticated with the rotated secret too, yet must still learn that its patch was applied.
  assert.equal(patch.ok, true, JSON.stringify(patch.error));
  assert.deepEqual((patch.payload as { changedPaths: string[] }).changedPaths, ['gateway.auth']);
  assert.deepEqual(await a.client.closed, { code: 4001, reason: 'gateway auth changed' });
  assert.deepEqual(await admin.client.closed, { code: 4001, reason: 'gateway auth changed' });
  await assertRotated(gw.url);
});

test('a file: secret ref is re-read when the file changes', async (t) => {
  const secretDir = mkdtempSync(join(tmpdir(), 'clawgate-secret-'));
  t.after(() => rmSync(secretDir, { recursive: true, force: true }));
  const secretPath = join(secretDir, 'gateway-token');
  writeFileSync(secretPath, `${FIRST}\n`);
  const gw = await startTestGateway({ config: { gateway: { auth: { token: `file:${secretPath}` } } } });
  t.after(() => gw.close());
  const a = await connectClient(gw.url, FIRST);
  t.after(() => a.client.close());
  assert.equal(a.hello.ok, true, JSON.stringify(a.hello.error));

  replaceFile(secretPath, `${SECOND}\n`);
  await assertRotated(gw.url);
  assert.deepEqual(await a.client.closed, { code: 4001, reason: 'gateway auth changed' });
});

test('password mode: the password works in auth.password and in auth.token; a wrong one is refused', async (t) => {
  const password = 'correct-horse-battery-staple';
  const gw = await startTestGateway({ overrides: { authMode: 'password', password } });
  t.after(() => gw.close());

  const viaPassword = await connectClient(gw.url, undefined, { auth: { password } });
  t.after(() => viaPassword.client.close());
  assert.equal(viaPassword.hello.ok, true, JSON.stringify(viaPassword.hello.error));
  assert.equal(
    (viaPassword.hello.payload as { snapshot: { authMode: string } }).snapshot.authMode,
    'password',
  );

  // The Control UI sends the secret in both fields.
  const viaToken = await connectClient(gw.url, password);
  t.after(() => viaToken.client.close());
  assert.equal(viaToken.hello.ok, true, JSON.stringify(viaToken.hello.error));
  const both = await connectClient(gw.url, password, { auth: { password } });
  t.after(() => both.client.close());
  assert.equal(both.hello.ok, true, JSON.stringify(both.hello.error));

  const wrong = await connectClient(gw.url, undefined, { auth: { password: 'wrong-password-xxxxxxxx' } });
  t.after(() => wrong.client.close());
  assertAuthFailure(wrong.hello, 'AUTH_PASSWORD_MISMATCH', /^unauthorized: gateway password mismatch$/);
  assert.equal(wrong.hello.error?.details?.authReason, 'password_mismatch');
  assert.deepEqual(await wrong.client.closed, {
    code: 1008,
    reason: 'unauthorized: gateway password mismatch',
  });
});

test('auth none on loopback: a cli client with no secret connects and keeps its scopes', async (t) => {
  const gw = await startTestGateway({ overrides: { authMode: 'none' } });
  t.after(() => gw.close());
  const { client, hello } = await connectClient(gw.url, undefined);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const payload = hello.payload as { auth: { scopes: string[] }; snapshot: { authMode: string } };
  assert.deepEqual(payload.auth.scopes, ['operator.admin']);
  assert.equal(payload.snapshot.authMode, 'none');
  const res = await client.request('config.get');
  assert.equal(res.ok, true, JSON.stringify(res.error));
});

test('trusted-proxy: an identity header from a trusted proxy is accepted; without it, refused', async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { auth: { mode: 'trusted-proxy' }, trustedProxies: ['127.0.0.1'] } },
  });
  t.after(() => gw.close());

  const alice = await connectClient(
    gw.url,
    undefined,
    { client: { id: 'gateway-client', mode: 'ui' } },
    { headers: { 'x-forwarded-user': 'alice', 'x-forwarded-for': '10.0.0.5' } },
  );
  t.after(() => alice.client.close());
  assert.equal(alice.hello.ok, true, JSON.stringify(alice.hello.error));
  const payload = alice.hello.payload as { auth: { role: string; scopes: string[] } };
  assert.equal(payload.auth.role, 'operator');
  // The forwarded client is remote, so a device-less client keeps no scopes.
  assert.deepEqual(payload.auth.scopes, []);

  // The Control UI behind a trusted proxy keeps its scopes, and sees alice at her forwarded address.
  const ui = await connectClient(
    gw.url,
    undefined,
    { client: { id: 'openclaw-control-ui', mode: 'ui' } },
    { headers: { 'x-forwarded-user': 'bob', 'x-forwarded-for': '10.0.0.7' } },
  );
  t.after(() => ui.client.close());
  assert.equal(ui.hello.ok, true, JSON.stringify(ui.hello.error));
  assert.deepEqual((ui.hello.payload as { auth: { scopes: string[] } }).auth.scopes, ['operator.admin']);
  const presence = await ui.client.request('system-presence');
  assert.equal(presence.ok, true, JSON.stringify(presence.error));
  const ips = (presence.payload as { ip?: string }[]).map((entry) => entry.ip);
  assert.ok(ips.includes('10.0.0.5'), `alice recorded at her forwarded address: ${ips.join(', ')}`);

  const anonymous = await connectClient(
    gw.url,
    undefined,
    {},
    { headers: { 'x-forwarded-for': '10.0.0.6' } },
  );
  t.after(() => anonymous.client.close());
  assertAuthFailure(
    anonymous.hello,
    'AUTH_TRUSTED_PROXY_MISSING',
    /^unauthorized: trusted proxy identity missing$/,
  );
  assert.deepEqual(await anonymous.client.closed, {
    code: 1008,
    reason: 'unauthorized: trusted proxy identity missing',
  });
});

test('HTTP: /readyz from loopback gives full details', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const res = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.ready, true);
  assert.deepEqual(body.failing, []);
  assert.equal(typeof body.uptimeMs, 'number');
  assert.equal(typeof body.eventLoop, 'object');
});

test('bearerAuthorized accepts exactly the configured secret for the mode', () => {
  const ctxFor = (auth: { mode: string; token?: string; password?: string }) =>
    ({
      secrets: { current: () => ({ auth: { ...auth, generation: 1 }, changed: false }) },
    }) as unknown as GatewayContext;
  const req = (authorization?: string) =>
    ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

  const token = ctxFor({ mode: 'token', token: FIRST, password: 'unused-password-xxxxxxx' });
  assert.equal(bearerAuthorized(token, req(`Bearer ${FIRST}`)), true);
  assert.equal(bearerAuthorized(token, req(`Bearer ${SECOND}`)), false);
  assert.equal(bearerAuthorized(token, req('Bearer unused-password-xxxxxxx')), false);
  assert.equal(bearerAuthorized(token, req(FIRST)), false, 'the Bearer scheme is required');
  assert.equal(bearerAuthorized(token, req('Bearer ')), false);
  assert.equal(bearerAuthorized(token, req()), false);

  const password = ctxFor({ mode: 'password', password: SECOND });
  assert.equal(bearerAuthorized(password, req(`Bearer ${SECOND}`)), true);
  assert.equal(bearerAuthorized(password, req(`Bearer ${FIRST}`)), false);

  // No shared secret exists in mode none, so no bearer can match.
  assert.equal(bearerAuthorized(ctxFor({ mode: 'none' }), req('Bearer anything-at-all')), false);
});
