import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import zonefile from 'dns-zonefile';
import { admin } from '../../helpers/admin.ts';
import { fakeTailscale } from '../../helpers/fake-tailscale.ts';
import { startTestGateway } from '../../helpers/gateway.ts';

test('a wide-area domain writes the unicast DNS-SD zone to <state>/dns/<domain>.db; a mode change rewrites it with the next serial', async (t) => {
  const tailscale = fakeTailscale({ ips: ['100.101.102.103', 'fd7a:115c:a1e0::1234'] });
  t.after(() => tailscale.close());
  const gw = await startTestGateway({
    config: {
      discovery: { wideArea: { domain: 'OpenClaw.Internal.' } },
      gateway: { tls: { enabled: true, autoGenerate: true } },
    },
    // LAN advertising stays off (mode off): only the zone is published.
    env: { PATH: tailscale.path, CLAWGATE_CLI_PATH: '/opt/clawgate/bin/clawgate', CLAWGATE_SSH_PORT: '2222' },
  });
  t.after(() => gw.close());
  const path = join(gw.stateDir, 'dns', 'openclaw.internal.db');
  const zone = zonefile.parse(readFileSync(path, 'utf8'));
  assert.equal(zone.$origin, 'openclaw.internal.');
  assert.equal(zone.soa?.mname, 'ns1');
  assert.match(String(zone.soa?.serial), /^\d{8}01$/);
  assert.deepEqual(
    zone.ns?.map((ns) => ns.host),
    ['ns1'],
  );
  const host = zone.a?.find((a) => a.name !== 'ns1');
  assert.equal(host?.ip, '100.101.102.103');
  assert.deepEqual(
    zone.aaaa?.map((aaaa) => [aaaa.name, aaaa.ip]),
    [[host?.name, 'fd7a:115c:a1e0::1234']],
  );
  assert.equal(zone.ptr?.[0]?.name, '_openclaw-gw._tcp');
  const instance = zone.ptr?.[0]?.host;
  const srv = zone.srv?.find((record) => record.name === instance);
  assert.equal(srv?.port, gw.port);
  assert.equal(srv?.target, host?.name);
  const txt = (text: string) =>
    Object.fromEntries(
      [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => {
        const entry = m[1] ?? '';
        return [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)];
      }),
    );
  const pin = gw.server.tlsFingerprint?.replaceAll(':', '').toLowerCase();
  // minimal: no lanHost (LAN only), no sshPort or cliPath; TLS keys as on the LAN beacon.
  assert.deepEqual(txt(zone.txt?.find((record) => record.name === instance)?.txt ?? ''), {
    role: 'gateway',
    gatewayPort: String(gw.port),
    displayName: txt(zone.txt?.[0]?.txt ?? '').displayName,
    gatewayTls: '1',
    gatewayTlsSha256: pin,
    transport: 'gateway',
  });

  // The file is watched (gateway.reload.mode hybrid): an edit of the live key applies without a restart.
  const config = JSON.parse(readFileSync(gw.configPath, 'utf8')) as { discovery: Record<string, unknown> };
  config.discovery.mdns = { mode: 'full' };
  writeFileSync(gw.configPath, JSON.stringify(config));
  // The rewrite is queued behind the config change: poll the file with a deadline.
  const deadline = performance.now() + 10_000;
  let full = zone;
  while (performance.now() < deadline) {
    full = zonefile.parse(readFileSync(path, 'utf8'));
    if (full.soa?.serial !== zone.soa?.serial) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(full.soa?.serial, (zone.soa?.serial ?? 0) + 1);
  const fullTxt = txt(full.txt?.[0]?.txt ?? '');
  assert.equal(fullTxt.sshPort, '2222');
  assert.equal(fullTxt.cliPath, '/opt/clawgate/bin/clawgate');
  assert.ok(tailscale.calls().some((args) => args[0] === 'status'));
});

test('without a tailnet address the zone is not written, and status says why', async (t) => {
  const tailscale = fakeTailscale({ ips: [] });
  t.after(() => tailscale.close());
  const gw = await startTestGateway({
    config: { discovery: { wideArea: { domain: 'openclaw.internal' } } },
    env: { PATH: tailscale.path },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const status = await client.request('status');
  const { wideArea } = (status.payload as { network: { wideArea: { error: string; zonePath: string } } })
    .network;
  assert.match(wideArea.error, /no Tailscale IPv4 address/);
  assert.throws(() => readFileSync(wideArea.zonePath), { code: 'ENOENT' });
});

test('a domain that is not a DNS name is refused at load, naming the key', async () => {
  await assert.rejects(
    startTestGateway({ config: { discovery: { wideArea: { domain: 'bad_domain!.internal' } } } }),
    /discovery\.wideArea\.domain/,
  );
});
