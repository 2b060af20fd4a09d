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

/** What answers plugins.list with nothing configured; everything else of src/plugins/ loads on demand. */
const STARTUP_FILES = new Set([
  'plugin-system.ts',
  'policy.ts',
  'tool-registry.ts',
  'methods.ts',
  'module.ts',
  'wire.ts',
]);

test('with no plugin configured, start-up and plugins.list load none of the loader, the SDK or the module hooks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-lazy-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, HOOK);
  const fixture = new URL('./fixtures/plugins-gateway.ts', import.meta.url).pathname;
  const loaded = async (mode: string) => {
    const log = join(dir, `${mode}.log`);
    const { stdout } = await run(process.execPath, ['--import', hook, fixture, mode], {
      env: { ...process.env, MODULE_LOG: log },
    });
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .map((url) => /\/src\/plugins\/(.+\.ts)$/.exec(url.split('?')[0] ?? '')?.[1])
      .filter((file): file is string => file !== undefined);
    return { listed: Number(stdout), files: new Set(files) };
  };

  const bare = await loaded('none');
  assert.equal(bare.listed, 0);
  assert.deepEqual(
    [...bare.files].filter((file) => !STARTUP_FILES.has(file)),
    [],
  );

  const configured = await loaded('configured');
  assert.equal(configured.listed, 1);
  for (const file of [
    'loader.ts',
    'module-hooks.ts',
    'sdk/index.ts',
    'sdk/plugin-entry.ts',
    'plugin-api.ts',
  ]) {
    assert.ok(configured.files.has(file), `${file} loads once a plugin is configured`);
  }
});
