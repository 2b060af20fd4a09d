import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { mock, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/config/limits.ts';
import { PresencePublisher } from '../../src/presence/presence-publisher.ts';
import { PRESENCE_WIRE_MAX } from '../../src/presence/presence-registry.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

// ---------------------------------------------------------------------------------------------------------------
// Unit: the coalescing window, on mocked timers
// ---------------------------------------------------------------------------------------------------------------

test('unit: leading broadcast, one trailing broadcast per window, 0 = one per change, close drops the pending one', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  let windowMs = 100;
  let sent = 0;
  const publisher = new PresencePublisher(
    () => windowMs,
    () => {
      sent += 1;
      return 0;
    },
  );

  publisher.changed();
  assert.equal(sent, 1, 'the first change after a quiet period goes at once');
  publisher.changed();
  publisher.changed();
  mock.timers.tick(99);
  assert.equal(sent, 1, 'changes within the window wait for its end');
  mock.timers.tick(1);
  assert.equal(sent, 2, 'and leave as one broadcast');
  publisher.changed();
  mock.timers.tick(99);
  assert.equal(sent, 2, 'the trailing broadcast opened a window of its own');
  mock.timers.tick(1);
  assert.equal(sent, 3);
  mock.timers.tick(100);
  assert.equal(sent, 3, 'a window without changes sends nothing');
  publisher.changed();
  assert.equal(sent, 4, 'after a quiet window the next change is a leading one again');

  publisher.changed();
  publisher.close();
  mock.timers.tick(1_000);
  publisher.changed();
  assert.equal(sent, 4, 'close() drops the pending broadcast and ignores later changes');

  windowMs = 0;
  const direct = new PresencePublisher(
    () => windowMs,
    () => {
      sent += 1;
      return 0;
    },
  );
  for (let i = 0; i < 5; i++) direct.changed();
  assert.equal(sent, 9, 'a window of 0 sends one broadcast per change');
  direct.close();

  // A broadcast that queued 2 s worth of the byte budget holds the next one back for 2 s, not one window.
  windowMs = 100;
  let paced = 0;
  const heavy = new PresencePublisher(
    () => windowMs,
    () => {
      paced += 1;
      return 2 * 1024 * 1024;
    },
    1024 * 1024,
  );
  heavy.changed();
  heavy.changed();
  mock.timers.tick(1_999);
  assert.equal(paced, 1, 'the window stretched to what the last broadcast cost');
  mock.timers.tick(1);
  assert.equal(paced, 2);
  heavy.close();
});

// ---------------------------------------------------------------------------------------------------------------
// End to end: a reader outside presence watches UI clients come and go
// ---------------------------------------------------------------------------------------------------------------

type PresenceEntry = { mode?: string; reason?: string; instanceId?: string; roles?: string[] };

function presenceOf(frame: Frame): PresenceEntry[] {
  return (frame.payload as { presence: PresenceEntry[] }).presence;
}

/** Instance ids of the clients a presence list names (the gateway's own entry left out). */
function clientIds(list: PresenceEntry[]): string[] {
  return list
    .filter((e) => e.mode !== 'gateway')
    .map((e) => e.instanceId ?? '')
    .sort();
}

function presenceFrames(client: RawClient, from = 0): Frame[] {
  return client.frames.slice(from).filter((f) => f.type === 'event' && f.event === 'presence');
}

/** A `cli` reader with `operator.read`: it receives presence events but is not in the list itself. */
async function reader(t: { after(fn: () => void): void }, gw: TestGateway) {
  const { client, hello } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const snapshot = (
    hello.payload as { snapshot: { presence: PresenceEntry[]; stateVersion: { presence: number } } }
  ).snapshot;
  assert.deepEqual(clientIds(snapshot.presence), [], 'a cli client is not in presence');
  return { client, version: snapshot.stateVersion.presence };
}

/** A UI client without a device: in presence (backends, CLI calls and probes are not, as on OpenClaw). */
async function uiClient(t: { after(fn: () => void): void }, gw: TestGateway, instanceId: string) {
  const { client, hello } = await connectClient(gw.url, gw.token, {
    client: { id: 'gateway-client', mode: 'ui', instanceId },
  });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`).sort();
}

/** Every presence event is one version past the previous one, starting one past the reader's snapshot. */
function assertConsecutiveVersions(frames: Frame[], snapshotVersion: number): void {
  const versions = frames.map((f) => f.stateVersion?.presence);
  assert.deepEqual(
    versions,
    versions.map((_, i) => snapshotVersion + 1 + i),
    `presence versions must climb by one per event: ${versions.join(',')}`,
  );
}

/**
 * Broadcasts are at least one window apart (a leading one needs a quiet window; a trailing one ends a window),
 * so a burst spanning `elapsedMs` can take the leading one, one per window it spans, and the trailing one.
 */
function burstBound(elapsedMs: number, windowMs: number): number {
  return 1 + Math.ceil(elapsedMs / windowMs) + 1;
}

test('a single UI connect is broadcast at once; the next one within the window is held back', async (t) => {
  // A window far longer than the test: if the leading edge waited for it, the first wait would time out.
  const gw = await startTestGateway({ config: { gateway: { limits: { presenceCoalesceMs: 60_000 } } } });
  t.after(() => gw.close());
  const { client: r, version } = await reader(t, gw);

  const started = performance.now();
  await uiClient(t, gw, 'solo');
  const frame = await r.waitFor(
    (f) => f.event === 'presence' && clientIds(presenceOf(f)).includes('solo'),
    2_000,
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2_000, `seen after ${elapsed.toFixed(0)} ms`);
  assert.equal(frame.stateVersion?.presence, version + 1);
  const list = presenceOf(frame);
  assert.equal(list.filter((e) => e.mode === 'gateway' && e.reason === 'self').length, 1);
  const solo = list.find((e) => e.instanceId === 'solo');
  assert.equal(solo?.mode, 'ui');
  assert.equal(solo?.reason, 'connect');
  assert.deepEqual(solo?.roles, ['operator']);

  // A second connect inside the window: the registry has it at once, the broadcast waits for the window's end.
  // The gateway writes any immediate broadcast before it reads r's next request, so r would see it first.
  await uiClient(t, gw, 'second');
  const listed = await r.request('system-presence');
  assert.equal(listed.ok, true, JSON.stringify(listed.error));
  assert.deepEqual(clientIds(listed.payload as PresenceEntry[]), ['second', 'solo']);
  assert.equal(presenceFrames(r).length, 1, 'the second connect was not broadcast within the window');
});

test('hello-ok carries the list of the last presence broadcast, with its version; the held-back change follows', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { presenceCoalesceMs: 60_000 } } } });
  t.after(() => gw.close());
  const { client: r, version } = await reader(t, gw);
  await uiClient(t, gw, 'solo');
  const first = await r.waitFor((f) => f.event === 'presence', 2_000);
  await uiClient(t, gw, 'second');

  // Within the window: 'second' is not broadcast yet, so a newcomer's snapshot is version + 1's list, not a list
  // with no version of its own (and the list is serialized once per broadcast, not once per connect).
  const { client: late, hello } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => late.close());
  const { snapshot } = hello.payload as {
    snapshot: { presence: PresenceEntry[]; stateVersion: { presence: number } };
  };
  assert.equal(snapshot.stateVersion.presence, version + 1);
  assert.deepEqual(snapshot.presence, presenceOf(first));
  assert.deepEqual(clientIds(snapshot.presence), ['solo']);
  const listed = await late.request('system-presence');
  assert.deepEqual(clientIds(listed.payload as PresenceEntry[]), ['second', 'solo'], 'system-presence: now');
});

test('a burst of 30 UI connects costs a few broadcasts, the last listing all of them', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const windowMs = DEFAULT_LIMITS.presenceCoalesceMs;
  assert.equal(windowMs, 250);
  const { client: r, version } = await reader(t, gw);
  const expected = ids('burst', 30);

  const started = performance.now();
  await Promise.all(expected.map((id) => uiClient(t, gw, id)));
  const last = await r.waitFor(
    (f) => f.event === 'presence' && clientIds(presenceOf(f)).length === expected.length,
    10_000,
  );
  const elapsed = performance.now() - started;

  const frames = presenceFrames(r);
  const bound = burstBound(elapsed, windowMs);
  assert.ok(
    frames.length >= 2 && frames.length <= bound && frames.length < expected.length,
    `${frames.length} presence events for ${expected.length} connects in ${elapsed.toFixed(0)} ms (bound ${bound})`,
  );
  assert.equal(frames.at(-1), last, 'nothing is broadcast after the list is complete');
  assert.deepEqual(clientIds(presenceOf(last)), expected);
  assert.equal(presenceOf(last).filter((e) => e.mode === 'gateway').length, 1);
  assertConsecutiveVersions(frames, version);
  // Each broadcast carries the list as it is when sent, so the lists only grow during a connect burst.
  const sizes = frames.map((f) => clientIds(presenceOf(f)).length);
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => a - b),
  );
  assert.equal(sizes[0], 1, 'the leading broadcast went out on the first connect');
});

test('presenceCoalesceMs 0: every connect is its own broadcast', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { limits: { presenceCoalesceMs: 0 } } } });
  t.after(() => gw.close());
  const { client: r, version } = await reader(t, gw);
  const expected = ids('each', 10);

  await Promise.all(expected.map((id) => uiClient(t, gw, id)));
  await r.waitFor(
    (f) => f.event === 'presence' && clientIds(presenceOf(f)).length === expected.length,
    5_000,
  );
  const frames = presenceFrames(r);
  assert.deepEqual(
    frames.map((f) => clientIds(presenceOf(f)).length),
    expected.map((_, i) => i + 1),
    'one broadcast per connect, each adding one entry',
  );
  assert.deepEqual(clientIds(presenceOf(frames.at(-1)!)), expected);
  assertConsecutiveVersions(frames, version);
});

test('a burst of disconnects is coalesced too, and the final list no longer has them', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const windowMs = DEFAULT_LIMITS.presenceCoalesceMs;
  const { client: r, version } = await reader(t, gw);
  const expected = ids('leaving', 20);
  const clients = await Promise.all(expected.map((id) => uiClient(t, gw, id)));
  await r.waitFor(
    (f) => f.event === 'presence' && clientIds(presenceOf(f)).length === expected.length,
    10_000,
  );
  const mark = r.frames.length;

  const started = performance.now();
  for (const client of clients) client.close();
  const empty = await r.waitFor(
    (f) => f.event === 'presence' && r.frames.indexOf(f) >= mark && clientIds(presenceOf(f)).length === 0,
    10_000,
  );
  const elapsed = performance.now() - started;

  const leaving = presenceFrames(r, mark);
  const bound = burstBound(elapsed, windowMs);
  assert.ok(
    leaving.length >= 1 && leaving.length <= bound && leaving.length < expected.length,
    `${leaving.length} presence events for ${expected.length} disconnects in ${elapsed.toFixed(0)} ms (bound ${bound})`,
  );
  assert.equal(leaving.at(-1), empty);
  assert.deepEqual(
    presenceOf(empty).map((e) => e.mode),
    ['gateway'],
  );
  assertConsecutiveVersions(presenceFrames(r), version);
  const listed = await r.request('system-presence');
  assert.deepEqual(clientIds(listed.payload as PresenceEntry[]), []);
});

test('close() clears a pending coalesced broadcast instead of leaving its timer behind', async (t) => {
  // Timers created while the gateway lives, unref'd ones included: each must be gone once close() returns.
  const live = new Map<number, string>();
  let recording = true;
  const hook = createHook({
    init(asyncId, type) {
      if (recording && type === 'Timeout') live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  t.after(() => hook.disable());
  const gw = await startTestGateway({ config: { gateway: { limits: { presenceCoalesceMs: 60_000 } } } });
  t.after(() => gw.close());
  const { client: r } = await reader(t, gw);
  await uiClient(t, gw, 'first');
  await r.waitFor((f) => f.event === 'presence' && clientIds(presenceOf(f)).includes('first'));
  // This one waits for the end of a 60 s window: its broadcast (and timer) are pending.
  await uiClient(t, gw, 'pending');
  assert.deepEqual(clientIds((await r.request('system-presence')).payload as PresenceEntry[]), [
    'first',
    'pending',
  ]);
  assert.equal(presenceFrames(r).length, 1);

  await gw.close();
  await r.closed;
  recording = false;
  // Destroy hooks run asynchronously after a handle closes: poll with a deadline (the window is 60 s).
  const deadline = performance.now() + 2_000;
  while (live.size > 0 && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(live.size, 0, `${live.size} timer(s) outlived close()`);
  assert.equal(presenceFrames(r).length, 1, 'the pending broadcast was dropped, not sent during shutdown');
});

test('backends, CLI calls and probes stay out of presence and cost no broadcast, as on OpenClaw', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: watcher, version } = await reader(t, gw);
  for (const mode of ['backend', 'probe', 'cli']) {
    const { client, hello } = await connectClient(gw.url, gw.token, {
      client: { id: mode === 'cli' ? 'cli' : 'gateway-client', mode, instanceId: `eph-${mode}` },
    });
    t.after(() => client.close());
    assert.equal(hello.ok, true, JSON.stringify(hello.error));
  }
  await uiClient(t, gw, 'tracked');
  const first = await watcher.waitFor((f) => f.event === 'presence');
  assert.deepEqual(clientIds(presenceOf(first)), ['tracked']);
  assert.equal(first.stateVersion?.presence, version + 1, 'the ephemeral connects bumped nothing');
});

test('hello-ok and presence events carry at most PRESENCE_WIRE_MAX entries, the newest; system-presence all', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: admin, hello } = await connectClient(gw.url, gw.token);
  t.after(() => admin.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  const reported = ids('host', PRESENCE_WIRE_MAX + 10);
  for (const instanceId of reported) {
    const res = await admin.request('system-event', { text: 'here', instanceId });
    assert.equal(res.ok, true, JSON.stringify(res.error));
  }
  const all = (await admin.request('system-presence')).payload as PresenceEntry[];
  assert.deepEqual(clientIds(all), reported);

  const { client: late, hello: lateHello } = await connectClient(gw.url, gw.token, {
    scopes: ['operator.read'],
  });
  t.after(() => late.close());
  const snapshot = (lateHello.payload as { snapshot: { presence: PresenceEntry[] } }).snapshot.presence;
  assert.equal(snapshot.length, PRESENCE_WIRE_MAX);
  assert.equal(snapshot[0]?.mode, 'gateway');
  assert.deepEqual(
    clientIds(snapshot),
    reported.slice(-(PRESENCE_WIRE_MAX - 1)),
    'the newest, the oldest left out',
  );
  const last = presenceFrames(admin).at(-1);
  assert.ok(last);
  assert.equal(presenceOf(last).length, PRESENCE_WIRE_MAX);
  // Events this large leave as two frames (the shared event, then the socket's seq): they still parse, numbered.
  const seqs = admin.frames.filter((f) => f.seq !== undefined).map((f) => f.seq as number);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
});
