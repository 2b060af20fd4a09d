import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTraced } from '../helpers/module-trace.ts';

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
  const fixture = new URL('./fixtures/plugins-gateway.ts', import.meta.url).pathname;
  const loaded = async (mode: string) => {
    const { stdout, loaded } = await runTraced(t, [fixture, mode]);
    const files = loaded
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
