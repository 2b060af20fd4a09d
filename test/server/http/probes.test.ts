import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Readiness } from '../../../src/health/readiness.ts';
import type { GatewayContext } from '../../../src/server/context.ts';
import { handleHttpRequest } from '../../../src/server/http/router.ts';
import { GatewayRegistry } from '../../../src/server/registry.ts';
import { serverModule } from '../../../src/server/server-module.ts';
import { CLAWGATE_VERSION } from '../../../src/version.ts';
import { startTestGateway, TEST_TOKEN } from '../../helpers/gateway.ts';
import { connectClient, RawClient } from '../../helpers/raw-client.ts';

type ReadyBody = {
  ready: boolean;
  failing: string[];
  uptimeMs: number;
  eventLoop: { degraded: boolean; reasons: string[]; delayP99Ms: number; utilization: number };
};

const JSON_TYPE = 'application/json; charset=utf-8';

test('liveness: GET and HEAD /health and /healthz answer 200 live; other methods 405', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  for (const path of ['/health', '/healthz', '/health?probe=1']) {
    const res = await fetch(`${gw.httpUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), JSON_TYPE);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await res.text(), '{"ok":true,"status":"live"}');

    const head = await fetch(`${gw.httpUrl}${path}`, { method: 'HEAD' });
    assert.equal(head.status, 200, `HEAD ${path}`);
    assert.equal(head.headers.get('content-type'), JSON_TYPE);
    assert.equal(head.headers.get('content-length'), String('{"ok":true,"status":"live"}'.length));
    assert.equal(await head.text(), '', 'HEAD has no body');
  }
  for (const method of ['POST', 'PUT', 'DELETE']) {
    for (const path of ['/health', '/healthz', '/readyz', '/startupz']) {
      const res = await fetch(`${gw.httpUrl}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assert.deepEqual(await res.json(), {
        error: { message: 'Method Not Allowed', type: 'method_not_allowed' },
      });
    }
  }
});

test('readiness and startup probes on a started gateway', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  for (const path of ['/readyz', '/ready']) {
    const res = await fetch(`${gw.httpUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), JSON_TYPE);
    const body = (await res.json()) as ReadyBody;
    assert.deepEqual(Object.keys(body).sort(), ['eventLoop', 'failing', 'ready', 'uptimeMs']);
    assert.equal(body.ready, true);
    assert.deepEqual(body.failing, []);
    assert.ok(Number.isInteger(body.uptimeMs) && body.uptimeMs >= 0);
    assert.equal(typeof body.eventLoop.degraded, 'boolean');
    assert.ok(Array.isArray(body.eventLoop.reasons));
    assert.equal(typeof body.eventLoop.delayP99Ms, 'number');
    assert.equal(typeof body.eventLoop.utilization, 'number');
  }
  for (const path of ['/startupz', '/startup']) {
    const res = await fetch(`${gw.httpUrl}${path}`);
    assert.equal(res.status, 200, path);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['ok', 'status', 'uptimeMs', 'version']);
    assert.equal(body.ok, true);
    assert.equal(body.status, 'started');
    assert.equal(body.version, CLAWGATE_VERSION);
    assert.ok(Number.isInteger(body.uptimeMs) && (body.uptimeMs as number) >= 0);
  }
  const head = await fetch(`${gw.httpUrl}/readyz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('unclaimed paths are 404 JSON', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  for (const [method, path] of [
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/health/extra'],
    ['GET', '/HEALTH'],
    ['POST', '/v1/whatever'],
  ] as const) {
    const res = await fetch(`${gw.httpUrl}${path}`, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.headers.get('content-type'), JSON_TYPE);
    assert.deepEqual(await res.json(), { error: { message: 'Not Found', type: 'not_found' } });
  }
});

test('the WebSocket upgrade is accepted on any path but the reserved worker path', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  for (const path of ['/some/path', '/health', '/?x=1']) {
    const { client, hello } = await connectClient(`${gw.url}${path}`, gw.token);
    t.after(() => client.close());
    assert.equal(hello.ok, true, `${path}: ${JSON.stringify(hello.error)}`);
    assert.equal((hello.payload as { type: string }).type, 'hello-ok');
  }
  for (const path of ['/__openclaw__/worker', '/__openclaw__/worker/abc', '/__openclaw__/worker?x=1']) {
    const client = new RawClient(`${gw.url}${path}`);
    t.after(() => client.close());
    await assert.rejects(client.opened, /HTTP 404/, path);
  }
  // The listener still serves after refusing.
  assert.equal((await fetch(`${gw.httpUrl}/healthz`)).status, 200);
});

test('Readiness: not ready until started; failing components and draining', () => {
  const r = new Readiness();
  assert.equal(r.started, false);
  assert.equal(r.ready, false);
  assert.deepEqual(r.failing(), ['startup-sidecars']);
  r.markStarted();
  assert.equal(r.started, true);
  assert.equal(r.ready, true);
  assert.deepEqual(r.failing(), []);
  r.setFailing('plugin-reload', true);
  r.setFailing('agent-database:main', true);
  assert.equal(r.ready, false);
  assert.equal(r.started, true);
  assert.deepEqual(r.failing(), ['plugin-reload', 'agent-database:main']);
  r.setFailing('plugin-reload', false);
  r.setFailing('agent-database:main', false);
  assert.equal(r.ready, true);
  assert.equal(r.draining, false);
  r.startDraining();
  assert.equal(r.draining, true);
  assert.equal(r.ready, false);
  assert.deepEqual(r.failing(), ['gateway-draining']);
});

/** The probe router over a hand-made context, to reach states a live gateway passes through too fast. */
function fakeContext(readiness: Readiness): GatewayContext {
  const startedAt = Date.now() - 1234;
  const registry = new GatewayRegistry();
  registry.register(serverModule());
  return {
    registry,
    version: CLAWGATE_VERSION,
    startedAt,
    readiness,
    now: () => Date.now(),
    healthSnapshot: () => ({
      eventLoop: {
        degraded: false,
        reasons: [],
        intervalMs: 1,
        delayP99Ms: 0,
        delayMaxMs: 0,
        utilization: 0,
        cpuCoreRatio: 0,
      },
    }),
    secrets: { current: () => ({ auth: { mode: 'token', token: TEST_TOKEN }, changed: false }) },
    logger: { error: () => undefined },
  } as unknown as GatewayContext;
}

async function probeServer(t: { after(fn: () => Promise<void>): void }, readiness: Readiness) {
  const ctx = fakeContext(readiness);
  const server = createServer((req, res) => handleHttpRequest(ctx, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

test('probes while starting, with a failing component, and while draining', async (t) => {
  const readiness = new Readiness();
  const get = await probeServer(t, readiness);

  // Starting: live, not ready, not started.
  assert.deepEqual(await get('/health'), { status: 200, body: { ok: true, status: 'live' } });
  let ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.ready, false);
  assert.deepEqual(ready.body.failing, ['startup-sidecars']);
  let startup = await get('/startupz');
  assert.equal(startup.status, 503);
  assert.equal(startup.body.ok, false);
  assert.equal(startup.body.status, 'starting');
  assert.equal(startup.body.pendingReason, 'startup-sidecars');
  assert.equal(startup.body.version, CLAWGATE_VERSION);
  assert.ok((startup.body.uptimeMs as number) >= 1234);

  // Started, but a component fails: not ready, yet start-up is over.
  readiness.markStarted();
  readiness.setFailing('plugin-reload', true);
  ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body.failing, ['plugin-reload']);
  startup = await get('/startupz');
  assert.equal(startup.status, 200, JSON.stringify(startup.body));
  assert.equal(startup.body.status, 'started');
  assert.equal('pendingReason' in startup.body, false);
  readiness.setFailing('plugin-reload', false);
  assert.equal((await get('/readyz')).status, 200);

  // Draining: liveness holds, readiness and start-up report it.
  readiness.startDraining();
  assert.equal((await get('/healthz')).status, 200);
  ready = await get('/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.ready, false);
  assert.deepEqual(ready.body.failing, ['gateway-draining']);
  startup = await get('/startup');
  assert.equal(startup.status, 503);
  assert.equal(startup.body.ok, false);
  assert.equal(startup.body.status, 'draining');
});

/** Calls the router with a request that appears to come from `remoteAddress`. */
function callRouter(
  ctx: GatewayContext,
  path: string,
  remoteAddress: string,
  headers: Record<string, string> = {},
) {
  const req = { url: path, method: 'GET', headers, socket: { remoteAddress } } as unknown as IncomingMessage;
  const out: { status?: number; body?: string } = {};
  const res = {
    req,
    headersSent: false,
    writeHead(status: number) {
      out.status = status;
      return this;
    },
    end(body?: string) {
      out.body = body;
    },
  } as unknown as ServerResponse;
  handleHttpRequest(ctx, req, res);
  return { status: out.status, body: JSON.parse(out.body ?? 'null') as Record<string, unknown> };
}

test('remote callers learn only {ready} from /readyz unless they present the bearer secret', () => {
  const readiness = new Readiness();
  readiness.markStarted();
  const ctx = fakeContext(readiness);
  assert.deepEqual(callRouter(ctx, '/readyz', '203.0.113.7'), { status: 200, body: { ready: true } });
  assert.deepEqual(callRouter(ctx, '/readyz', '203.0.113.7', { authorization: 'Bearer wrong-secret' }).body, {
    ready: true,
  });
  const authed = callRouter(ctx, '/readyz', '203.0.113.7', { authorization: `Bearer ${TEST_TOKEN}` });
  assert.deepEqual(Object.keys(authed.body).sort(), ['eventLoop', 'failing', 'ready', 'uptimeMs']);
  const local = callRouter(ctx, '/readyz', '::ffff:127.0.0.1');
  assert.deepEqual(local.body.failing, []);
  readiness.setFailing('state-database', true);
  assert.deepEqual(callRouter(ctx, '/readyz', '198.51.100.1'), { status: 503, body: { ready: false } });
});
