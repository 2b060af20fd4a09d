import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTraced } from '../helpers/module-trace.ts';

test('with no channel configured a gateway never loads the channel pipeline or a channel’s running part', async (t) => {
  const fixture = new URL('./channel-gateway-fixture.ts', import.meta.url).pathname;
  const heavy =
    /\/src\/channels\/(inbound|reply-stream|access-policy|pairing-codes|text-chunks|outbound|status|pairing-requests|webhook\/(account|post|signature))\.ts$/;
  const loadedWith = async (mode: string) => {
    const { stdout, loaded } = await runTraced(t, [fixture, mode]);
    return { status: stdout, modules: [...new Set(loaded.filter((url) => heavy.test(url)))] };
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
