import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { operator } from '../helpers/admin.ts';
import { createTestDevice } from '../helpers/device.ts';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import {
  approveRequestedSurface,
  connectTestNode,
  TEST_NODE_COMMANDS,
  type TestNode,
} from '../helpers/node.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

async function gateway(
  t: TestContext,
  config?: Record<string, unknown>,
  stateDir?: string,
): Promise<TestGateway> {
  const gw = await startTestGateway({ config, stateDir, keepStateDir: stateDir !== undefined });
  t.after(() => gw.close());
  return gw;
}

/** A node connected, its surface approved by an admin, and that admin's socket. */
async function approvedNode(t: TestContext, gw: TestGateway): Promise<{ admin: RawClient; n: TestNode }> {
  const admin = await operator(t, gw, ['operator.admin']);
  const n = await connectTestNode(t, gw);
  assert.equal(n.hello.ok, true, JSON.stringify(n.hello.error));
  await approveRequestedSurface(admin);
  return { admin, n };
}

/** The node side of an invoke: answers the next request with `reply(request)`. */
async function answerNext(n: TestNode, reply: (request: Record<string, unknown>) => Record<string, unknown>) {
  const frame = await n.client.waitFor(
    (f) => f.type === 'event' && f.event === 'node.invoke.request' && !answered.has(f),
  );
  answered.add(frame);
  const request = frame.payload as Record<string, unknown>;
  const res = await n.client.request('node.invoke.result', {
    id: request.id,
    nodeId: n.nodeId,
    ...reply(request),
  });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return request;
}
const answered = new WeakSet<Frame>();

test('a node connects with a signed device, its command surface waits for a separate approval, and node.list shows it', async (t) => {
  const gw = await gateway(t);
  const pairing = await operator(t, gw, ['operator.read', 'operator.pairing']);
  const n = await connectTestNode(t, gw);
  assert.equal(n.hello.ok, true, JSON.stringify(n.hello.error));
  const hello = n.hello.payload as { auth: { role: string; scopes: string[]; deviceToken?: string } };
  assert.equal(hello.auth.role, 'node');
  assert.deepEqual(hello.auth.scopes, []);
  assert.ok(hello.auth.deviceToken, 'the node gets a device token to reconnect with');

  const requested = (await pairing.event('node.pair.requested')).payload as Record<string, unknown>;
  assert.equal(requested.nodeId, n.nodeId);
  assert.deepEqual(requested.commands, [...TEST_NODE_COMMANDS].sort());
  assert.deepEqual(requested.caps, ['system']);
  assert.deepEqual(requested.requiredApproveScopes, ['operator.pairing', 'operator.admin']);
  assert.equal(requested.silent, true, 'the device was paired on loopback without an operator');

  const list = await pairing.request('node.pair.list', {});
  assert.deepEqual(
    (list.payload as { pending: { requestId: string }[] }).pending.map((p) => p.requestId),
    [requested.requestId],
  );
  const nodes = (await pairing.request('node.list', {})).payload as { nodes: Record<string, unknown>[] };
  assert.equal(nodes.nodes.length, 1);
  const row = nodes.nodes[0];
  assert.equal(row.nodeId, n.nodeId);
  assert.equal(row.connected, true);
  assert.equal(row.paired, true);
  assert.equal(row.approvalState, 'pending-approval');
  assert.deepEqual(row.commands, [], 'nothing is effective before approval');
  assert.deepEqual(row.pendingDeclaredCommands, [...TEST_NODE_COMMANDS].sort());
  assert.equal(row.pathEnv, '/usr/bin:/bin');

  // Approving a surface with system.run needs admin too.
  const refused = await pairing.request('node.pair.approve', { requestId: requested.requestId });
  assert.equal(refused.error?.code, 'FORBIDDEN');
  assert.equal(refused.error?.message, 'missing scope: operator.admin');
});

test('node.pair.approve makes the declared commands effective; the node and operators hear node.pair.resolved', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);
  const resolved = (await n.client.event('node.pair.resolved')).payload as Record<string, unknown>;
  assert.equal(resolved.decision, 'approved');
  assert.equal((await admin.event('node.pair.resolved')).payload !== undefined, true);
  const described = (await admin.request('node.describe', { nodeId: n.nodeId })).payload as Record<
    string,
    unknown
  >;
  assert.equal(described.approvalState, 'approved');
  assert.deepEqual(described.commands, [...TEST_NODE_COMMANDS].sort());
  assert.deepEqual(described.caps, ['system']);
  assert.equal(described.pendingRequestId, undefined);
});

test('node.invoke reaches the node as node.invoke.request and answers with its node.invoke.result; a repeated key runs once', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);
  const call = admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    params: { verbose: true },
    idempotencyKey: 'k1',
    timeoutMs: 5_000,
  });
  const again = admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    params: { verbose: true },
    idempotencyKey: 'k1',
  });
  const request = await answerNext(n, () => ({ ok: true, payloadJSON: '{"model":"vm"}' }));
  assert.equal(request.command, 'device.info');
  assert.equal(request.paramsJSON, '{"verbose":true}');
  assert.equal(request.idempotencyKey, 'k1');
  assert.equal(request.timeoutMs, 5_000);
  const [first, second] = await Promise.all([call, again]);
  assert.deepEqual(first.payload, {
    ok: true,
    nodeId: n.nodeId,
    command: 'device.info',
    payload: { model: 'vm' },
    payloadJSON: '{"model":"vm"}',
  });
  assert.deepEqual(second.payload, first.payload);
  const later = await admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    idempotencyKey: 'k1',
  });
  assert.deepEqual(later.payload, first.payload);
  assert.equal(
    n.client.frames.filter((f) => f.event === 'node.invoke.request').length,
    1,
    'the node was asked once for one key',
  );
});

test('node.invoke fails fast and specifically: unknown node, undeclared command, node error, timeout, node gone mid-invoke, offline', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);

  const unknown = await admin.request('node.invoke', {
    nodeId: 'nope',
    command: 'device.info',
    idempotencyKey: 'u',
  });
  assert.equal(unknown.error?.code, 'INVALID_REQUEST');
  assert.equal((unknown.error?.details as { code: string } | undefined)?.code, 'UNKNOWN_NODE');

  const undeclared = await admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'camera.list',
    idempotencyKey: 'c',
  });
  assert.equal(undeclared.error?.code, 'INVALID_REQUEST');
  assert.deepEqual(undeclared.error?.details, {
    reason: 'command not declared by node',
    command: 'camera.list',
  });

  const dangerous = await admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'camera.snap',
    idempotencyKey: 'd',
  });
  assert.match(String(dangerous.error?.message), /requires explicit gateway\.nodes\.commands\.allow opt-in/);

  const failing = admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    idempotencyKey: 'f',
  });
  await answerNext(n, () => ({
    ok: false,
    error: { code: 'INVALID_REQUEST', message: 'paramsJSON required' },
  }));
  const failed = await failing;
  assert.equal(failed.error?.code, 'UNAVAILABLE');
  assert.equal(failed.error?.message, 'INVALID_REQUEST: paramsJSON required');
  assert.deepEqual(
    (failed.error?.details as Record<string, unknown> | undefined)?.nodeCommandDispatched,
    true,
  );

  const slow = await admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    idempotencyKey: 't',
    timeoutMs: 50,
  });
  assert.equal(slow.error?.code, 'UNAVAILABLE');
  assert.equal(slow.error?.message, 'TIMEOUT: node invoke timed out');
  // The node's late answer is accepted and dropped.
  const late = n.client.frames.filter((f) => f.event === 'node.invoke.request').at(-1)?.payload as {
    id: string;
  };
  const lateRes = await n.client.request('node.invoke.result', { id: late.id, nodeId: n.nodeId, ok: true });
  assert.deepEqual(lateRes.payload, { ok: true, ignored: true });

  const dying = admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    idempotencyKey: 'x',
  });
  await n.client.waitFor(
    (f) =>
      f.event === 'node.invoke.request' && (f.payload as { idempotencyKey: string }).idempotencyKey === 'x',
  );
  n.client.close();
  const died = await dying;
  assert.equal(died.error?.code, 'UNAVAILABLE');
  assert.equal(died.error?.message, 'DISCONNECTED: node disconnected (device.info)');

  const offline = await admin.request('node.invoke', {
    nodeId: n.nodeId,
    command: 'device.info',
    idempotencyKey: 'o',
  });
  assert.equal(offline.error?.code, 'UNAVAILABLE');
  assert.equal(offline.error?.message, 'node not connected');
  assert.equal((offline.error?.details as { code: string } | undefined)?.code, 'NOT_CONNECTED');
  const row = (await admin.request('node.describe', { nodeId: n.nodeId })).payload as Record<string, unknown>;
  assert.equal(row.connected, false);
  assert.deepEqual(
    row.commands,
    [...TEST_NODE_COMMANDS].sort(),
    'an offline node keeps its approved commands',
  );
});

test('roles before scopes: a node calling an operator method is refused and stays usable; operators cannot call node methods', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);
  const refused = await n.client.request('node.list', {});
  assert.equal(refused.error?.code, 'INVALID_REQUEST');
  assert.equal(refused.error?.message, 'unauthorized role: node');
  const stats = await n.client.request('node.event', {
    event: 'node.host.stats',
    payloadJSON: JSON.stringify({ cpuCount: 2, loadAverage: [1, 0.5, 0.2] }),
  });
  assert.deepEqual(stats.payload, { ok: true, event: 'node.host.stats', handled: true, reason: 'updated' });
  for (const method of ['node.event', 'node.invoke.result', 'node.pending.drain']) {
    const wrong = await admin.request(method, {});
    assert.equal(wrong.error?.message, 'unauthorized role: operator', method);
  }
  const described = (await admin.request('node.describe', { nodeId: n.nodeId })).payload as {
    hostStats: { cpuCount: number; updatedAtMs: number };
  };
  assert.equal(described.hostStats.cpuCount, 2);
});

test('running a command on a node needs operator.admin, or a per-node grant in gateway.nodes.invokeGrants', async (t) => {
  const grantedDevice = createTestDevice();
  const gw = await gateway(t, {
    gateway: { nodes: { invokeGrants: { [grantedDevice.deviceId]: ['system.run'] } } },
  });
  const admin = await operator(t, gw, ['operator.admin']);
  const approve = async (n: TestNode) => {
    assert.equal(n.hello.ok, true, JSON.stringify(n.hello.error));
    const pending = (await admin.request('node.pair.list', {})).payload as {
      pending: { requestId: string; nodeId: string }[];
    };
    const request = pending.pending.find((p) => p.nodeId === n.nodeId);
    assert.equal((await admin.request('node.pair.approve', { requestId: request?.requestId })).ok, true);
  };
  const plain = await connectTestNode(t, gw);
  await approve(plain);
  const granted = await connectTestNode(t, gw, {
    device: grantedDevice,
    commands: [...TEST_NODE_COMMANDS, 'system.execApprovals.set'],
  });
  await approve(granted);
  const writer = await operator(t, gw, ['operator.write']);
  const run = (nodeId: string, command: string, idempotencyKey: string) =>
    writer.request('node.invoke', { nodeId, command, params: { command: ['id'] }, idempotencyKey });

  const refused = await run(plain.nodeId, 'system.run', 'w1');
  assert.equal(refused.error?.code, 'FORBIDDEN');
  assert.equal(refused.error?.message, 'missing scope: operator.admin');
  assert.equal((refused.error?.details as { command: string } | undefined)?.command, 'system.run');
  // An ordinary command stays open to write.
  const ordinary = writer.request('node.invoke', {
    nodeId: plain.nodeId,
    command: 'device.info',
    idempotencyKey: 'w2',
  });
  await answerNext(plain, () => ({ ok: true, payload: {} }));
  assert.equal((await ordinary).ok, true);

  const allowed = run(granted.nodeId, 'system.run', 'w3');
  await answerNext(granted, () => ({ ok: true, payloadJSON: '{"stdout":"uid=0"}' }));
  assert.equal((await allowed).ok, true, 'the grant lets a writer run system.run on that node');
  const notGranted = await run(granted.nodeId, 'system.execApprovals.set', 'w4');
  assert.equal(notGranted.error?.code, 'FORBIDDEN', 'a grant names each command');
});

test('a node reconnects with its device token and no new approval; the gateway remembers nodes across a restart', async (t) => {
  const first = await startTestGateway({ keepStateDir: true });
  const { admin, n } = await approvedNode(t, first);
  const token = (n.hello.payload as { auth: { deviceToken: string } }).auth.deviceToken;
  n.client.close();
  admin.close();
  await first.close();
  const gw = await gateway(t, undefined, first.stateDir);
  const again = await connectTestNode(t, gw, { device: n.device, deviceToken: token });
  assert.equal(again.hello.ok, true, JSON.stringify(again.hello.error));
  const reader = await operator(t, gw, ['operator.read', 'operator.pairing']);
  const row = (await reader.request('node.describe', { nodeId: n.nodeId })).payload as Record<
    string,
    unknown
  >;
  assert.equal(row.approvalState, 'approved');
  assert.equal(row.connected, true);
  assert.deepEqual(row.commands, [...TEST_NODE_COMMANDS].sort());
  const pairs = (await reader.request('node.pair.list', {})).payload as {
    pending: unknown[];
    paired: { nodeId: string }[];
  };
  assert.deepEqual(pairs.pending, [], 'no new approval was asked for');
  assert.deepEqual(
    pairs.paired.map((p) => p.nodeId),
    [n.nodeId],
  );
});

test('gateway.nodes.pairing.autoApproveLocal false: a new node device waits for device.pair.approve even on loopback', async (t) => {
  const gw = await gateway(t, { gateway: { nodes: { pairing: { autoApproveLocal: false } } } });
  const n = await connectTestNode(t, gw);
  assert.equal(n.hello.ok, false);
  assert.equal(n.hello.error?.code, 'NOT_PAIRED');
  assert.equal((n.hello.error?.details as { code: string } | undefined)?.code, 'PAIRING_REQUIRED');
});

test('a node without a device identity is refused', async (t) => {
  const gw = await gateway(t);
  const { hello } = await connectClient(gw.url, TEST_TOKEN, {
    role: 'node',
    scopes: [],
    client: { id: 'node-host', mode: 'node' },
  });
  assert.equal(hello.error?.code, 'NOT_PAIRED');
  assert.equal((hello.error?.details as { code: string } | undefined)?.code, 'DEVICE_IDENTITY_REQUIRED');
});

test('node.rename, node.pair.reject and node.pair.remove', async (t) => {
  const gw = await gateway(t);
  const admin = await operator(t, gw, ['operator.admin']);
  const n = await connectTestNode(t, gw, { commands: ['device.info'] });
  const { requestId, requiredApproveScopes } = (await admin.event('node.pair.requested')).payload as {
    requestId: string;
    requiredApproveScopes: string[];
  };
  assert.deepEqual(requiredApproveScopes, ['operator.pairing', 'operator.write']);
  const renamed = await admin.request('node.rename', { nodeId: n.nodeId, displayName: 'lab-1' });
  assert.deepEqual(renamed.payload, { nodeId: n.nodeId, displayName: 'lab-1' });
  const rejected = await admin.request('node.pair.reject', { requestId });
  assert.deepEqual(rejected.payload, { requestId, nodeId: n.nodeId });
  const row = (await admin.request('node.describe', { nodeId: n.nodeId })).payload as Record<string, unknown>;
  assert.equal(row.displayName, 'lab-1');
  assert.equal(row.approvalState, 'unapproved');
  const removed = await admin.request('node.pair.remove', { nodeId: n.nodeId });
  assert.deepEqual(removed.payload, { nodeId: n.nodeId });
  const closed = await n.client.closed;
  assert.equal(closed.code, 4001);
  const gone = await admin.request('node.describe', { nodeId: n.nodeId });
  assert.equal(gone.error?.message, 'unknown nodeId');
  const devices = (await admin.request('device.pair.list', {})).payload as { paired: { deviceId: string }[] };
  assert.equal(
    devices.paired.some((d) => d.deviceId === n.nodeId),
    false,
    'a node-only device is removed',
  );
});

test('node.pending.enqueue queues work that the node takes with node.pending.drain', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);
  const queued = (
    await admin.request('node.pending.enqueue', {
      nodeId: n.nodeId,
      type: 'status.request',
      priority: 'high',
    })
  ).payload as { revision: number; queued: { id: string; type: string; priority: string } };
  assert.equal(queued.queued.type, 'status.request');
  assert.equal(queued.revision, 1);
  const dup = (await admin.request('node.pending.enqueue', { nodeId: n.nodeId, type: 'status.request' }))
    .payload as {
    queued: { id: string };
  };
  assert.equal(dup.queued.id, queued.queued.id, 'one item per type');
  const drained = (await n.client.request('node.pending.drain', {})).payload as {
    items: { id: string }[];
    hasMore: boolean;
    revision: number;
  };
  assert.deepEqual(
    drained.items.map((item) => item.id),
    [queued.queued.id],
  );
  assert.equal(drained.hasMore, false);
  const empty = (await n.client.request('node.pending.drain', {})).payload as { items: unknown[] };
  assert.deepEqual(empty.items, []);
  const pulled = await n.client.request('node.pending.pull', {});
  assert.deepEqual(pulled.payload, { nodeId: n.nodeId, actions: [] });
});

test('device.pair.remove of a node device takes its node record with it', async (t) => {
  const gw = await gateway(t);
  const { admin, n } = await approvedNode(t, gw);
  const removed = await admin.request('device.pair.remove', { deviceId: n.nodeId });
  assert.equal(removed.ok, true, JSON.stringify(removed.error));
  await n.client.closed;
  const gone = await admin.request('node.describe', { nodeId: n.nodeId });
  assert.equal(gone.error?.message, 'unknown nodeId');
  const listed = (await admin.request('node.list', {})).payload as { nodes: { nodeId: string }[] };
  assert.equal(
    listed.nodes.some((node) => node.nodeId === n.nodeId),
    false,
  );
});
