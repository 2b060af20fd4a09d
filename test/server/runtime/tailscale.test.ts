import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../../helpers/admin.ts';
import { connectDevice, createTestDevice } from '../../helpers/device.ts';
import { fakeTailscale } from '../../helpers/fake-tailscale.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { handlesLeftBy } from '../../helpers/handles.ts';
import { connectClient, type Frame } from '../../helpers/raw-client.ts';

const ALICE = '100.64.0.7';
/** What tailscaled adds when it proxies a tailnet request to the gateway. */
const serveHeaders = (login: string, from = ALICE) => ({
  'x-forwarded-for': from,
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'gw.example.ts.net',
  'tailscale-user-login': login,
  'tailscale-user-name': 'Alice',
});

/** The loopback URL `tailscale serve|funnel` was told to proxy to, read from the fake's recorded arguments. */
function managedUrl(calls: string[][]): string {
  const claim = calls.find((args) => args[0] === 'serve' || args[0] === 'funnel');
  assert.ok(claim, `no serve/funnel call in ${JSON.stringify(calls)}`);
  return (claim.at(-1) ?? '').replace(/^http/, 'ws');
}

/** The HTTP status a WebSocket upgrade gets (101 when accepted), read off the raw response. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url.replace(/^ws/, 'http'), {
      headers: {
        ...headers,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function detailCode(frame: Frame): unknown {
  return (frame.error as { details?: { code?: string } } | undefined)?.details?.code;
}

async function serveGateway(
  t: { after(fn: () => unknown): void },
  peers = { [ALICE]: { login: 'alice@example.com' } },
) {
  const tailscale = fakeTailscale({ dnsName: 'gw.example.ts.net', ips: ['100.100.1.1'], peers });
  t.after(() => tailscale.close());
  const gw = await startTestGateway({
    config: { gateway: { tailscale: { mode: 'serve' } } },
    env: { PATH: tailscale.path },
  });
  t.after(() => gw.close());
  return { gw, tailscale };
}

test('serve mode runs a foreground `tailscale serve` for a dedicated loopback listener; status shows the route', async (t) => {
  const { gw, tailscale } = await serveGateway(t);
  const claim = tailscale.calls().find((args) => args[0] === 'serve');
  assert.deepEqual(claim?.slice(0, 3), ['serve', '--yes', '--bg=false']);
  assert.match(claim?.[3] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(claim?.[3], `http://127.0.0.1:${gw.port}`, 'not the ordinary listener');
  const client = await admin(t, gw);
  const status = await client.request('status');
  assert.deepEqual((status.payload as { network: { tailscale: unknown } }).network.tailscale, {
    mode: 'serve',
    state: 'active',
    url: 'https://gw.example.ts.net/',
  });
});

test('a Tailscale identity verified by whois stands in for the token: a device pairs, then connects with method tailscale', async (t) => {
  const { gw, tailscale } = await serveGateway(t);
  const url = managedUrl(tailscale.calls());
  const device = createTestDevice();
  const first = await connectDevice(url, device, { headers: serveHeaders('Alice@Example.com') });
  first.client.close();
  // Accepted as a credential: the device is asked to pair instead of being told the token is missing.
  assert.equal(detailCode(first.hello), 'PAIRING_REQUIRED', JSON.stringify(first.hello.error));
  assert.ok(tailscale.calls().some((args) => args.join(' ') === `whois --json ${ALICE}`));
  const operator = await admin(t, gw);
  const requestId = first.hello.error?.details?.requestId as string;
  const approved = await operator.request('device.pair.approve', { requestId });
  assert.equal(approved.ok, true, JSON.stringify(approved.error));
  const again = await connectDevice(url, device, { headers: serveHeaders('alice@example.com') });
  t.after(() => again.client.close());
  assert.equal(again.hello.ok, true, JSON.stringify(again.hello.error));
  const auth = (again.hello.payload as { auth: { method: string; scopes: string[] } }).auth;
  assert.equal(auth.method, 'tailscale');
  assert.deepEqual(auth.scopes, ['operator.admin']);
});

test('the identity is refused when whois names someone else, on the ordinary port, without a device, or with a Funnel marker', async (t) => {
  const { gw, tailscale } = await serveGateway(t, { [ALICE]: { login: 'bob@example.com' } });
  const url = managedUrl(tailscale.calls());
  const mismatch = await connectDevice(url, createTestDevice(), {
    headers: serveHeaders('alice@example.com'),
  });
  mismatch.client.close();
  assert.equal(detailCode(mismatch.hello), 'AUTH_TOKEN_MISSING');
  const forged = await connectDevice(gw.url, createTestDevice(), {
    headers: serveHeaders('bob@example.com'),
  });
  forged.client.close();
  assert.equal(
    detailCode(forged.hello),
    'AUTH_TOKEN_MISSING',
    'headers on the ordinary listener earn nothing',
  );
  const deviceless = await connectClient(url, undefined, {}, { headers: serveHeaders('bob@example.com') });
  deviceless.client.close();
  assert.equal(detailCode(deviceless.hello), 'DEVICE_IDENTITY_REQUIRED');
  const funnelOnServe = { ...serveHeaders('bob@example.com'), 'tailscale-funnel-request': '?1' };
  assert.equal(await upgradeStatus(url, funnelOnServe), 403, 'Funnel traffic on a Serve route is refused');
});

test('requests on the managed listener without tailscaled’s headers are refused; with them they are remote, not local', async (t) => {
  const { tailscale } = await serveGateway(t);
  const httpUrl = managedUrl(tailscale.calls()).replace(/^ws/, 'http');
  assert.equal(await upgradeStatus(httpUrl, {}), 403);
  assert.equal(await upgradeStatus(httpUrl, serveHeaders('alice@example.com')), 101);
  const proxied = await fetch(`${httpUrl}/readyz`, { headers: serveHeaders('alice@example.com') });
  // A loopback caller sees readiness details; a tailnet one proxied from 127.0.0.1 must not.
  assert.deepEqual(Object.keys((await proxied.json()) as object), ['ready']);
});

test('funnel mode needs password auth, runs `tailscale funnel`, and never takes Tailscale identity', async (t) => {
  await assert.rejects(
    startTestGateway({ config: { gateway: { tailscale: { mode: 'funnel' } } } }),
    /gateway\.tailscale\.mode: funnel .* needs gateway\.auth\.mode "password"/,
  );
  const tailscale = fakeTailscale({ peers: { [ALICE]: { login: 'alice@example.com' } } });
  t.after(() => tailscale.close());
  const password = 'funnel-password-0123456789';
  const gw = await startTestGateway({
    config: { gateway: { tailscale: { mode: 'funnel' }, auth: { mode: 'password', password } } },
    env: { PATH: tailscale.path },
  });
  t.after(() => gw.close());
  assert.deepEqual(
    tailscale
      .calls()
      .find((args) => args[0] === 'funnel')
      ?.slice(0, 3),
    ['funnel', '--yes', '--bg=false'],
  );
  const url = managedUrl(tailscale.calls());
  const headers = { ...serveHeaders('alice@example.com'), 'tailscale-funnel-request': '?1' };
  const refused = await connectDevice(url, createTestDevice(), { headers });
  refused.client.close();
  assert.equal(detailCode(refused.hello), 'AUTH_PASSWORD_MISSING');
  assert.ok(!tailscale.calls().some((args) => args[0] === 'whois'), 'Funnel traffic is never looked up');
});

test('stop releases the claim (SIGTERM) and leaves no process, socket or timer behind', async (t) => {
  const tailscale = fakeTailscale();
  t.after(() => tailscale.close());
  let gw: TestGateway | undefined;
  const left = await handlesLeftBy(async () => {
    gw = await startTestGateway({
      config: { gateway: { tailscale: { mode: 'serve' } } },
      env: { PATH: tailscale.path },
    });
    await gw.close();
  });
  assert.deepEqual(left, []);
  assert.deepEqual(tailscale.calls().at(-1), ['SIGTERM', 'stopped']);
});

test('a missing tailscale CLI is a warning and a /readyz entry, never a failed start', async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { tailscale: { mode: 'serve' } } },
    env: { PATH: '/nonexistent' },
  });
  t.after(() => gw.close());
  const ready = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(ready.status, 503);
  const body = (await ready.json()) as { failing: string[]; unhealthy: { tailscale: { error: string } } };
  assert.ok(body.failing.includes('tailscale'));
  assert.match(body.unhealthy.tailscale.error, /not installed or not on PATH; install Tailscale/);
  const log = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8');
  assert.match(log, /"level":"warn".*tailscale serve is not exposing the gateway/);
});

test('a claim the CLI refuses (no HTTPS on the tailnet) is reported with the CLI’s own words', async (t) => {
  const tailscale = fakeTailscale({ refuseServe: 'error: HTTPS is not enabled for this tailnet' });
  t.after(() => tailscale.close());
  const gw = await startTestGateway({
    config: { gateway: { tailscale: { mode: 'serve' } } },
    env: { PATH: tailscale.path },
  });
  t.after(() => gw.close());
  const body = (await (await fetch(`${gw.httpUrl}/readyz`)).json()) as {
    unhealthy: { tailscale: { error: string } };
  };
  assert.match(body.unhealthy.tailscale.error, /HTTPS is not enabled for this tailnet/);
});
