import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { READ } from '../../../src/server/authz/access.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { handlesLeftBy } from '../../helpers/handles.ts';
import { connectClient, RawClient } from '../../helpers/raw-client.ts';

const PING_TOKEN = 'ping-test-token-0123456789';

/** A gateway with these ping limits, a client that answers pings and one that never does. */
async function pingedPair(t: TestContext, limits: { pingIntervalMs: number; pongTimeoutMs: number }) {
  const gw = await startTestGateway({ config: { gateway: { auth: { token: PING_TOKEN }, limits } } });
  t.after(() => gw.close());
  const { client: healthy } = await connectClient(gw.url, PING_TOKEN);
  t.after(() => healthy.close());
  // This client reads everything but never answers a ping.
  const { client: silent, hello } = await connectClient(gw.url, PING_TOKEN, {}, { autoPong: false });
  t.after(() => silent.close());
  assert.equal(hello.ok, true);
  return { healthy, silent };
}

test('a socket that does not answer a ping within pongTimeoutMs is terminated by the sweep; one that answers stays', async (t) => {
  // The pong wait is several ping intervals: the answering client is pinged again meanwhile.
  const { healthy, silent } = await pingedPair(t, { pingIntervalMs: 50, pongTimeoutMs: 300 });
  const closed = await silent.closed;
  const closedAt = performance.now();
  // Terminated without a close frame (1006), once pongTimeoutMs had passed since its only ping.
  assert.equal(closed.code, 1006);
  assert.equal(silent.pings.length, 1, 'an unanswered ping is not repeated');
  const waited = closedAt - (silent.pings[0] ?? closedAt);
  assert.ok(waited >= 290, `terminated ${waited.toFixed(0)} ms after its ping`);
  assert.ok(healthy.pings.length >= 2, `the answering client was pinged ${healthy.pings.length} times`);
  const res = await healthy.request('health');
  assert.equal(res.ok, true, 'a client that answers pings is kept');
});

test('a pongTimeoutMs shorter than the ping interval ends a silent socket long before the next ping round', async (t) => {
  // Only the silent socket's timing is asserted: an answering client would itself be cut by an event-loop stall
  // longer than so short a pong wait, and this suite runs on loaded machines.
  const { silent } = await pingedPair(t, { pingIntervalMs: 600, pongTimeoutMs: 30 });
  const closed = await silent.closed;
  const waited = performance.now() - (silent.pings[0] ?? 0);
  assert.equal(closed.code, 1006);
  assert.equal(silent.pings.length, 1);
  assert.ok(waited < 600, `terminated ${waited.toFixed(0)} ms after its ping, not at the next round`);
});

test('close() clears every timer and closes every socket and server the gateway made', async () => {
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({
      config: { gateway: { auth: { token: 'handle-test-token-012345' } } },
    });
    const client = new RawClient(gw.url);
    await client.challenge();
    client.send({
      type: 'req',
      id: 'c',
      method: 'connect',
      params: {
        minProtocol: 4,
        maxProtocol: 4,
        client: { id: 'gateway-client', version: '1', platform: 'linux', mode: 'backend' },
        scopes: ['operator.read'],
        auth: { token: 'handle-test-token-012345' },
      },
    });
    const hello = await client.response('c');
    assert.equal(hello.ok, true, JSON.stringify(hello.error));
    assert.equal((await client.request('health')).ok, true);
    await gw.close();
    await client.closed;
  });
  assert.deepEqual(left, []);
});

test('a start-up that cannot listen (port taken) leaves no timer or socket behind', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const { port } = taken.address() as AddressInfo;
  const left = await handlesLeftBy(async () => {
    await assert.rejects(startTestGateway({ overrides: { port } }), /EADDRINUSE|in use/);
  });
  assert.deepEqual(left, []);
});

test('a plugin name that clashes with the core stops start-up after listen, naming it, and leaves nothing open', async () => {
  const rogue = { id: 'rogue', methods: { 'config.get': { access: READ, handler: () => ({}) } } };
  const left = await handlesLeftBy(async () => {
    await assert.rejects(
      startTestGateway({ modules: [rogue] }),
      /rogue: gateway method config.get is registered twice/,
    );
  });
  assert.deepEqual(left, []);
});

test('a slowloris upgrade (headers never finished) is cut off after the handshake timeout', async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: { auth: { token: 'slow-test-token-0123456789' }, limits: { handshakeTimeoutMs: 300 } },
    },
  });
  t.after(() => gw.close());
  const socket = connect(gw.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
  const started = performance.now();
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 3_000, `closed after ${elapsed.toFixed(0)} ms`);
});

test('closing the gateway with upgrades still queued closes their sockets too', async () => {
  const sockets: Socket[] = [];
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({
      config: { gateway: { limits: { maxPreauthConnectionsPerIp: 500, preauthSliceMs: 1 } } },
    });
    const firstAnswer = new Promise<void>((resolve) => {
      for (let i = 0; i < 200; i++) {
        const socket = connect(gw.port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.once('data', () => {
          resolve();
          // Upgraded, it answers the shutdown close frame by hanging up, as a client would, so close() need not
          // sit out its grace period; the queued ones never hear from the gateway but are destroyed by it.
          socket.once('data', () => socket.end());
        });
        socket.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
        sockets.push(socket);
      }
    });
    // Upgrades are completed a 1 ms slice at a time: when the first 101 arrives, most still wait in the queue.
    await firstAnswer;
    await gw.close();
    await Promise.all(
      sockets.map((socket) =>
        socket.closed || socket.destroyed
          ? undefined
          : new Promise((resolve) => socket.once('close', resolve)),
      ),
    );
  });
  assert.deepEqual(left, []);
  assert.ok(sockets.every((socket) => socket.destroyed));
});
