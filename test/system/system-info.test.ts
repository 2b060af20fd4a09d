import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { arch, cpus, hostname, platform, release } from 'node:os';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient } from '../helpers/raw-client.ts';

test('system.info describes the gateway host in OpenClaw’s SystemInfoResult shape', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => client.close());

  const res = await client.request('system.info', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const info = res.payload as Record<string, unknown>;
  assertMatchesOfficial('SystemInfoResult', info);

  assert.equal(info.hostname, hostname());
  assert.equal(info.platform, platform());
  assert.equal(info.release, release());
  assert.equal(info.arch, arch());
  assert.equal(info.nodeVersion, process.version);
  assert.equal(info.pid, process.pid);
  assert.equal(info.cpuCount, cpus().length);
  assert.equal(info.port, gw.port);
  if (platform() === 'linux') assert.equal(info.osLabel, `Linux ${release()}`);
  assert.ok(typeof info.machineName === 'string' && info.machineName.length > 0);
  assert.match(String(info.processInstanceId), /^[0-9a-f-]{36}$/);
  assert.ok((info.uptimeMs as number) >= 0 && (info.uptimeMs as number) < 60_000, 'the gateway’s own uptime');
  assert.ok((info.memoryTotalBytes as number) > 0);
  assert.ok((info.memoryFreeBytes as number) <= (info.memoryTotalBytes as number));
  assert.deepEqual(info.defaultAgentUtilityModel, { status: 'unavailable' });
  // Newer than the pin (2026.9.6): the event loop in the health snapshot's pinned shape, memory in 2026.9.6's.
  assertMatchesOfficial('Snapshot', info.eventLoop, ['health', 'eventLoop']);
  const memory = info.processMemory as Record<string, number>;
  assert.deepEqual(Object.keys(memory), [
    'rssBytes',
    'heapUsedBytes',
    'heapTotalBytes',
    'externalBytes',
    'arrayBuffersBytes',
  ]);
  assert.ok(Object.values(memory).every((bytes) => Number.isInteger(bytes) && bytes >= 0));

  // The disk figures are the state directory's filesystem, the one place OpenClaw names a path.
  const stats = statfsSync(gw.stateDir);
  assert.equal(info.diskPath, gw.stateDir);
  assert.equal(info.diskTotalBytes, stats.blocks * stats.bsize);
  assert.ok(typeof info.diskAvailableBytes === 'number' && info.diskAvailableBytes >= 0);

  // A second call is the same process: same instance id, later uptime.
  const again = (await client.request('system.info', {})).payload as Record<string, unknown>;
  assert.equal(again.processInstanceId, info.processInstanceId);
  assert.ok((again.uptimeMs as number) >= (info.uptimeMs as number));
});

test('system.info needs operator.read and takes no params (OpenClaw’s closed SystemInfoParams)', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { client: probe } = await connectClient(gw.url, gw.token, { scopes: [] });
  t.after(() => probe.close());
  const refused = await probe.request('system.info', {});
  assert.equal(refused.error?.code, 'FORBIDDEN');
  assert.equal(refused.error?.message, 'missing scope: operator.read');

  const { client } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => client.close());
  const bad = await client.request('system.info', { x: 1 });
  assert.equal(bad.error?.code, 'INVALID_REQUEST');
  assert.match(String(bad.error?.message), /^invalid system\.info params: .*x/);
});
