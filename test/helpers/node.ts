import assert from 'node:assert/strict';
import { connectDevice, createTestDevice, type TestDevice } from './device.ts';
import { TEST_TOKEN, type TestGateway } from './gateway.ts';
import type { Frame, RawClient } from './raw-client.ts';

/** What the test node declares unless told otherwise: one admin-gated command, one write one, one harmless. */
export const TEST_NODE_COMMANDS = ['system.run', 'system.which', 'device.info'];

export type TestNode = { client: RawClient; device: TestDevice; nodeId: string; hello: Frame };

export type TestNodeOptions = {
  device?: TestDevice;
  commands?: string[];
  token?: string;
  deviceToken?: string;
  displayName?: string;
};

/**
 * A node as OpenClaw's node host connects one, over the raw protocol: a signed device, role node, caps and
 * commands declared. Closed when the test ends.
 */
export async function connectTestNode(
  t: { after(fn: () => unknown): void },
  gw: TestGateway,
  options: TestNodeOptions = {},
): Promise<TestNode> {
  const device = options.device ?? createTestDevice();
  const { client, hello } = await connectDevice(gw.url, device, {
    token: options.deviceToken ? undefined : (options.token ?? TEST_TOKEN),
    deviceToken: options.deviceToken,
    role: 'node',
    scopes: [],
    client: {
      id: 'node-host',
      mode: 'node',
      displayName: options.displayName ?? 'box',
      deviceFamily: 'Linux',
    },
    extra: { caps: ['system'], commands: options.commands ?? TEST_NODE_COMMANDS, pathEnv: '/usr/bin:/bin' },
  });
  t.after(() => client.close());
  return { client, device, nodeId: device.deviceId, hello };
}

/** Approves the node surface request `admin` was told about (`node.pair.requested`). */
export async function approveRequestedSurface(admin: RawClient): Promise<void> {
  const requested = await admin.event('node.pair.requested');
  const { requestId } = requested.payload as { requestId: string };
  const approved = await admin.request('node.pair.approve', { requestId });
  assert.equal(approved.ok, true, JSON.stringify(approved.error));
}
