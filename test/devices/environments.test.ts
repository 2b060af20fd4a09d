import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { operator } from '../helpers/admin.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { approveRequestedSurface, connectTestNode } from '../helpers/node.ts';
import { assertEachMatchesOfficial, assertMatchesOfficial } from '../helpers/official-schemas.ts';
import type { RawClient } from '../helpers/raw-client.ts';

type Environment = Record<string, unknown> & { id: string };

/** The gateway host, as OpenClaw 2026.9.6 lists it on a fresh gateway (observed). */
const GATEWAY_ENVIRONMENT = {
  id: 'gateway',
  type: 'local',
  label: 'Gateway local',
  status: 'available',
  platform: process.platform,
  sessionHost: true,
  trust: 'persistent',
  capabilities: ['agent.run', 'sessions', 'tools', 'workspace'],
};

async function gateway(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  return gw;
}

async function list(client: RawClient, params: Record<string, unknown> = {}): Promise<Environment[]> {
  const res = await client.request('environments.list', params);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assertMatchesOfficial('EnvironmentsListResult', res.payload);
  return (res.payload as { environments: Environment[] }).environments;
}

/** Polls the list (with a deadline) until the gateway has seen the node's socket close. */
async function offlineEnvironment(client: RawClient, id: string): Promise<Environment | undefined> {
  const deadline = performance.now() + 5_000;
  for (;;) {
    const found = (await list(client)).find((environment) => environment.id === id);
    if (found?.status === 'unavailable') return found;
    assert.ok(performance.now() < deadline, `${id} still ${found?.status} after its socket closed`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a fresh gateway lists itself alone, as OpenClaw does; the Control UI’s includeDesktopSetup is accepted', async (t) => {
  const gw = await gateway(t);
  const reader = await operator(t, gw, ['operator.read']);
  assert.deepEqual(await list(reader), [GATEWAY_ENVIRONMENT]);
  // clawgate serves no desktop, so there is no desktop setup to report.
  assert.deepEqual(await list(reader, { includeDesktopSetup: true }), [GATEWAY_ENVIRONMENT]);
  // Worker profiles only: there are none.
  assert.deepEqual(await list(reader, { projection: 'profiles' }), []);

  const status = await reader.request('environments.status', { environmentId: 'gateway' });
  assert.deepEqual(status.payload, GATEWAY_ENVIRONMENT);
  assertMatchesOfficial('EnvironmentsStatusResult', status.payload);
});

test('a node is listed from its first connect: available while connected, its approved surface as capabilities', async (t) => {
  const gw = await gateway(t);
  const admin = await operator(t, gw, ['operator.admin']);
  const n = await connectTestNode(t, gw, { displayName: 'build-box' });
  assert.equal(n.hello.ok, true, JSON.stringify(n.hello.error));
  const id = `node:${n.nodeId}`;

  // Before its surface is approved the node is there, with nothing it can be asked to do.
  const [host, waiting] = await list(admin);
  assert.deepEqual(host, GATEWAY_ENVIRONMENT);
  assert.equal(waiting?.id, id);
  assert.equal(waiting?.label, 'build-box');
  assert.equal(waiting?.status, 'available');
  assert.equal(waiting?.capabilities, undefined);
  assert.equal(waiting?.invocableCommands, undefined);

  await approveRequestedSurface(admin);
  const node = (await list(admin))[1];
  const row = ((await admin.request('node.list', {})).payload as { nodes: Record<string, unknown>[] })
    .nodes[0];
  assert.deepEqual(node, {
    id,
    type: 'node',
    label: 'build-box',
    status: 'available',
    platform: 'linux',
    sessionHost: false,
    lastConnectedAtMs: row?.lastConnectedAtMs,
    lastSeenAtMs: row?.lastSeenAtMs,
    lastSeenReason: 'connect',
    trust: 'persistent',
    capabilities: ['device.info', 'system', 'system.run', 'system.which'],
    invocableCommands: ['device.info', 'system.run', 'system.which'],
  });
  const status = await admin.request('environments.status', { environmentId: id });
  assert.deepEqual(status.payload, node);
  assertMatchesOfficial('EnvironmentsStatusResult', status.payload);

  // Offline: still listed, unavailable, nothing invocable.
  n.client.close();
  const offline = await offlineEnvironment(admin, id);
  assert.equal(offline?.status, 'unavailable');
  assert.equal(offline?.invocableCommands, undefined);
  assert.deepEqual(offline?.capabilities, ['device.info', 'system', 'system.run', 'system.which']);
  assert.equal(typeof offline?.lastDisconnectedAtMs, 'number');
  assertEachMatchesOfficial('EnvironmentSummary', await list(admin));
});

test('environments.* need operator.read; runtimeId needs write (OpenClaw’s rule); bad params and unknown ids are named', async (t) => {
  const gw = await gateway(t);
  const probe = await operator(t, gw, []);
  const refused = await probe.request('environments.list', {});
  assert.equal(refused.error?.code, 'FORBIDDEN');
  assert.equal(refused.error?.message, 'missing scope: operator.read');

  const reader = await operator(t, gw, ['operator.read']);
  const runtime = await reader.request('environments.list', { runtimeId: 'main' });
  assert.equal(runtime.error?.code, 'FORBIDDEN');
  assert.equal(runtime.error?.message, 'missing scope: operator.write');
  const writer = await operator(t, gw, ['operator.write']);
  assert.deepEqual(await list(writer, { runtimeId: 'main' }), [GATEWAY_ENVIRONMENT]);

  const bogus = await reader.request('environments.list', { bogus: 1 });
  assert.equal(bogus.error?.code, 'INVALID_REQUEST');
  assert.match(String(bogus.error?.message), /^invalid environments\.list params: .*bogus/);

  const unknown = await reader.request('environments.status', { environmentId: 'node:nope' });
  assert.deepEqual(unknown.error, {
    code: 'INVALID_REQUEST',
    message: 'unknown environmentId',
    details: { code: 'UNKNOWN_ENVIRONMENT', environmentId: 'node:nope' },
  });
  const missing = await reader.request('environments.status', {});
  assert.equal(missing.error?.code, 'INVALID_REQUEST');
  assert.match(String(missing.error?.message), /environmentId/);
});
