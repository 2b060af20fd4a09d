import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startTestGateway } from '../helpers/gateway.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Records every module URL the process loads, via a resolve hook preloaded with --import. */
const HOOK = `
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    appendFileSync(process.env.MODULE_LOG, result.url + '\\n');
    return result;
  },
});
`;

test('clawgate call loads the small client, never the server, the schema layer or HTTP', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  const log = join(dir, 'modules.log');
  writeFileSync(hook, HOOK);
  const { stdout } = await run(
    process.execPath,
    ['--import', hook, cli, 'call', 'health', '--url', gw.url, '--token', gw.token, '--json'],
    {
      env: { ...process.env, MODULE_LOG: log, CLAWGATE_STATE_DIR: dir },
    },
  );
  assert.equal((JSON.parse(stdout) as { ok: boolean }).ok, true);
  const loaded = readFileSync(log, 'utf8').split('\n');
  const forbidden = loaded.filter((url) =>
    /\/server\/start\.ts|\/server\/phases\/|\/server\/http\/|\/server\/ws\/connection|\/protocol\/schemas\/|\/typebox\/|^node:sqlite|\/agents\/providers\/|@anthropic-ai|\/openai\//.test(
      url,
    ),
  );
  assert.deepEqual(forbidden, []);
  assert.ok(loaded.some((url) => url.includes('client/gateway-client.ts')));
});

test('a gateway loads the webhook pipeline only when a webhook request arrives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, HOOK);
  const fixture = new URL('../fixtures/hooks-gateway.ts', import.meta.url).pathname;
  const pipeline = /\/src\/hooks\/(http-handler|dispatch|actions|policy|template|external-content)\.ts$/;
  const loadedWith = async (mode: string) => {
    const log = join(dir, `${mode}.log`);
    const { stdout } = await run(process.execPath, ['--import', hook, fixture, mode], {
      env: { ...process.env, MODULE_LOG: log },
    });
    assert.equal(stdout, '200');
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => pipeline.test(url));
  };
  assert.deepEqual(await loadedWith('disabled'), []);
  assert.equal(new Set(await loadedWith('enabled')).size, 6);
});

test('a gateway loads the mDNS responder only when LAN advertising is on, and the zone writer only for a wide-area domain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, HOOK);
  const fixture = new URL('../fixtures/discovery-gateway.ts', import.meta.url).pathname;
  const heavy =
    /@homebridge\/ciao|\/runtime\/discovery\/(mdns-advertiser|wide-area-zone)\.ts$|\/runtime\/tailscale\//;
  const loadedWith = async (mode: string) => {
    const log = join(dir, `${mode}.log`);
    const { stdout } = await run(process.execPath, ['--import', hook, fixture, mode], {
      env: { ...process.env, MODULE_LOG: log },
    });
    assert.equal(stdout, '200');
    const files = readFileSync(log, 'utf8')
      .split('\n')
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
