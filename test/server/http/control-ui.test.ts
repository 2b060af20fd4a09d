import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CLAWGATE_VERSION } from '../../../src/version.ts';
import { connectDevice, createTestDevice } from '../../helpers/device.ts';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.ts';
import { connectClient } from '../../helpers/raw-client.ts';

const INLINE = "document.documentElement.dataset.boot = 'ran';";
const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" href="./favicon.svg" />
    <script>${INLINE}</script>
    <script type="module" src="./assets/app.js"></script>
    <link rel="stylesheet" href="./assets/app.css" />
  </head>
  <body><main id="app"></main></body>
</html>
`;
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const HASHED_JS = 'export const hashed = true;\n';

/** Files of the fake UI build: path → [content, expected Content-Type]. */
const FILES: Record<string, [string | Buffer, string]> = {
  'assets/app.js': ['console.log("app");\n', 'text/javascript; charset=utf-8'],
  'assets/app.css': ['main { color: red; }\n', 'text/css; charset=utf-8'],
  'assets/mod.mjs': ['export default 1;\n', 'text/javascript; charset=utf-8'],
  'assets/app.js.map': ['{"version":3}', 'application/json; charset=utf-8'],
  'assets/app-Ab12Cd34.js': [HASHED_JS, 'text/javascript; charset=utf-8'],
  'fonts/x.woff2': [Buffer.from('wOF2fakefont'), 'font/woff2'],
  'fonts/x.woff': [Buffer.from('wOFFfakefont'), 'font/woff'],
  'fonts/OFL.txt': ['SIL Open Font License\n', 'text/plain; charset=utf-8'],
  'favicon.ico': [Buffer.from([0, 0, 1, 0, 1, 0]), 'image/x-icon'],
  'favicon.svg': ['<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'],
  'community-art/lobster.png': [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png'],
  'manifest.webmanifest': ['{"name":"UI"}', 'application/manifest+json; charset=utf-8'],
  'data.json': ['{"a":1}', 'application/json; charset=utf-8'],
};

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** Raw HTTP so paths reach the server exactly as written (fetch would normalise `..` and `%2e%2e`). */
function send(gw: TestGateway, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function makeRoot(t: { after(fn: () => void): void }): { root: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), 'clawgate-ui-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'ui');
  for (const [path, [content]] of Object.entries(FILES)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  writeFileSync(join(root, 'index.html'), INDEX_HTML);
  writeFileSync(join(root, 'assets/app-Ab12Cd34.js.gz'), gzipSync(HASHED_JS));
  writeFileSync(join(root, '.env'), SECRET);
  writeFileSync(join(base, 'secret.txt'), SECRET);
  symlinkSync(join(base, 'secret.txt'), join(root, 'leak.txt'));
  return { root, base };
}

async function startUi(t: { after(fn: () => unknown): void }, controlUi: Record<string, unknown> = {}) {
  const { root, base } = makeRoot(t);
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root, ...controlUi } },
      agents: { list: [{ id: 'main', identity: { name: 'Molty', emoji: '🦞' } }] },
    },
  });
  t.after(() => gw.close());
  return { gw, root, base };
}

function assertSecurityHeaders(reply: Reply, label: string): void {
  assert.equal(reply.headers['x-frame-options'], 'DENY', label);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff', label);
  assert.equal(reply.headers['referrer-policy'], 'no-referrer', label);
}

const INLINE_HASH = `'sha256-${createHash('sha256').update(INLINE).digest('base64')}'`;
const NOT_FOUND = { error: { message: 'Not Found', type: 'not_found' } };
const BAD_REQUEST = { error: { message: 'Bad Request', type: 'bad_request' } };

test('index.html at / and at SPA routes: rewritten, no-cache, security headers, CSP hashing its inline script', async (t) => {
  const { gw } = await startUi(t);
  const index = await send(gw, '/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['cache-control'], 'no-cache');
  assertSecurityHeaders(index, '/');
  const csp = String(index.headers['content-security-policy']);
  assert.match(csp, /^default-src 'self'; /);
  assert.ok(csp.includes(`script-src 'self' ${INLINE_HASH};`), csp);
  assert.ok(csp.includes("frame-ancestors 'none'"), csp);
  assert.ok(csp.includes("connect-src 'self' ws: wss:"), csp);
  const html = index.body.toString();
  assert.equal(Number(index.headers['content-length']), index.body.length);
  // The mount prefix is stamped for the UI, and ./ URLs made absolute so deep links load the same assets.
  assert.ok(html.includes('<html data-openclaw-control-ui-base-path="" lang="en">'), html);
  assert.ok(html.includes('<script type="module" src="/assets/app.js">'), html);
  assert.ok(html.includes('href="/assets/app.css"') && html.includes('href="/favicon.svg"'), html);
  assert.ok(html.includes(`<script>${INLINE}</script>`), 'inline script untouched, so its hash holds');

  const spa = [
    '/chat/agent%3Amain%3Amain',
    '/sessions',
    '/settings/general',
    '/chat/x/',
    '/index.html',
    '/?a=1',
  ];
  for (const path of spa) {
    const reply = await send(gw, path, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(reply.status, 200, path);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8', path);
    assert.equal(reply.body.toString(), html, path);
    assert.equal(reply.headers.etag, index.headers.etag, path);
    assertSecurityHeaders(reply, path);
  }
  // No Accept header at all (curl-like) is a navigation too.
  assert.equal((await send(gw, '/sessions')).status, 200);
});

test('build files: MIME types, nested assets, cache policy, HEAD, precompressed', async (t) => {
  const { gw } = await startUi(t);
  for (const [path, [content, type]] of Object.entries(FILES)) {
    const reply = await send(gw, `/${path}`);
    assert.equal(reply.status, 200, path);
    assert.equal(reply.headers['content-type'], type, path);
    assert.deepEqual(reply.body, Buffer.from(content), path);
    assert.equal(Number(reply.headers['content-length']), reply.body.length, path);
    assert.match(String(reply.headers.etag), /^"[0-9a-z]+-[0-9a-z]+"$/, path);
    assert.ok(reply.headers['last-modified'], path);
    assertSecurityHeaders(reply, path);
    assert.equal(
      reply.headers['cache-control'],
      path === 'assets/app-Ab12Cd34.js' ? 'public, max-age=31536000, immutable' : 'no-cache',
      path,
    );
  }
  // `./assets/…` from a page opened at a deep link resolves under that route.
  for (const path of ['/chat/x/assets/app.js', '/settings/a/b/assets/app.js']) {
    const nested = await send(gw, path);
    assert.equal(nested.status, 200, path);
    assert.equal(nested.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(nested.body.toString(), 'console.log("app");\n');
  }
  const nestedCss = await send(gw, '/chat/agent%3Amain%3Amain/assets/app.css');
  assert.equal(nestedCss.body.toString(), 'main { color: red; }\n');

  const head = await send(gw, '/assets/app.css', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(head.headers['content-length'], String('main { color: red; }\n'.length));
  assert.equal(head.body.length, 0);
  const headIndex = await send(gw, '/chat/x', {}, 'HEAD');
  assert.equal(headIndex.status, 200);
  assert.equal(headIndex.headers['content-type'], 'text/html; charset=utf-8');
  assert.ok(Number(headIndex.headers['content-length']) > INDEX_HTML.length);
  assert.equal(headIndex.body.length, 0);

  const gz = await send(gw, '/assets/app-Ab12Cd34.js', { 'accept-encoding': 'br;q=0, gzip, deflate' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.equal(gz.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(gunzipSync(gz.body).toString(), HASHED_JS);
  assert.match(String(gz.headers.etag), /-gzip"$/);
  const plain = await send(gw, '/assets/app-Ab12Cd34.js', { 'accept-encoding': 'gzip;q=0' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.equal(plain.body.toString(), HASHED_JS);
  assert.notEqual(plain.headers.etag, gz.headers.etag);
});

test('missing files 404 (never the SPA); API-looking requests and reserved prefixes fall through', async (t) => {
  const { gw } = await startUi(t);
  for (const path of [
    '/assets/missing.js',
    '/chat/x/assets/missing.css',
    '/missing.png',
    '/fonts/none.woff2',
    '/assets',
    '/.env',
    '/assets/app.js/extra',
  ]) {
    const reply = await send(gw, path, { accept: 'text/html' });
    assert.equal(reply.status, 404, path);
    assert.deepEqual(JSON.parse(reply.body.toString()), NOT_FOUND, path);
    assertSecurityHeaders(reply, path);
  }
  const json = await send(gw, '/sessions', { accept: 'application/json' });
  assert.equal(json.status, 404);
  assert.deepEqual(JSON.parse(json.body.toString()), NOT_FOUND);
  for (const path of ['/api/x', '/v1/models', '/__openclaw__/worker']) {
    const reply = await send(gw, path, { accept: 'text/html' });
    assert.equal(reply.status, 404, path);
    assert.deepEqual(JSON.parse(reply.body.toString()), NOT_FOUND, path);
    assert.equal(reply.headers['x-frame-options'], undefined, `${path} is not the UI's`);
  }
});

test('conditional requests: If-None-Match (strong, weak, *, list) and If-Modified-Since give 304', async (t) => {
  const { gw } = await startUi(t);
  for (const path of ['/assets/app.js', '/', '/chat/x']) {
    const first = await send(gw, path);
    const etag = String(first.headers.etag);
    for (const inm of [etag, `W/${etag}`, '*', `"nope", ${etag}`]) {
      const again = await send(gw, path, { 'if-none-match': inm });
      assert.equal(again.status, 304, `${path} ${inm}`);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, etag);
      assert.equal(again.headers['cache-control'], 'no-cache');
      assertSecurityHeaders(again, path);
    }
    const changed = await send(gw, path, { 'if-none-match': '"other"' });
    assert.equal(changed.status, 200, path);
    assert.deepEqual(changed.body, first.body);
  }
  const js = await send(gw, '/assets/app.js');
  const since = await send(gw, '/assets/app.js', {
    'if-modified-since': String(js.headers['last-modified']),
  });
  assert.equal(since.status, 304);
  const stale = await send(gw, '/assets/app.js', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' });
  assert.equal(stale.status, 200);
  // If-None-Match wins: a non-matching tag is a 200 even with a fresh If-Modified-Since.
  const both = await send(gw, '/assets/app.js', {
    'if-none-match': '"other"',
    'if-modified-since': String(js.headers['last-modified']),
  });
  assert.equal(both.status, 200);
});

test('path traversal, encoded traversal, NUL and symlinks never reach a file outside the root', async (t) => {
  const { gw } = await startUi(t);
  const rejected: [string, number][] = [
    ['/../secret.txt', 400],
    ['/assets/../../secret.txt', 400],
    ['/%2e%2e/secret.txt', 400],
    ['/%2E%2E/%2e%2e/secret.txt', 400],
    ['/..%2fsecret.txt', 400],
    ['/assets/..%2f..%2fsecret.txt', 400],
    ['/chat/../../assets/app.js', 400],
    ['/..%5csecret.txt', 400],
    ['/%00', 400],
    ['/index.html%00.js', 400],
    ['/assets/app.js%00', 400],
    ['/%E0%A4%A', 400],
    ['/./index.html', 400],
    ['/leak.txt', 404],
    ['//secret.txt', 404],
    ['/.env', 404],
  ];
  for (const [path, status] of rejected) {
    const reply = await send(gw, path, { accept: 'text/html' });
    assert.equal(reply.status, status, path);
    assert.deepEqual(JSON.parse(reply.body.toString()), status === 400 ? BAD_REQUEST : NOT_FOUND, path);
    assert.ok(!reply.body.toString().includes(SECRET), path);
  }
});

test('an index.html symlinked out of the root is not served', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'clawgate-ui-link-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'ui'));
  writeFileSync(join(base, 'outside.html'), `<html><body>${SECRET}</body></html>`);
  symlinkSync(join(base, 'outside.html'), join(base, 'ui', 'index.html'));
  const gw = await startTestGateway({ config: { gateway: { controlUi: { root: join(base, 'ui') } } } });
  t.after(() => gw.close());
  for (const path of ['/', '/chat/x', '/index.html']) {
    const reply = await send(gw, path, { accept: 'text/html' });
    assert.equal(reply.status, 404, path);
    assert.ok(!reply.body.toString().includes(SECRET), path);
  }
});

test('only GET and HEAD: other methods get 405 with Allow', async (t) => {
  const { gw } = await startUi(t);
  for (const [method, path] of [
    ['POST', '/'],
    ['PUT', '/assets/app.js'],
    ['DELETE', '/chat/x'],
    ['OPTIONS', '/control-ui-config.json'],
  ]) {
    const reply = await send(gw, path!, {}, method);
    assert.equal(reply.status, 405, `${method} ${path}`);
    assert.equal(reply.headers.allow, 'GET, HEAD');
    assert.deepEqual(JSON.parse(reply.body.toString()), {
      error: { message: 'Method Not Allowed', type: 'method_not_allowed' },
    });
  }
});

test('probes keep precedence over the UI served at /', async (t) => {
  const { gw } = await startUi(t);
  const health = await send(gw, '/health', { accept: 'text/html' });
  assert.equal(health.status, 200);
  assert.equal(health.body.toString(), '{"ok":true,"status":"live"}');
  const ready = await send(gw, '/readyz', { accept: 'text/html' });
  assert.equal(ready.status, 200);
  assert.equal(JSON.parse(ready.body.toString()).ready, true);
  assert.equal((await send(gw, '/startupz')).headers['content-type'], 'application/json; charset=utf-8');
});

test('control-ui-config.json needs the Bearer secret and describes the deployment', async (t) => {
  const { gw } = await startUi(t);
  for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TEST_TOKEN}`, 'Bearer ']) {
    const reply = await send(gw, '/control-ui-config.json', authorization ? { authorization } : {});
    assert.equal(reply.status, 401, String(authorization));
    assert.equal(reply.headers['www-authenticate'], 'Bearer');
    assert.equal(reply.body.toString(), '{"error":{"message":"Unauthorized","type":"unauthorized"}}');
  }
  const ok = await send(gw, '/control-ui-config.json', { authorization: `Bearer ${TEST_TOKEN}` });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(ok.headers['cache-control'], 'no-cache');
  assertSecurityHeaders(ok, 'config');
  assert.deepEqual(JSON.parse(ok.body.toString()), {
    basePath: '',
    assistantName: 'Molty',
    assistantAvatar: '🦞',
    serverVersion: CLAWGATE_VERSION,
  });
  const head = await send(gw, '/control-ui-config.json', { authorization: `Bearer ${TEST_TOKEN}` }, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);

  // Once connected, the real UI re-fetches it with its device token (hello-ok.auth.deviceToken) as the Bearer.
  const device = createTestDevice();
  const reader = await connectDevice(gw.url, device, { token: TEST_TOKEN, scopes: ['operator.read'] });
  t.after(() => reader.client.close());
  const readerToken = (reader.hello.payload as { auth: { deviceToken: string } }).auth.deviceToken;
  const byDevice = await send(gw, '/control-ui-config.json', { authorization: `Bearer ${readerToken}` });
  assert.equal(byDevice.status, 200);
  assert.equal(JSON.parse(byDevice.body.toString()).assistantName, 'Molty');
  // A device token without read access is not enough.
  const approver = await connectDevice(gw.url, createTestDevice(), {
    token: TEST_TOKEN,
    scopes: ['operator.approvals'],
  });
  t.after(() => approver.client.close());
  const approverToken = (approver.hello.payload as { auth: { deviceToken: string } }).auth.deviceToken;
  const noRead = await send(gw, '/control-ui-config.json', { authorization: `Bearer ${approverToken}` });
  assert.equal(noRead.status, 401);
  assert.equal(noRead.body.toString(), '{"error":{"message":"Unauthorized","type":"unauthorized"}}');
});

test('basePath /ui: the UI lives under it, with a redirect for the bare prefix; nothing outside it', async (t) => {
  const { gw } = await startUi(t, { basePath: 'ui/' });
  const index = await send(gw, '/ui/');
  assert.equal(index.status, 200);
  const html = index.body.toString();
  assert.ok(html.includes('data-openclaw-control-ui-base-path="/ui"'), html);
  assert.ok(html.includes('src="/ui/assets/app.js"') && html.includes('href="/ui/assets/app.css"'), html);
  for (const path of ['/ui/chat/x', '/ui/sessions', '/ui/settings/a/b']) {
    const spa = await send(gw, path, { accept: 'text/html' });
    assert.equal(spa.status, 200, path);
    assert.equal(spa.body.toString(), html, path);
  }
  const redirect = await send(gw, '/ui?x=1');
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.location, '/ui/?x=1');
  for (const path of ['/ui/assets/app.js', '/ui/chat/x/assets/app.js']) {
    const js = await send(gw, path);
    assert.equal(js.status, 200, path);
    assert.equal(js.body.toString(), 'console.log("app");\n', path);
  }
  for (const path of [
    '/',
    '/assets/app.js',
    '/chat/x',
    '/uix',
    '/uiassets/app.js',
    '/control-ui-config.json',
  ]) {
    const outside = await send(gw, path, { accept: 'text/html', authorization: `Bearer ${TEST_TOKEN}` });
    assert.equal(outside.status, 404, path);
    assert.deepEqual(JSON.parse(outside.body.toString()), NOT_FOUND, path);
    assert.equal(outside.headers['x-frame-options'], undefined, path);
  }
  // POST outside the prefix is the gateway's 404, not the UI's 405.
  assert.equal((await send(gw, '/chat/x', {}, 'POST')).status, 404);
  const config = await send(gw, '/ui/control-ui-config.json', { authorization: `Bearer ${TEST_TOKEN}` });
  assert.equal(JSON.parse(config.body.toString()).basePath, '/ui');
});

test('a missing root is a start-up warning and 404s, not a crash; disabled serves nothing', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'clawgate-ui-missing-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'no-such-build');
  const gw = await startTestGateway({ config: { gateway: { controlUi: { root } } } });
  t.after(() => gw.close());
  const log = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: string; message: string; root?: string; code?: string });
  const warning = log.find((entry) => entry.level === 'warn' && entry.message.startsWith('Control UI root'));
  assert.ok(warning, JSON.stringify(log));
  assert.equal(warning.root, root);
  assert.equal(warning.code, 'ENOENT');
  assert.match(warning.message, /is not usable .*gateway\.controlUi\.root/);
  for (const path of ['/', '/chat/x', '/assets/app.js']) {
    const reply = await send(gw, path, { accept: 'text/html' });
    assert.equal(reply.status, 404, path);
    assert.deepEqual(JSON.parse(reply.body.toString()), NOT_FOUND, path);
  }
  assert.equal((await send(gw, '/health')).status, 200);
  const { client, hello } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  assert.equal(hello.ok, true);
  const health = await client.request('health');
  assert.equal(health.ok, true, JSON.stringify(health));

  const { root: realRoot } = makeRoot(t);
  const off = await startTestGateway({
    config: { gateway: { controlUi: { root: realRoot, enabled: false } } },
  });
  t.after(() => off.close());
  const disabled = await send(off, '/', { accept: 'text/html' });
  assert.equal(disabled.status, 404);
  assert.deepEqual(JSON.parse(disabled.body.toString()), NOT_FOUND);
  assert.equal((await send(off, '/assets/app.js')).status, 404);
});
