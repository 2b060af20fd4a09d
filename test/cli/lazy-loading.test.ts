import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli-child.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { runTraced } from '../helpers/module-trace.ts';

const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;

test('clawgate call loads the small client, never the server, the schema layer or HTTP', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const dir = tempDir(t, 'clawgate-lazy-');
  const { stdout, loaded } = await runTraced(
    t,
    [cli, 'call', 'health', '--url', gw.url, '--token', gw.token, '--json'],
    { ...process.env, CLAWGATE_STATE_DIR: dir },
  );
  assert.equal((JSON.parse(stdout) as { ok: boolean }).ok, true);
  const forbidden = loaded.filter((url) =>
    /\/server\/start\.ts|\/server\/phases\/|\/server\/http\/|\/server\/ws\/connection|\/protocol\/schemas\/|\/typebox\/|^node:sqlite|\/agents\/providers\/|@anthropic-ai|\/openai\//.test(
      url,
    ),
  );
  assert.deepEqual(forbidden, []);
  assert.ok(loaded.some((url) => url.includes('client/gateway-client.ts')));
});

test('a gateway loads the webhook pipeline only when a webhook request arrives', async (t) => {
  const fixture = new URL('../fixtures/hooks-gateway.ts', import.meta.url).pathname;
  const pipeline = /\/src\/hooks\/(http-handler|dispatch|actions|policy|template|external-content)\.ts$/;
  const loadedWith = async (mode: string) => {
    const { stdout, loaded } = await runTraced(t, [fixture, mode]);
    assert.equal(stdout, '200');
    return loaded.filter((url) => pipeline.test(url));
  };
  assert.deepEqual(await loadedWith('disabled'), []);
  assert.equal(new Set(await loadedWith('enabled')).size, 6);
});

test('a gateway loads the mDNS responder only when LAN advertising is on, and the zone writer only for a wide-area domain', async (t) => {
  const fixture = new URL('../fixtures/discovery-gateway.ts', import.meta.url).pathname;
  const heavy =
    /@homebridge\/ciao|\/runtime\/discovery\/(mdns-advertiser|wide-area-zone)\.ts$|\/runtime\/tailscale\//;
  const loadedWith = async (mode: string) => {
    const { stdout, loaded } = await runTraced(t, [fixture, mode]);
    assert.equal(stdout, '200');
    const files = loaded
      .filter((url) => heavy.test(url))
      .map((url) =>
        url.includes('@homebridge/ciao') ? 'ciao' : (url.split('/src/server/runtime/')[1] ?? url),
      );
    return new Set(files);
  };
  assert.deepEqual([...(await loadedWith('none'))], []);
  const mdns = await loadedWith('mdns');
  assert.ok(mdns.has('ciao') && mdns.has('discovery/mdns-advertiser.ts'), [...mdns].join(', '));
  assert.ok(!mdns.has('discovery/wide-area-zone.ts'));
  const wideArea = await loadedWith('wide-area');
  assert.ok(wideArea.has('discovery/wide-area-zone.ts'), [...wideArea].join(', '));
  assert.ok(!wideArea.has('ciao'));
});
