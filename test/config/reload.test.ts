import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { admin, configGet as readConfig } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

const WAIT_MS = 10_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type ConfigGet = {
  hash: string;
  config: { logging: { level: string } };
  pendingRestart: string[];
};

const configGet = (client: RawClient) => readConfig<ConfigGet>(client);

/** An editor's save: a temp file renamed over the config, which replaces its inode. */
function saveAs(path: string, value: unknown): string {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
  return text;
}

/** Polls `logs.tail` until a line matches, within the deadline. */
async function logLine(client: RawClient, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const res = await client.request('logs.tail', { limit: 500 });
    const line = (res.payload as { lines: string[] }).lines.find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern}`);
    // The watcher debounces saves: a poll every 20 ms finds the line as soon as a tight loop would, at a sliver of the CPU.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const changed = (frame: Frame) => frame.event === 'config.changed';

test('an edit to the config file applies live: config.changed, the new value in config.get, the effect on the socket', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const reader = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.client.close());

  // Ticks every 30 s by default; the edit makes them come every 50 ms.
  const text = saveAs(gw.configPath, {
    logging: { level: 'debug' },
    gateway: { limits: { tickIntervalMs: 50 } },
  });
  const event = await reader.client.waitFor(changed, WAIT_MS);
  assert.deepEqual(event.payload, {
    path: gw.configPath,
    hash: sha256(text),
    changedPaths: ['gateway', 'logging.level'],
    restartRequired: [],
  });
  const got = await configGet(client);
  assert.equal(got.hash, sha256(text));
  assert.equal(got.config.logging.level, 'debug');
  assert.deepEqual(got.pendingRestart, []);
  await client.event('tick', WAIT_MS);
  // Nobody was disconnected by the reload.
  assert.equal(client.ws.readyState, client.ws.OPEN);
  assert.equal((await reader.client.request('health')).ok, true);
});

test('an invalid edit keeps the last good config and logs what is wrong by key; the next good edit applies', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const good = await configGet(client);

  saveAs(gw.configPath, { logging: { level: 'loud' } });
  const line = await logLine(client, /config reload skipped/);
  assert.match(line, /keeping the last good config/);
  assert.match(line, /logging\.level/);
  writeFileSync(gw.configPath, '{ "logging": ');
  await logLine(client, /config reload skipped.*(JSON|parse|syntax|invalid)/i);
  const still = await configGet(client);
  assert.equal(still.hash, good.hash);
  assert.equal(still.config.logging.level, 'info');
  assert.equal(client.frames.some(changed), false, 'no config.changed for a rejected edit');

  const text = saveAs(gw.configPath, { logging: { level: 'warn' } });
  const event = await client.waitFor(changed, WAIT_MS);
  assert.equal((event.payload as { hash: string }).hash, sha256(text));
  assert.equal((await configGet(client)).config.logging.level, 'warn');
});

test('a port change in the file waits for a restart: pendingRestart in config.get and status, still serving', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { port: 0 } }, overrides: { port: undefined } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  saveAs(gw.configPath, { gateway: { port: 45_999 } });
  const event = await client.waitFor(changed, WAIT_MS);
  assert.deepEqual((event.payload as { restartRequired: string[] }).restartRequired, ['gateway.port']);
  assert.deepEqual((await configGet(client)).pendingRestart, ['gateway.port']);
  const status = await client.request('status');
  assert.deepEqual((status.payload as { pendingRestart: string[] }).pendingRestart, ['gateway.port']);
  const again = await connectClient(gw.url, gw.token);
  t.after(() => again.client.close());
  assert.equal(again.hello.ok, true, 'still listening on the port it started on');

  // Back to what it started with: nothing is pending any more.
  saveAs(gw.configPath, { gateway: { port: 0 } });
  await client.waitFor((f) => changed(f) && f !== event, WAIT_MS);
  assert.deepEqual((await configGet(client)).pendingRestart, []);
});

test('config.apply replaces the file through the same path, guarded by the base hash', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' }, session: { mainKey: 'main' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const { hash } = await configGet(client);

  const missing = await client.request('config.apply', { raw: '{logging:{level:"debug"}}' });
  assert.equal(missing.error?.code, 'INVALID_REQUEST');
  const stale = await client.request('config.apply', { raw: '{}', baseHash: sha256('something else') });
  assert.equal(stale.error?.details?.code, 'CONFIG_BASE_HASH_MISMATCH');
  const invalid = await client.request('config.apply', { raw: '{logging:{level:"loud"}}', baseHash: hash });
  assert.equal(invalid.error?.details?.code, 'CONFIG_INVALID');
  assert.match(invalid.error?.message ?? '', /logging\.level/);

  const res = await client.request('config.apply', { raw: '{logging:{level:"debug"}}', baseHash: hash });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const result = res.payload as { hash: string; changedPaths: string[] };
  assert.deepEqual(result.changedPaths, ['logging.level', 'session']);
  const onDisk = readFileSync(gw.configPath, 'utf8');
  assert.deepEqual(JSON.parse(onDisk), { logging: { level: 'debug' } }, 'the whole file was replaced');
  assert.equal(result.hash, sha256(onDisk));
  const event = await client.waitFor(changed, WAIT_MS);
  assert.equal((event.payload as { hash: string }).hash, result.hash);
  // The watcher sees the gateway's own write but does not apply it a second time.
  await logLine(client, /config applied from config\.apply/);
  assert.equal(client.frames.filter(changed).length, 1);
});

test('gateway.reload.mode "off": file edits wait for a restart, and no config write overwrites them', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { reload: { mode: 'off' } } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const before = await configGet(client);
  const original = readFileSync(gw.configPath, 'utf8');
  saveAs(gw.configPath, { gateway: { reload: { mode: 'off' } }, logging: { level: 'debug' } });
  await logLine(client, /gateway\.reload\.mode is \\"off\\": restart to apply it/);
  assert.equal((await configGet(client)).hash, before.hash);

  // A write now would replace the operator's edit with a change computed from the older config.
  const res = await client.request('config.patch', {
    raw: '{logging:{level:"warn"}}',
    baseHash: before.hash,
  });
  assert.equal(res.error?.details?.code, 'CONFIG_BASE_HASH_MISMATCH');
  assert.match(res.error?.message ?? '', /edited on disk/);
  assert.match(readFileSync(gw.configPath, 'utf8'), /"debug"/, 'the edit on disk is kept');

  // Reverted on disk: writes go through and apply live even with file reloads off.
  writeFileSync(gw.configPath, original);
  const ok = await client.request('config.patch', { raw: '{logging:{level:"warn"}}', baseHash: before.hash });
  assert.equal(ok.ok, true, JSON.stringify(ok.error));
  assert.equal((await configGet(client)).config.logging.level, 'warn');
});
