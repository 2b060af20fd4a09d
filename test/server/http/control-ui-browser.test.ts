import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium.ts';
import { startTestGateway, TEST_TOKEN } from '../../helpers/gateway.ts';

/**
 * A real headless Chromium (Debian's package; `.ci/run` installs it) loads a small stand-in for the Control UI
 * from the gateway and talks to it over a same-origin WebSocket. `playwright-core` only drives it over CDP.
 */
const FIXTURE = fileURLToPath(new URL('../../fixtures/control-ui-mini/', import.meta.url));
const EVIL_HOST = 'evil.test';

function launch(t: { after(fn: () => unknown): void }): Promise<BrowserContext> {
  // A second, non-loopback-looking origin served from this machine: the disallowed-Origin case.
  return launchChromium(t, [`--host-resolver-rules=MAP ${EVIL_HOST} 127.0.0.1`]);
}

/** The same mini UI from a plain server on another port: a cross-origin page using `?gatewayUrl=`. */
async function startOtherOrigin(t: { after(fn: () => unknown): void }): Promise<number> {
  const files: Record<string, [string, string]> = {
    '/': [readFileSync(join(FIXTURE, 'index.html'), 'utf8'), 'text/html; charset=utf-8'],
    '/assets/app.js': [readFileSync(join(FIXTURE, 'assets/app.js'), 'utf8'), 'text/javascript'],
  };
  const server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]!];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.[1] ?? 'text/plain' });
    res.end(file?.[0] ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

/**
 * Polls (with a deadline) until the page reports a final state. From Node, not `page.waitForFunction`: that
 * re-evaluates a string predicate inside the page, which the UI's CSP (no 'unsafe-eval') blocks whenever the page
 * has not settled at the first check; `page.evaluate` goes through the debugger protocol, which CSP does not apply to.
 */
async function settled(page: Page): Promise<Record<string, string>> {
  // Strings, not functions: they run in the page, and this project's TypeScript has no DOM types.
  const deadline = performance.now() + 10_000;
  for (;;) {
    const status = await page.evaluate<string>("document.getElementById('status')?.textContent ?? ''");
    if (/^(connected|closed|rejected|failed)/.test(status)) break;
    assert.ok(performance.now() < deadline, `the page never settled (status ${JSON.stringify(status)})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return page.evaluate<Record<string, string>>(
    "Object.fromEntries([...document.querySelectorAll('dd')].map((dd) => [dd.id, dd.textContent ?? '']))",
  );
}

test('headless Chromium: the UI page loads with security headers, connects with the fragment token, calls methods; a foreign Origin is refused', {
  timeout: 20_000,
}, async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: FIXTURE } },
      agents: { list: [{ id: 'main', default: true }, { id: 'helper' }] },
    },
  });
  t.after(() => gw.close());
  const otherPort = await startOtherOrigin(t);
  const context = await launch(t);

  const page = context.pages()[0] ?? (await context.newPage());
  const sent: Record<string, unknown>[] = [];
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => sent.push(JSON.parse(String(frame.payload))));
  });
  // A deep link: the SPA route serves index.html, whose ./assets URL the gateway made absolute.
  const response = await page.goto(`${gw.httpUrl}/chat/main#token=${TEST_TOKEN}`);
  assert.ok(response);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.equal(headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.match(headers['content-security-policy'] ?? '', /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);

  const shown = await settled(page);
  assert.equal(shown.status, 'connected', JSON.stringify(shown));
  assert.equal(shown['auth-mode'], 'token');
  assert.equal(shown.scopes, 'operator.admin,operator.read,operator.write');
  assert.equal(shown.health, 'ok=true');
  assert.equal(shown.agents, 'main,helper');
  // The token left the address bar; the CSP let the hashed inline script run and blocked eval.
  assert.equal(shown.hash, '');
  assert.equal(page.url(), `${gw.httpUrl}/chat/main`);
  assert.equal(await page.getAttribute('html', 'data-inline-script'), 'ran');
  assert.equal(shown.eval, 'blocked: EvalError');
  assert.equal(await page.getAttribute('html', 'data-openclaw-control-ui-base-path'), '');

  const connect = sent.find((frame) => frame.method === 'connect') as {
    params: { client: { id: string; mode: string }; auth: Record<string, string>; modelCatalog: unknown };
  };
  assert.deepEqual(
    { id: connect.params.client.id, mode: connect.params.client.mode },
    { id: 'openclaw-control-ui', mode: 'webchat' },
  );
  assert.deepEqual(connect.params.auth, { token: TEST_TOKEN, password: TEST_TOKEN });
  assert.deepEqual(connect.params.modelCatalog, { sessionKey: 'main' });

  // The same page served from another origin: a loopback one may use the gateway (`?gatewayUrl=`) …
  const gatewayUrl = encodeURIComponent(gw.url);
  const loopback = await context.newPage();
  await loopback.goto(`http://localhost:${otherPort}/?gatewayUrl=${gatewayUrl}#token=${TEST_TOKEN}`);
  assert.equal((await settled(loopback)).status, 'connected');

  // … a non-loopback one (empty allowedOrigins) is refused at the upgrade with HTTP 403.
  const evil = await context.newPage();
  const socketErrors: string[] = [];
  evil.on('websocket', (socket) => socket.on('socketerror', (error) => socketErrors.push(error)));
  await evil.goto(`http://${EVIL_HOST}:${otherPort}/?gatewayUrl=${gatewayUrl}#token=${TEST_TOKEN}`);
  const refused = await settled(evil);
  assert.equal(refused.status, 'closed', JSON.stringify(refused));
  assert.equal(refused.close, '1006');
  assert.equal(refused['auth-mode'], '');
  assert.ok(
    socketErrors.some((error) => error.includes('403')),
    `expected an HTTP 403 handshake error, got ${JSON.stringify(socketErrors)}`,
  );
});
