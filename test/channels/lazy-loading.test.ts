import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

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

test('with no channel configured a gateway never loads the channel pipeline or a channel’s running part', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-channels-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, HOOK);
  const fixture = new URL('./channel-gateway-fixture.ts', import.meta.url).pathname;
  const heavy =
    /\/src\/channels\/(inbound|reply-stream|access-policy|pairing-codes|text-chunks|outbound|status|pairing-requests|webhook\/(account|post|signature))\.ts$/;
  const loadedWith = async (mode: string) => {
    const log = join(dir, `${mode}.log`);
    const { stdout } = await run(process.execPath, ['--import', hook, fixture, mode], {
      env: { ...process.env, MODULE_LOG: log },
    });
    return {
      status: stdout,
      modules: [
        ...new Set(
          readFileSync(log, 'utf8')
            .split('\n')
            .filter((url) => heavy.test(url)),
        ),
      ],
    };
  };
  const idle = await loadedWith('none');
  assert.equal(idle.status, '200');
  assert.deepEqual(idle.modules, []);
  const busy = await loadedWith('configured');
  assert.equal(busy.status, '202');
  // The pipeline, the reply stream, access policy, splitting and the webhook account, signature and POST.
  for (const name of [
    'inbound',
    'reply-stream',
    'access-policy',
    'text-chunks',
    'webhook/account',
    'webhook/signature',
    'webhook/post',
  ]) {
    assert.ok(
      busy.modules.some((url) => url.endsWith(`/channels/${name}.ts`)),
      `${name} loads once a channel runs`,
    );
  }
});
