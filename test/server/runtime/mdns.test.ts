import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { admin, configGet } from '../../helpers/admin.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { handlesLeftBy } from '../../helpers/handles.ts';
import { MdnsBrowser } from '../../helpers/mdns-browser.ts';

// This machine may be a container, where LAN advertising is off by default (OpenClaw's rule); the tests opt in
// the way an operator on a host network would.
const OPT_IN = { CLAWGATE_DISABLE_BONJOUR: '0' };

async function browser(t: { after(fn: () => Promise<void>): void; skip(reason: string): void }) {
  const mdns = new MdnsBrowser();
  t.after(() => mdns.close());
  if (!(await mdns.multicastWorks())) {
    t.skip('multicast (224.0.0.251:5353) does not loop back on this machine; no mDNS client can browse here');
    return undefined;
  }
  return mdns;
}

test('minimal mode advertises _openclaw-gw._tcp with OpenClaw’s TXT keys; full adds its keys live; stop says goodbye', async (t) => {
  const mdns = await browser(t);
  if (!mdns) return;
  const gw = await startTestGateway({
    config: { discovery: { mdns: { mode: 'minimal' } } },
    env: { ...OPT_IN, CLAWGATE_CLI_PATH: '/opt/clawgate/bin/clawgate' },
  });
  let closed = false;
  t.after(() => (closed ? undefined : gw.close()));
  const beacon = await mdns.find(gw.port, () => true);
  const host = hostname().split('.')[0];
  assert.deepEqual(beacon.txt, {
    role: 'gateway',
    gatewayPort: String(gw.port),
    lanHost: `${/^[A-Za-z0-9-]+$/.test(host) ? host : 'openclaw'}.local`,
    displayName: hostname().replace(/\.local$/i, ''),
    transport: 'gateway',
  });
  assert.match(beacon.instance, /\._openclaw-gw\._tcp\.local$/);

  const client = await admin(t, gw);
  const { hash } = await configGet<{ hash: string }>(client);
  const res = await client.request('config.patch', {
    raw: '{discovery:{mdns:{mode:"full"}}}',
    baseHash: hash,
  });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const full = await mdns.find(gw.port, (txt) => txt.sshPort !== undefined);
  assert.equal(full.instance, beacon.instance, 'the same instance, re-announced in place');
  assert.equal(full.txt.sshPort, '22');
  assert.equal(full.txt.cliPath, '/opt/clawgate/bin/clawgate');

  const status = await client.request('status');
  assert.deepEqual((status.payload as { network: { mdns: unknown } }).network.mdns, {
    mode: 'full',
    advertising: true,
    instanceName: beacon.instance.replace(/\._openclaw-gw\._tcp\.local$/, ''),
  });

  const bye = mdns.goodbye(beacon.instance);
  client.close();
  closed = true;
  await gw.close();
  await bye;
});

test('the TXT record carries gatewayTls and the certificate’s SHA-256 as OpenClaw writes it', async (t) => {
  const mdns = await browser(t);
  if (!mdns) return;
  const gw = await startTestGateway({
    config: {
      discovery: { mdns: { mode: 'minimal' } },
      gateway: { tls: { enabled: true, autoGenerate: true } },
    },
    env: OPT_IN,
  });
  t.after(() => gw.close());
  const beacon = await mdns.find(gw.port, () => true);
  const pin = gw.server.tlsFingerprint?.replaceAll(':', '').toLowerCase();
  assert.match(pin ?? '', /^[0-9a-f]{64}$/);
  assert.equal(beacon.txt.gatewayTls, '1');
  assert.equal(beacon.txt.gatewayTlsSha256, pin);
});

test('CLAWGATE_DISABLE_BONJOUR=1 and OPENCLAW_DISABLE_BONJOUR=1 keep the beacon off whatever the mode', async (t) => {
  for (const env of [{ CLAWGATE_DISABLE_BONJOUR: '1' }, { OPENCLAW_DISABLE_BONJOUR: 'true' }]) {
    const gw = await startTestGateway({ config: { discovery: { mdns: { mode: 'full' } } }, env });
    t.after(() => gw.close());
    const client = await admin(t, gw);
    const status = await client.request('status');
    const { mdns } = (status.payload as { network: { mdns: { advertising: boolean; blockedBy: string } } })
      .network;
    assert.equal(mdns.advertising, false);
    assert.match(mdns.blockedBy, /DISABLE_BONJOUR=(1|true)/);
  }
});

test('an advertising gateway leaves no socket, timer or responder behind once closed', async (t) => {
  const mdns = await browser(t);
  if (!mdns) return;
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({ config: { discovery: { mdns: { mode: 'minimal' } } }, env: OPT_IN });
    await mdns.find(gw.port, () => true);
    await gw.close();
  });
  assert.deepEqual(left, []);
});
