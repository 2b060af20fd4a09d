import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { REDACTED } from '../../src/config/methods.ts';
import { admin, configGet as readConfig } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { Frame, RawClient } from '../helpers/raw-client.ts';

type ConfigGet = {
  path: string;
  exists: boolean;
  raw: string | null;
  parsed: Record<string, unknown>;
  config: Record<string, unknown>;
  hash: string;
  valid: boolean;
};

type WriteResult = {
  ok: boolean;
  noop?: boolean;
  path: string;
  hash: string;
  changedPaths: string[];
  restartRequired: string[];
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const configGet = (client: RawClient) => readConfig<ConfigGet>(client);

function assertError(res: Frame, code: string, detailCode: string | undefined, message: RegExp): void {
  assert.equal(res.ok, false, 'the call must fail');
  assert.equal(res.error?.code, code);
  assert.equal(res.error?.details?.code, detailCode);
  assert.match(res.error?.message ?? '', message);
}

test('config.get on a fresh state dir: no file, defaults, hash of the empty text', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const got = await configGet(client);
  assert.equal(got.exists, false);
  assert.equal(got.raw, null);
  assert.deepEqual(got.parsed, {});
  assert.equal(got.valid, true);
  assert.equal(got.path, gw.configPath);
  assert.equal(got.hash, sha256(''));
  const gateway = got.config.gateway as { bind: string; auth: { mode: string; token: string } };
  assert.equal(gateway.bind, 'loopback');
  assert.equal(gateway.auth.mode, 'token');
  // The token came from a flag, yet is still a secret.
  assert.equal(gateway.auth.token, REDACTED);
});

test('config.get redacts secrets in raw, parsed and config', async (t) => {
  const token = 'config-get-secret-token-123456';
  const apiKey = 'sk-provider-key-abcdefabcdef';
  const gw = await startTestGateway({
    config: {
      gateway: { auth: { token } },
      models: { providers: { openai: { apiKey, baseUrl: 'https://api.example.test/v1' } } },
    },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw, token);
  const got = await configGet(client);
  assert.equal(got.exists, true);
  assert.equal(got.hash, sha256(readFileSync(gw.configPath, 'utf8')));
  const raw = got.raw ?? '';
  assert.ok(raw.includes(REDACTED), 'raw carries the redaction marker');
  assert.ok(!raw.includes(token), 'raw must not carry the token');
  const parsed = got.parsed as { gateway: { auth: { token: string } } };
  assert.equal(parsed.gateway.auth.token, REDACTED);
  const config = got.config as {
    gateway: { auth: { token: string } };
    models: { providers: Record<string, { apiKey: string; baseUrl: string }> };
  };
  assert.equal(config.gateway.auth.token, REDACTED);
  assert.equal(config.models.providers.openai?.apiKey, REDACTED);
  assert.equal(config.models.providers.openai?.baseUrl, 'https://api.example.test/v1');
  const wire = JSON.stringify(got);
  assert.ok(!wire.includes(token), 'the token appears nowhere in the answer');
  assert.ok(!wire.includes(apiKey), 'the provider key appears nowhere in the answer');

  // Sending the redacted text back (an editor saving what it showed) keeps the stored secrets.
  const edited = raw.replace('https://api.example.test/v1', 'https://api2.example.test/v1');
  const set = await client.request('config.set', { raw: edited, baseHash: got.hash });
  assert.equal(set.ok, true, JSON.stringify(set.error));
  const onDisk = JSON.parse(readFileSync(gw.configPath, 'utf8')) as typeof got.parsed;
  assert.deepEqual(onDisk, {
    gateway: { auth: { token } },
    models: { providers: { openai: { apiKey, baseUrl: 'https://api2.example.test/v1' } } },
  });
  assert.ok(!JSON.stringify(set.payload).includes(apiKey), 'the write result is redacted too');
});

test('config.schema returns the schema, ui hints, version and generation time', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const res = await client.request('config.schema');
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const payload = res.payload as {
    schema: { type: string; properties: Record<string, unknown>; additionalProperties: boolean };
    uiHints: Record<string, { sensitive?: boolean }>;
    version: string;
    generatedAt: string;
  };
  assert.equal(payload.schema.type, 'object');
  assert.equal(payload.schema.additionalProperties, false);
  for (const key of ['gateway', 'agents', 'logging']) assert.ok(key in payload.schema.properties, key);
  assert.equal(payload.uiHints['gateway.auth.token']?.sensitive, true);
  assert.equal(payload.version, (hello(client) as { server: { version: string } }).server.version);
  assert.ok(!Number.isNaN(Date.parse(payload.generatedAt)), payload.generatedAt);
});

function hello(client: RawClient): unknown {
  return client.frames.find((f) => f.type === 'res' && f.id === 'connect')?.payload;
}

test('config.set with an unknown key is refused naming the key; nothing is written', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const fresh = await client.request('config.set', { raw: '{gateway:{prot:1}}' });
  assertError(
    fresh,
    'INVALID_REQUEST',
    'CONFIG_INVALID',
    /^invalid config\.set: .*unknown key gateway\.prot/s,
  );
  assert.equal(existsSync(gw.configPath), false, 'no file was created');

  const first = await client.request('config.set', { raw: '{logging:{level:"warn"}}' });
  assert.equal(first.ok, true, JSON.stringify(first.error));
  const before = readFileSync(gw.configPath, 'utf8');
  const bad = await client.request('config.set', {
    raw: '{logging:{level:"warn", levle:"debug"}}',
    baseHash: (first.payload as WriteResult).hash,
  });
  assertError(bad, 'INVALID_REQUEST', 'CONFIG_INVALID', /unknown key logging\.levle/);
  assert.equal(readFileSync(gw.configPath, 'utf8'), before, 'the file is unchanged');
  assert.equal((await configGet(client)).hash, sha256(before));
});

test('config.set and config.patch need baseHash once the file exists, and refuse a stale one', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const before = readFileSync(gw.configPath, 'utf8');
  const { hash } = await configGet(client);
  assert.equal(hash, sha256(before));

  const setNoHash = await client.request('config.set', { raw: '{logging:{level:"warn"}}' });
  assertError(setNoHash, 'INVALID_REQUEST', 'CONFIG_BASE_HASH_MISMATCH', /^config\.set needs baseHash/);
  const patchNoHash = await client.request('config.patch', { raw: '{logging:{level:"warn"}}' });
  assertError(patchNoHash, 'INVALID_REQUEST', 'CONFIG_BASE_HASH_MISMATCH', /^config\.patch needs baseHash/);

  const stale = sha256('an older version of the file');
  const setStale = await client.request('config.set', { raw: '{logging:{level:"warn"}}', baseHash: stale });
  assertError(setStale, 'INVALID_REQUEST', 'CONFIG_BASE_HASH_MISMATCH', /^config changed since it was read/);
  assert.equal(setStale.error?.details?.expected, hash);
  const patchStale = await client.request('config.patch', {
    raw: '{logging:{level:"warn"}}',
    baseHash: stale,
  });
  assertError(
    patchStale,
    'INVALID_REQUEST',
    'CONFIG_BASE_HASH_MISMATCH',
    /^config changed since it was read/,
  );
  assert.equal(readFileSync(gw.configPath, 'utf8'), before, 'nothing was written');
});

test('config.patch writes the file atomically, reports changedPaths and broadcasts config.changed', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const watcher = await admin(t, gw);
  const { hash } = await configGet(client);

  const res = await client.request('config.patch', { raw: '{logging:{level:"debug"}}', baseHash: hash });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const result = res.payload as WriteResult & { config: { logging: { level: string } } };
  assert.deepEqual(result.changedPaths, ['logging.level']);
  assert.deepEqual(result.restartRequired, []);
  assert.equal(result.noop, undefined);
  assert.equal(result.config.logging.level, 'debug');

  const onDisk = readFileSync(gw.configPath, 'utf8');
  assert.deepEqual(JSON.parse(onDisk), { logging: { level: 'debug' } });
  assert.equal(result.hash, sha256(onDisk));
  assert.equal(statSync(gw.configPath).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(gw.stateDir).filter((name) => name.endsWith('.tmp')),
    [],
    'no temp file left behind',
  );

  const event = await watcher.event('config.changed');
  assert.deepEqual(event.payload, {
    path: gw.configPath,
    hash: sha256(onDisk),
    changedPaths: ['logging.level'],
    restartRequired: [],
  });
  assert.equal(typeof event.seq, 'number');
  const got = await configGet(watcher);
  assert.equal(got.hash, sha256(onDisk));
  assert.equal((got.config as { logging: { level: string } }).logging.level, 'debug');
});

test('a patched gateway.limits.tickIntervalMs applies live', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  assert.equal(
    client.frames.some((f) => f.event === 'tick'),
    false,
  );
  const res = await client.request('config.patch', { raw: '{gateway:{limits:{tickIntervalMs:100}}}' });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.deepEqual((res.payload as WriteResult).restartRequired, []);
  // The default interval is 30 s; a tick within 2 s proves the timer was rescheduled.
  const tick = await client.event('tick', 2_000);
  assert.equal(typeof (tick.payload as { ts: number }).ts, 'number');
});

test('patching gateway.port reports restartRequired, and repeating a patch is a noop', async (t) => {
  // The port comes from the file here (no --port), so changing it in the file needs a restart.
  const gw = await startTestGateway({ config: { gateway: { port: 0 } }, overrides: { port: undefined } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  assert.equal(gw.port > 0, true);
  const { hash } = await configGet(client);

  const res = await client.request('config.patch', { raw: '{gateway:{port:45678}}', baseHash: hash });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const result = res.payload as WriteResult;
  assert.deepEqual(result.changedPaths, ['gateway.port']);
  assert.deepEqual(result.restartRequired, ['gateway.port']);
  // Still serving on the old port until restarted.
  assert.equal((await configGet(client)).exists, true);

  const again = await client.request('config.patch', {
    raw: '{gateway:{port:45678}}',
    baseHash: result.hash,
  });
  assert.equal(again.ok, true, JSON.stringify(again.error));
  const noop = again.payload as WriteResult;
  assert.equal(noop.noop, true);
  assert.deepEqual(noop.changedPaths, []);
  assert.equal(sha256(readFileSync(gw.configPath, 'utf8')), result.hash, 'the file was not rewritten');
});
