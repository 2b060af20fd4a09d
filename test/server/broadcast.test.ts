import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { HealthState } from '../../src/health/health-state.ts';
import { InProcessBroadcast, SNAPSHOT_SLICE_BYTES } from '../../src/server/broadcast.ts';
import { CORE_MODULES } from '../../src/server/core-modules.ts';
import { GatewayRegistry } from '../../src/server/registry.ts';
import { serverModule } from '../../src/server/server-module.ts';
import type { GatewayWsClient } from '../../src/server/ws/client.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

// ---------------------------------------------------------------------------------------------------------------
// Unit: InProcessBroadcast with fake clients
// ---------------------------------------------------------------------------------------------------------------

const OPEN = 1;
const CLOSING = 2;

type FakeWs = {
  readyState: number;
  bufferedAmount: number;
  sent: string[];
  send(text: string): void;
  close(code?: number, reason?: string): void;
  closes: { code?: number; reason?: string }[];
};

type FakeClient = {
  authenticated: boolean;
  closed: boolean;
  scopes: ReadonlySet<string>;
  seq: number;
  ws: FakeWs;
};

function fakeClient(scopes: string[], init: Partial<Pick<FakeClient, 'authenticated' | 'closed'>> = {}) {
  const ws: FakeWs = {
    readyState: OPEN,
    bufferedAmount: 0,
    sent: [],
    closes: [],
    send(text) {
      this.sent.push(text);
    },
    close(code, reason) {
      this.closes.push({ code, reason });
      this.readyState = CLOSING;
    },
  };
  const client: FakeClient = {
    authenticated: init.authenticated ?? true,
    closed: init.closed ?? false,
    scopes: new Set(scopes),
    seq: 0,
    ws,
  };
  return client;
}

function asClient(client: FakeClient): GatewayWsClient {
  return client as unknown as GatewayWsClient;
}

function parsed(client: FakeClient): Frame[] {
  return client.ws.sent.map((text) => JSON.parse(text) as Frame);
}

function harness(
  t: { after(fn: () => void): void },
  clients: FakeClient[],
  options: { maxBufferedBytes?: number } = {},
) {
  const health = new HealthState();
  t.after(() => health.close());
  const set = new Set(clients.map(asClient));
  const slow: GatewayWsClient[] = [];
  let limit = options.maxBufferedBytes ?? 1024;
  // The real registrations (exec.approval.requested, the approvals-scoped event, among them).
  const registry = new GatewayRegistry();
  registry.register(serverModule());
  for (const module of CORE_MODULES) registry.register(module);
  const unregistered: string[] = [];
  const bus = new InProcessBroadcast({
    clients: set,
    health,
    registry,
    onUnregistered: (event) => {
      unregistered.push(event);
      throw new Error(`event ${event} is not registered`);
    },
    maxBufferedBytes: () => limit,
    onSlowConsumer: (client) => {
      slow.push(client);
      client.ws.close(1008, 'slow consumer');
    },
  });
  return {
    bus,
    health,
    unregistered,
    slow,
    set,
    setLimit(value: number) {
      limit = value;
    },
  };
}

test('unit: every addressed event takes the next per-client seq, from 1', (t) => {
  const a = fakeClient(['operator.admin']);
  const b = fakeClient(['operator.read']);
  const { bus } = harness(t, [a, b]);
  bus.broadcast('tick', { ts: 1 });
  bus.broadcast('presence', { presence: [] });
  bus.broadcast('tick', { ts: 2 });
  for (const client of [a, b]) {
    const frames = parsed(client);
    assert.deepEqual(
      frames.map((f) => [f.event, f.seq]),
      [
        ['tick', 1],
        ['presence', 2],
        ['tick', 3],
      ],
    );
    assert.equal(client.seq, 3);
    assert.deepEqual(frames[0], { type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1 });
  }
});

test('unit: a frame is serialized once per broadcast; clients differ only in seq', (t) => {
  const clients = [1, 2, 3, 4, 5].map(() => fakeClient(['operator.read']));
  // Client 0 is one event ahead, so the same broadcast carries a different seq for it.
  const { bus } = harness(t, clients);
  bus.send(asClient(clients[0]!), 'tick', { ts: 0 });
  let serializations = 0;
  const payload = {
    toJSON() {
      serializations += 1;
      return { presence: [{ ts: 5, text: 'x' }] };
    },
  };
  bus.broadcast('presence', payload);
  assert.equal(serializations, 1, 'payload serialized once for five clients');
  const frames = clients.map((client) => client.ws.sent.at(-1)!);
  assert.equal(
    frames[0],
    '{"type":"event","event":"presence","payload":{"presence":[{"ts":5,"text":"x"}]},"stateVersion":{"presence":1,"health":1},"seq":2}',
  );
  for (const frame of frames.slice(1)) {
    assert.equal(
      frame,
      '{"type":"event","event":"presence","payload":{"presence":[{"ts":5,"text":"x"}]},"stateVersion":{"presence":1,"health":1},"seq":1}',
    );
  }
  // Nobody in scope → nothing serialized at all.
  const scopeless = fakeClient([]);
  const lone = harness(t, [scopeless]);
  lone.bus.broadcast('presence', payload);
  assert.equal(serializations, 1);
  assert.deepEqual(scopeless.ws.sent, []);
});

test('unit: reaches() says whether broadcast() would address anyone: same auth, scope and filter rules', (t) => {
  const reader = fakeClient(['operator.read']);
  const pending = fakeClient(['operator.admin'], { authenticated: false });
  const gone = fakeClient(['operator.admin'], { closed: true });
  const { bus, unregistered } = harness(t, [reader, pending, gone]);
  assert.equal(bus.reaches('tick'), true);
  // Only the unauthenticated and the closed client hold the scope.
  assert.equal(bus.reaches('exec.approval.requested'), false);
  assert.equal(bus.reaches('tick', { filter: () => false }), false);
  assert.equal(bus.reaches('tick', { filter: (client) => client === asClient(reader) }), true);
  // An undeclared event is as loud here as in broadcast().
  assert.throws(() => bus.reaches('no.such.event'), /no\.such\.event is not registered/);
  assert.deepEqual(unregistered, ['no.such.event']);
  // Asking sends nothing and takes no seq.
  assert.deepEqual(reader.ws.sent, []);
  assert.equal(reader.seq, 0);
});

test('unit: scope filtering takes no seq from clients outside the audience', (t) => {
  const admin = fakeClient(['operator.admin']);
  const reader = fakeClient(['operator.read']);
  const writer = fakeClient(['operator.write']);
  const none = fakeClient([]);
  const approver = fakeClient(['operator.approvals']);
  const pairer = fakeClient(['operator.pairing']);
  const all = [admin, reader, writer, none, approver, pairer];
  const { bus, unregistered } = harness(t, all);

  bus.broadcast('presence', { presence: [] });
  bus.broadcast('health', { ok: true });
  bus.broadcast('exec.approval.requested', { id: 'a1' });
  bus.broadcast('device.pair.requested', { requestId: 'p1' });
  // An event nobody declared is refused loudly (here: the development policy, a throw), never sent.
  assert.throws(() => bus.broadcast('no.such.event', { x: 1 }), /no\.such\.event is not registered/);
  assert.deepEqual(unregistered, ['no.such.event']);
  bus.broadcast('tick', { ts: 1 });
  bus.broadcast('shutdown', { reason: 'x' });

  const seen = (client: FakeClient) => parsed(client).map((f) => `${f.event}#${f.seq}`);
  assert.deepEqual(seen(admin), [
    'presence#1',
    'health#2',
    'exec.approval.requested#3',
    'device.pair.requested#4',
    'tick#5',
    'shutdown#6',
  ]);
  assert.deepEqual(seen(reader), ['presence#1', 'health#2', 'tick#3', 'shutdown#4']);
  assert.deepEqual(seen(writer), ['presence#1', 'health#2', 'tick#3', 'shutdown#4']);
  assert.deepEqual(seen(none), ['health#1', 'tick#2', 'shutdown#3']);
  assert.deepEqual(seen(approver), ['health#1', 'exec.approval.requested#2', 'tick#3', 'shutdown#4']);
  assert.deepEqual(seen(pairer), ['health#1', 'device.pair.requested#2', 'tick#3', 'shutdown#4']);
});

test('unit: unauthenticated, closed and non-open sockets get nothing and keep their seq', (t) => {
  const pending = fakeClient(['operator.admin'], { authenticated: false });
  const closed = fakeClient(['operator.admin'], { closed: true });
  const closing = fakeClient(['operator.admin']);
  closing.ws.readyState = CLOSING;
  const live = fakeClient(['operator.admin']);
  const { bus } = harness(t, [pending, closed, closing, live]);
  bus.broadcast('tick', { ts: 1 });
  for (const client of [pending, closed, closing]) {
    bus.send(asClient(client), 'tick', { ts: 2 });
    assert.deepEqual(client.ws.sent, []);
    assert.equal(client.seq, 0);
  }
  assert.equal(live.seq, 1);
});

test('unit: the filter option narrows the audience without consuming seq', (t) => {
  const a = fakeClient(['operator.read']);
  const b = fakeClient(['operator.read']);
  const { bus } = harness(t, [a, b]);
  bus.broadcast('sessions.changed', { k: 1 }, { filter: (client) => client === asClient(a) });
  bus.broadcast('tick', { ts: 1 });
  assert.deepEqual(
    parsed(a).map((f) => [f.event, f.seq]),
    [
      ['sessions.changed', 1],
      ['tick', 2],
    ],
  );
  assert.deepEqual(
    parsed(b).map((f) => [f.event, f.seq]),
    [['tick', 1]],
  );
});

test('unit: stateVersion is carried by the events declared with it, with the counters at broadcast time', (t) => {
  const a = fakeClient(['operator.read']);
  const { bus, health } = harness(t, [a]);
  bus.broadcast('tick', { ts: 1 });
  health.bumpPresence();
  bus.broadcast('presence', { presence: [] });
  health.bumpHealth();
  health.bumpHealth();
  bus.send(asClient(a), 'health', { ok: true });
  const frames = parsed(a);
  assert.equal('stateVersion' in frames[0]!, false);
  assert.deepEqual(frames[1]!.stateVersion, { presence: 2, health: 1 });
  assert.deepEqual(frames[2]!.stateVersion, { presence: 2, health: 3 });
  assert.deepEqual(
    frames.map((f) => f.seq),
    [1, 2, 3],
  );
});

test('unit: a droppable event skips a slow client but uses its seq; the next event shows the gap', (t) => {
  const slow = fakeClient(['operator.read']);
  const fast = fakeClient(['operator.read']);
  const { bus, slow: slowCalls } = harness(t, [slow, fast], { maxBufferedBytes: 100 });

  bus.broadcast('presence', { n: 1 });
  slow.ws.bufferedAmount = 101;
  bus.broadcast('presence', { n: 2 });
  bus.broadcast('tick', { ts: 1 });
  slow.ws.bufferedAmount = 100; // at the limit is not over it
  bus.broadcast('presence', { n: 3 });

  assert.deepEqual(slowCalls, []);
  assert.deepEqual(slow.ws.closes, []);
  assert.deepEqual(
    parsed(slow).map((f) => [f.event, f.seq]),
    [
      ['presence', 1],
      ['presence', 4],
    ],
  );
  assert.deepEqual(
    parsed(fast).map((f) => f.seq),
    [1, 2, 3, 4],
  );
});

test('unit: a non-droppable event to a slow client calls the slow-consumer hook instead of sending', (t) => {
  const slow = fakeClient(['operator.read']);
  const fast = fakeClient(['operator.read']);
  const h = harness(t, [slow, fast], { maxBufferedBytes: 10 });
  slow.ws.bufferedAmount = 11;
  h.bus.broadcast('config.changed', { hash: 'h' });
  assert.deepEqual(h.slow, [asClient(slow)]);
  assert.deepEqual(slow.ws.sent, []);
  assert.equal(slow.seq, 1, 'the seq is spent even though nothing was sent');
  assert.deepEqual(slow.ws.closes, [{ code: 1008, reason: 'slow consumer' }]);
  assert.equal(parsed(fast)[0]!.event, 'config.changed');
  // Once closing, it is skipped without further callbacks or seq.
  h.bus.broadcast('shutdown', { reason: 'x' });
  assert.equal(h.slow.length, 1);
  assert.equal(slow.seq, 1);
  // A direct send obeys the same rule, and the limit is read per event.
  const other = fakeClient(['operator.read']);
  other.ws.bufferedAmount = 11;
  h.bus.send(asClient(other), 'tick', { ts: 1 });
  assert.deepEqual(other.ws.sent, []);
  assert.equal(other.seq, 1);
  h.setLimit(1000);
  h.bus.send(asClient(other), 'tick', { ts: 2 });
  assert.deepEqual(
    parsed(other).map((f) => f.seq),
    [2],
  );
});

// ---------------------------------------------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------------------------------------------

type PresenceEntry = {
  ts: number;
  mode?: string;
  reason?: string;
  text?: string;
  host?: string;
  version?: string;
  platform?: string;
  instanceId?: string;
  roles?: string[];
  scopes?: string[];
};

type Snapshot = {
  presence: PresenceEntry[];
  health: { ok: boolean };
  stateVersion: { presence: number; health: number };
};

function numbered(client: RawClient): Frame[] {
  return client.frames.filter((f) => f.type === 'event' && f.event !== 'connect.challenge');
}

function seqs(client: RawClient): number[] {
  return numbered(client).map((f) => f.seq as number);
}

/** Resolves once `predicate` holds over the client's recorded frames (checked on each new frame). */
function until(client: RawClient, predicate: () => boolean, timeoutMs = 5_000): Promise<Frame> {
  return client.waitFor(() => predicate(), timeoutMs);
}

function snapshotOf(hello: Frame): Snapshot {
  return (hello.payload as { snapshot: Snapshot }).snapshot;
}

function presenceOf(frame: Frame): PresenceEntry[] {
  return (frame.payload as { presence: PresenceEntry[] }).presence;
}

/** A loopback backend client: keeps its admin scope and, as on OpenClaw, stays out of presence. */
async function admin(t: { after(fn: () => void): void }, gw: TestGateway) {
  const { client, hello } = await connectClient(gw.url, gw.token, {
    client: { id: 'gateway-client', mode: 'backend' },
  });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return { client, hello };
}

/** A browser-style client with the token but no device: accepted with no scopes. */
async function webchat(t: { after(fn: () => void): void }, gw: TestGateway, instanceId: string) {
  const { client, hello } = await connectClient(gw.url, gw.token, {
    client: { id: 'webchat', mode: 'webchat', instanceId, version: '9.9.9', platform: 'web' },
  });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  assert.deepEqual((hello.payload as { auth: { scopes: string[] } }).auth.scopes, []);
  return { client, hello };
}

function assertContiguous(list: number[]): void {
  assert.deepEqual(
    list,
    list.map((_, i) => i + 1),
    `seq must run 1..${list.length} without gaps: ${list.join(',')}`,
  );
}

test('e2e: seq starts at 1 after hello and stays contiguous across ticks, presence and system events', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { tickIntervalMs: 50 } } } });
  t.after(() => gw.close());
  const { client: a } = await admin(t, gw);
  const challenge = a.frames[0]!;
  assert.equal(challenge.event, 'connect.challenge');
  assert.equal('seq' in challenge, false);

  const w1 = await webchat(t, gw, 'seq-w1');
  await a.waitFor((f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'seq-w1'));
  const mark = a.frames.length;
  w1.client.close();
  await a.waitFor(
    (f) =>
      f.event === 'presence' &&
      a.frames.indexOf(f) >= mark &&
      !presenceOf(f).some((e) => e.instanceId === 'seq-w1'),
  );
  for (const text of ['one', 'two', 'three']) {
    const res = await a.request('system-event', { text });
    assert.equal(res.ok, true, JSON.stringify(res.error));
  }
  await webchat(t, gw, 'seq-w2');
  await until(a, () => {
    const events = numbered(a);
    return (
      events.length >= 12 &&
      events.filter((f) => f.event === 'tick').length >= 3 &&
      events.some((f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'seq-w2'))
    );
  });
  const events = numbered(a);
  assert.equal(events[0]!.seq, 1);
  assertContiguous(seqs(a));
  const kinds = new Set(events.map((f) => f.event));
  assert.ok(kinds.has('tick') && kinds.has('presence'), [...kinds].join(','));
  // w1 in, w1 out, the system events (some may share a broadcast), w2 in.
  assert.ok(events.filter((f) => f.event === 'presence').length >= 4);
  for (const tick of events.filter((f) => f.event === 'tick')) {
    assert.equal(typeof (tick.payload as { ts: number }).ts, 'number');
    assert.equal('stateVersion' in tick, false);
  }
});

test('e2e: a scopeless client gets tick and health but not presence, and its seq has no gap', async (t) => {
  // Counts one presence event per connect and disconnect: coalescing off (presence.test.ts covers it).
  const gw = await startTestGateway({
    config: { gateway: { limits: { tickIntervalMs: 50, healthRefreshMs: 50, presenceCoalesceMs: 0 } } },
  });
  t.after(() => gw.close());
  const { client: w } = await webchat(t, gw, 'scopeless');
  const { client: a } = await admin(t, gw);
  const before = numbered(a).filter((f) => f.event === 'presence').length;
  for (const id of ['p1', 'p2', 'p3']) {
    const other = await webchat(t, gw, id);
    other.client.close();
  }
  await a.request('system-event', { text: 'while scopeless listens' });
  await until(a, () => numbered(a).filter((f) => f.event === 'presence').length >= before + 7);
  await until(w, () => {
    const events = numbered(w);
    return (
      events.length >= 8 && events.some((f) => f.event === 'tick') && events.some((f) => f.event === 'health')
    );
  });
  const events = numbered(w);
  assert.deepEqual(
    [...new Set(events.map((f) => f.event))].sort(),
    ['health', 'tick'],
    'only public events reach a client without scopes',
  );
  assertContiguous(seqs(w));
  assertContiguous(seqs(a));
  // The presence requests a scopeless client may not make either.
  const denied = await w.request('system-presence');
  assert.equal(denied.ok, false);
  assert.equal(denied.error?.code, 'FORBIDDEN');
  assert.equal(denied.error?.message, 'missing scope: operator.read');
  assert.deepEqual(denied.error?.details, {
    code: 'MISSING_SCOPE',
    missingScope: 'operator.read',
    requiredScopes: ['operator.read'],
  });
});

test('e2e: two clients get byte-identical frames apart from seq', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: a } = await admin(t, gw);
  await webchat(t, gw, 'between');
  await a.waitFor((f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'between'));
  const { client: b } = await admin(t, gw);
  const raw = new Map<RawClient, string[]>([
    [a, []],
    [b, []],
  ]);
  for (const [client, list] of raw) client.ws.on('message', (data) => list.push(data.toString()));
  const res = await a.request('system-event', { text: 'same bytes', instanceId: 'same-bytes' });
  assert.equal(res.ok, true);
  await b.waitFor((f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'same-bytes'));
  const frameOf = (client: RawClient) => raw.get(client)!.find((text) => text.includes('same-bytes'))!;
  const fa = frameOf(a);
  const fb = frameOf(b);
  const strip = (text: string) => text.replace(/,"seq":\d+}$/, '}');
  assert.notEqual(
    JSON.parse(fa).seq,
    JSON.parse(fb).seq,
    'a saw a client connect before b did, so their counters differ',
  );
  assert.equal(strip(fa), strip(fb));
  assert.match(
    fa,
    /^\{"type":"event","event":"presence","payload":\{.*\},"stateVersion":\{.*\},"seq":\d+\}$/,
  );
});

test('e2e: stateVersion counters on presence, health and hello-ok snapshots', async (t) => {
  // A coalesced presence change bumps its version only when broadcast, up to a window later than a health
  // event; this test pins the counters one change at a time (presence.test.ts covers the coalesced case).
  const gw = await startTestGateway({
    config: { gateway: { limits: { healthRefreshMs: 50, presenceCoalesceMs: 0 } } },
  });
  t.after(() => gw.close());
  const { client: a, hello: helloA } = await admin(t, gw);
  const snapA = snapshotOf(helloA);
  assert.ok(snapA.stateVersion.presence >= 1 && snapA.stateVersion.health >= 1);

  const presenceEvents = () => numbered(a).filter((f) => f.event === 'presence');
  const lastPresence = () => presenceEvents().at(-1)?.stateVersion?.presence ?? snapA.stateVersion.presence;

  const w1 = await webchat(t, gw, 'sv-w1');
  const joined = await a.waitFor(
    (f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'sv-w1'),
  );
  const v1 = joined.stateVersion!.presence;

  // A connecting client's snapshot carries the counters as they stood when it was admitted...
  const { client: w2, hello: hello2 } = await webchat(t, gw, 'sv-w2');
  const snap2 = snapshotOf(hello2);
  assert.equal(snap2.stateVersion.presence, v1);
  assert.ok(snap2.presence.some((e) => e.instanceId === 'sv-w1'));
  assert.ok(!snap2.presence.some((e) => e.instanceId === 'sv-w2'));
  // ...and its own arrival is the next presence version the others see.
  const joined2 = await a.waitFor(
    (f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'sv-w2'),
  );
  assert.equal(joined2.stateVersion!.presence, v1 + 1);

  // Its first health event is exactly one health version past its snapshot.
  const firstHealth = await w2.event('health');
  assert.equal(firstHealth.stateVersion!.health, snap2.stateVersion.health + 1);
  assert.equal(firstHealth.stateVersion!.presence >= v1 + 1, true);
  assert.equal((firstHealth.payload as { ok: boolean }).ok, true);

  w1.client.close();
  const left = await a.waitFor(
    (f) =>
      f.event === 'presence' &&
      (f.stateVersion?.presence ?? 0) > v1 + 1 &&
      !presenceOf(f).some((e) => e.instanceId === 'sv-w1'),
  );
  assert.equal(left.stateVersion!.presence, v1 + 2);
  assert.equal(lastPresence(), v1 + 2);

  // Every presence event is one version past the previous, and health versions climb by one per refresh.
  await until(a, () => numbered(a).filter((f) => f.event === 'health').length >= 3);
  const pv = presenceEvents().map((f) => f.stateVersion!.presence);
  assert.deepEqual(
    pv,
    pv.map((_, i) => pv[0]! + i),
  );
  const hv = numbered(a)
    .filter((f) => f.event === 'health')
    .map((f) => f.stateVersion!.health);
  assert.deepEqual(
    hv,
    hv.map((_, i) => hv[0]! + i),
  );
  assert.ok(hv[0]! > snapA.stateVersion.health);
  assertContiguous(seqs(a));
  assertContiguous(seqs(w2));
});

test('e2e: presence lists the gateway and connected clients; disconnect and system-event update it', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: a, hello } = await admin(t, gw);
  const payload = hello.payload as { server: { version: string }; snapshot: Snapshot };
  const self = payload.snapshot.presence.filter((e) => e.mode === 'gateway');
  assert.equal(self.length, 1);
  assert.equal(self[0]!.reason, 'self');
  assert.equal(self[0]!.version, payload.server.version);
  assert.equal(typeof self[0]!.ts, 'number');
  assert.match(self[0]!.text ?? '', /^Gateway: .* · reason self$/);

  const { client: w } = await webchat(t, gw, 'tab-1');
  await a.waitFor((f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'tab-1'));
  const list = await a.request('system-presence');
  assert.equal(list.ok, true);
  assert.ok(Array.isArray(list.payload), 'system-presence answers a top-level array');
  const entries = list.payload as PresenceEntry[];
  assert.equal(entries.filter((e) => e.mode === 'gateway' && e.reason === 'self').length, 1);
  const tab = entries.find((e) => e.instanceId === 'tab-1');
  assert.ok(tab, JSON.stringify(entries));
  assert.equal(tab.reason, 'connect');
  assert.equal(tab.mode, 'webchat');
  assert.equal(tab.version, '9.9.9');
  assert.equal(tab.platform, 'web');
  assert.deepEqual(tab.roles, ['operator']);
  assert.deepEqual(tab.scopes, []);

  // Disconnect: the entry goes and everyone in scope hears about it.
  const mark = a.frames.length;
  w.close();
  const gone = await a.waitFor(
    (f) =>
      f.event === 'presence' &&
      a.frames.indexOf(f) >= mark &&
      !presenceOf(f).some((e) => e.instanceId === 'tab-1'),
  );
  assert.ok(presenceOf(gone).some((e) => e.mode === 'gateway'));
  const after = (await a.request('system-presence')).payload as PresenceEntry[];
  assert.equal(
    after.some((e) => e.instanceId === 'tab-1'),
    false,
  );

  // system-event: bare text becomes an entry with exactly that text; a host-identified one is prefixed.
  const res = await a.request('system-event', { text: 'build finished' });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.deepEqual(res.payload, { ok: true });
  const announced = await a.waitFor(
    (f) => f.event === 'presence' && presenceOf(f).some((e) => e.text === 'build finished'),
  );
  assert.ok(announced.stateVersion);
  const res2 = await a.request('system-event', {
    text: 'idle',
    instanceId: 'mac-1',
    host: 'studio',
    mode: 'ui',
    lastInputSeconds: 5,
  });
  assert.equal(res2.ok, true, JSON.stringify(res2.error));
  const now = (await a.request('system-presence')).payload as PresenceEntry[];
  assert.ok(now.some((e) => e.text === 'build finished'));
  const mac = now.find((e) => e.instanceId === 'mac-1');
  assert.ok(mac);
  assert.equal(mac.host, 'studio');
  assert.match(mac.text ?? '', /studio.* · idle$/);
  // A repeated report from the same instance replaces its entry.
  await a.request('system-event', { text: 'active', instanceId: 'mac-1', host: 'studio' });
  const again = (await a.request('system-presence')).payload as PresenceEntry[];
  assert.equal(again.filter((e) => e.instanceId === 'mac-1').length, 1);
  assert.match(again.find((e) => e.instanceId === 'mac-1')!.text ?? '', / · active$/);

  // system-event is admin-only.
  const { client: w2 } = await webchat(t, gw, 'tab-2');
  const denied = await w2.request('system-event', { text: 'nope' });
  assert.equal(denied.error?.code, 'FORBIDDEN');
  assert.equal(denied.error?.message, 'missing scope: operator.admin');
  assert.deepEqual(denied.error?.details, {
    code: 'MISSING_SCOPE',
    missingScope: 'operator.admin',
    requiredScopes: ['operator.admin'],
  });
});

test('e2e: shutdown reaches every client as the next numbered event, then close 1012', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: a } = await admin(t, gw);
  const { client: w } = await webchat(t, gw, 'shutdown-tab');
  await a.waitFor(
    (f) => f.event === 'presence' && presenceOf(f).some((e) => e.instanceId === 'shutdown-tab'),
  );
  const closing = gw.close();
  const [closedA, closedW] = await Promise.all([a.closed, w.closed]);
  await closing;
  for (const [client, closed] of [
    [a, closedA],
    [w, closedW],
  ] as const) {
    assert.deepEqual(closed, { code: 1012, reason: 'service restart' });
    const events = numbered(client);
    const last = events.at(-1)!;
    assert.equal(last.event, 'shutdown');
    assert.deepEqual(last.payload, { reason: 'gateway stopping' });
    assertContiguous(seqs(client));
  }
  assert.equal(numbered(w).length, 1, 'the scopeless client saw only the shutdown');
});

/**
 * An upper bound on what the kernel can hold for one loopback connection (the sender's send buffer plus the
 * receiver's receive buffer). Past it, writes to a client that does not read stay in the gateway's user-space
 * buffer, which is what `bufferedAmount` measures.
 */
function kernelBufferBound(): number {
  const maxOf = (path: string, field: number) => {
    try {
      const parts = readFileSync(path, 'utf8').trim().split(/\s+/);
      return Number(parts[field] ?? parts[0]) || 0;
    } catch {
      return 0;
    }
  };
  const rcv = Math.max(maxOf('/proc/sys/net/ipv4/tcp_rmem', 2), maxOf('/proc/sys/net/core/rmem_max', 0));
  const snd = Math.max(maxOf('/proc/sys/net/ipv4/tcp_wmem', 2), maxOf('/proc/sys/net/core/wmem_max', 0));
  const sum = rcv + snd;
  return sum > 0 ? sum : 64 * 1024 * 1024;
}

function rawSocket(client: RawClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/**
 * Strips a RawClient down for bulk traffic: big frames are not parsed (they are the flood it causes itself),
 * and requests are sent pre-serialized. Resolves each request with its small `res` frame.
 */
function bulkSender(client: RawClient) {
  const ws = client.ws;
  ws.removeAllListeners('message');
  const waiting = new Map<string, (frame: Frame) => void>();
  const events: Frame[] = [];
  const eventSeqs: number[] = [];
  ws.on('message', (data: Buffer) => {
    if (data.length > 64 * 1024) {
      const tail = /"seq":(\d+)\}$/.exec(data.subarray(-32).toString());
      if (tail) eventSeqs.push(Number(tail[1]));
      return;
    }
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type === 'event') {
      events.push(frame);
      eventSeqs.push(frame.seq as number);
    }
    if (frame.type === 'res' && frame.id !== undefined) waiting.get(frame.id)?.(frame);
  });
  let ids = 0;
  return {
    events,
    eventSeqs,
    request(method: string, params: unknown, rawParams?: string): Promise<Frame> {
      const id = `bulk${++ids}`;
      const body = rawParams ?? JSON.stringify(params);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), 20_000);
        waiting.set(id, (frame) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(frame);
        });
        ws.send(`{"type":"req","id":"${id}","method":"${method}","params":${body}}`);
      });
    },
  };
}

test('e2e: a client that stops reading loses droppable events (seq gap) and is closed 1008 on a non-droppable one', async (t) => {
  // Coalescing off, so p's own connect is broadcast before its first answer rather than during the flood.
  const gw = await startTestGateway({
    config: { gateway: { limits: { maxBufferedBytes: 1, presenceCoalesceMs: 0 } } },
  });
  t.after(() => gw.close());
  const { client: a } = await admin(t, gw);
  const sender = bulkSender(a);
  const { client: p } = await admin(t, gw);
  // Anything the connect itself broadcast has been written before this answer.
  assert.equal((await p.request('health')).ok, true);
  const base = Math.max(0, ...seqs(p));

  // Enough presence traffic to fill any kernel buffering, so the rest waits in the gateway's own buffer.
  const chunk = 4 * 1024 * 1024;
  const rounds = Math.ceil(kernelBufferBound() / chunk) + 2;
  const bigParams = JSON.stringify({ text: 'x'.repeat(chunk), instanceId: 'flood' });
  const flood = async () => {
    for (let i = 0; i < rounds; i++) {
      const res = await sender.request('system-event', undefined, bigParams);
      assert.equal(res.ok, true, JSON.stringify(res.error));
    }
  };

  // Phase 1: droppable events only. p stays open, and after draining sees the numbers it missed.
  rawSocket(p).pause();
  await flood();
  rawSocket(p).resume();
  assert.equal((await p.request('health', undefined, 20_000)).ok, true);
  const marker = await sender.request('system-event', { text: 'marker', instanceId: 'flood' });
  assert.equal(marker.ok, true);
  const markerFrame = await p.waitFor(
    (f) => f.event === 'presence' && presenceOf(f).some((e) => e.text?.endsWith(' · marker')),
  );
  assert.equal(markerFrame.seq, base + rounds + 1, 'every presence broadcast took a number');
  const received = seqs(p).filter((s) => s > base && s < markerFrame.seq!);
  assert.ok(received.length < rounds, `some flood events were dropped (${received.length}/${rounds})`);
  assert.deepEqual(
    received,
    received.map((_, i) => base + 1 + i),
    'events are sent in order until the buffer is over the limit',
  );
  assert.ok(markerFrame.seq! > (received.at(-1) ?? base) + 1, 'the next delivered event shows the gap');

  // Phase 2: the same backlog, then a non-droppable event (config.changed) closes p with 1008.
  rawSocket(p).pause();
  await flood();
  const { hash } = (await sender.request('config.get', {})).payload as { hash: string };
  const patched = await sender.request('config.patch', {
    raw: JSON.stringify({ logging: { level: 'warn' } }),
    baseHash: hash,
  });
  assert.equal(patched.ok, true, JSON.stringify(patched.error));
  assert.ok(sender.events.some((f) => f.event === 'config.changed'));
  rawSocket(p).resume();
  assert.deepEqual(await p.closed, { code: 1008, reason: 'slow consumer' });
  assert.equal(
    p.frames.some((f) => f.event === 'config.changed'),
    false,
  );
  // The client that kept up is untouched, and its stream has no gap.
  assert.equal((await sender.request('health', {})).ok, true);
  const senderSeqs = sender.eventSeqs;
  assert.ok(senderSeqs.length >= 2 * rounds);
  assert.deepEqual(
    senderSeqs,
    senderSeqs.map((_, i) => senderSeqs[0]! + i),
  );
});

test('unit: the frames of one event-loop turn leave in one corked write per socket', async (t) => {
  const a = fakeClient(['operator.admin']);
  const log: string[] = [];
  (a.ws as unknown as { _socket: unknown })._socket = {
    cork: () => log.push('cork'),
    uncork: () => log.push('uncork'),
  };
  const original = a.ws.send.bind(a.ws);
  a.ws.send = (text: string) => {
    log.push('send');
    original(text);
  };
  const { bus } = harness(t, [a]);
  bus.broadcast('tick', { ts: 1 });
  bus.broadcast('tick', { ts: 2 });
  // Later ticks and microtasks of the same loop turn (other sockets' reads, other turns' steps) join the write.
  await new Promise((resolve) => process.nextTick(resolve));
  await Promise.resolve();
  bus.broadcast('health', { ok: true });
  assert.deepEqual(log, ['cork', 'send', 'send', 'send'], 'held until the loop turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(log, ['cork', 'send', 'send', 'send', 'uncork']);
  bus.broadcast('tick', { ts: 3 });
  assert.deepEqual(log.slice(5), ['cork', 'send'], 'the next turn corks again');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log.at(-1), 'uncork');
});

test('unit: a snapshot broadcast goes out a slice per event-loop turn; a newer one takes over the unsent readers', async (t) => {
  const readers = Array.from({ length: 400 }, () => fakeClient(['operator.read']));
  const cli = fakeClient([]);
  const { bus } = harness(t, [...readers, cli]);
  // ~10 KB a frame, 400 readers: about twice SNAPSHOT_SLICE_BYTES in all.
  const list = (tag: string) => ({ presence: [{ text: tag.repeat(10_000), ts: 1 }] });
  const frameBytes = JSON.stringify(list('a')).length;
  const bytes = bus.broadcastSnapshot('presence', list('a'));
  assert.ok(bytes >= frameBytes * 400, `all 400 readers counted (${bytes} bytes)`);
  const sentNow = readers.filter((r) => r.ws.sent.length === 1).length;
  assert.ok(sentNow > 0 && sentNow < 400, `the first slice only (${sentNow} of 400)`);
  // Head and seq add a few dozen bytes to the payload's.
  assert.ok(sentNow >= Math.floor(SNAPSHOT_SLICE_BYTES / (frameBytes + 100)), `${sentNow} fill a slice`);
  assert.equal(cli.ws.sent.length, 0, 'no reader scope: none');

  // Before the next slice, a newer list: the rest get only it, those served already get it after the older one.
  bus.broadcastSnapshot('presence', list('b'));
  for (
    let turns = 0;
    readers.some((r) => parsed(r).at(-1)?.payload === undefined || lastTag(r) !== 'b');
    turns++
  ) {
    assert.ok(turns < 10, 'delivered within a few turns');
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const [i, reader] of readers.entries()) {
    const tags = parsed(reader).map(
      (f) => (f.payload as { presence: { text: string }[] }).presence[0]!.text[0],
    );
    assert.deepEqual(tags, i < sentNow ? ['a', 'b'] : ['b'], `reader ${i}`);
    assert.deepEqual(
      parsed(reader).map((f) => f.seq),
      tags.map((_, n) => n + 1),
    );
  }
});

function lastTag(client: FakeClient): string | undefined {
  const payload = parsed(client).at(-1)?.payload as { presence: { text: string }[] } | undefined;
  return payload?.presence[0]?.text[0];
}

test('unit: close() drops the unsent rest of a snapshot broadcast', async (t) => {
  const readers = Array.from({ length: 400 }, () => fakeClient(['operator.read']));
  const { bus } = harness(t, readers);
  bus.broadcastSnapshot('presence', { presence: [{ text: 'x'.repeat(10_000), ts: 1 }] });
  const sentNow = readers.filter((r) => r.ws.sent.length === 1).length;
  bus.close();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(readers.filter((r) => r.ws.sent.length === 1).length, sentNow);
});
