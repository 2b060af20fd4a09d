import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { REDACTED } from '../../src/config/methods.ts';
import { admin, configGet as readConfig } from '../helpers/admin.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
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

type SchemaNode = {
  title?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  patternProperties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
};

test('the Control UI round trip: it edits sourceConfig and saves it back, secrets as the marker', async (t) => {
  const token = 'round-trip-secret-token-0123456789';
  const gw = await startTestGateway({
    config: { gateway: { auth: { token } }, logging: { level: 'info' } },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw, token);
  const got = await readConfig<
    ConfigGet & {
      sourceConfig: Record<string, unknown>;
      resolved: Record<string, unknown>;
      runtimeConfig: Record<string, unknown>;
      appliedConfigHash: string;
      configRevisionHash: string;
    }
  >(client);
  assert.deepEqual(got.sourceConfig, {
    gateway: { auth: { token: '__OPENCLAW_REDACTED__' } },
    logging: { level: 'info' },
  });
  assert.deepEqual(got.resolved, got.sourceConfig);
  assert.deepEqual(got.runtimeConfig, got.config);
  assert.equal(got.appliedConfigHash, got.hash);
  assert.equal(got.configRevisionHash, got.hash);

  // What the settings form saves: the file as read plus the edit, the secret left as the marker.
  const form = structuredClone(got.sourceConfig) as { logging: { level: string } };
  form.logging.level = 'debug';
  const saved = await client.request('config.set', { raw: JSON.stringify(form), baseHash: got.hash });
  assert.equal(saved.ok, true, JSON.stringify(saved.error));
  const file = JSON.parse(readFileSync(gw.configPath, 'utf8'));
  assert.equal(file.gateway.auth.token, token, 'the real secret is kept');
  assert.equal(file.logging.level, 'debug');

  // Before this change the form saved `config` (defaults included), which the file schema refused.
  const effective = await readConfig<ConfigGet>(client);
  assert.equal((effective.config.logging as { level: string }).level, 'debug');
});

test('config.patch without baseHash: only ui.prefs (the UI preference sync); anything else names its paths', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'info' } } });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const prefs = await client.request('config.patch', {
    raw: JSON.stringify({ ui: { prefs: { theme: 'tide', accent: 'theme' } } }),
    note: 'control-ui prefs sync',
  });
  assert.equal(prefs.ok, true, JSON.stringify(prefs.error));
  assert.deepEqual(JSON.parse(readFileSync(gw.configPath, 'utf8')).ui, {
    prefs: { theme: 'tide', accent: 'theme' },
  });

  const mixed = await client.request('config.patch', {
    raw: JSON.stringify({
      ui: { prefs: { theme: 'rose' }, seamColor: '#112233' },
      logging: { level: 'warn' },
    }),
  });
  assertError(
    mixed,
    'INVALID_REQUEST',
    'CONFIG_BASE_HASH_MISMATCH',
    /^config\.patch needs baseHash for logging\.level, ui\.seamColor/,
  );
  assert.equal(JSON.parse(readFileSync(gw.configPath, 'utf8')).ui.prefs.theme, 'tide', 'nothing was written');
  const badTheme = await client.request('config.patch', {
    raw: JSON.stringify({ ui: { prefs: { theme: 'plaid' } } }),
  });
  assertError(badTheme, 'INVALID_REQUEST', 'CONFIG_INVALID', /ui\.prefs\.theme has an unsupported value/);
});

test('an OpenClaw key clawgate lacks is "not supported yet", a typo is an unknown key', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const res = await client.request('config.set', {
    raw: JSON.stringify({ tools: { byProvider: {} }, gateway: { remote: { url: 'ws://x' }, prot: 1 } }),
  });
  assertError(
    res,
    'INVALID_REQUEST',
    'CONFIG_INVALID',
    /tools\.byProvider is an OpenClaw setting that clawgate does not support yet/,
  );
  assert.match(
    res.error?.message ?? '',
    /gateway\.remote is an OpenClaw setting that clawgate does not support yet/,
  );
  assert.match(res.error?.message ?? '', /unknown key gateway\.prot/);
  assert.doesNotMatch(res.error?.message ?? '', /unknown key tools\.byProvider/);
});

test('config.schema describes every key for the UI forms; config.schema.lookup walks it', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const schema = (await client.request('config.schema')).payload as {
    schema: SchemaNode;
    uiHints: Record<string, { label?: string; help?: string; sensitive?: boolean; group?: string }>;
  };
  assert.ok(!('$schema' in (schema.schema.properties ?? {})), 'the editor hint is not a setting');
  const undescribed: string[] = [];
  const walk = (node: SchemaNode, path: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const at = path ? `${path}.${key}` : key;
      const own = child.title && child.description ? child : child.anyOf?.find((b) => b.title);
      if (!child.title || !child.description) if (!own) undescribed.push(at);
      walk(child, at);
      for (const branch of child.anyOf ?? []) walk(branch, at);
      if (child.items) walk(child.items, `${at}.*`);
      for (const value of Object.values(child.patternProperties ?? {})) walk(value, `${at}.*`);
    }
  };
  walk(schema.schema, '');
  assert.deepEqual(undescribed, []);
  assert.equal(schema.uiHints['models.providers.*.apiKey']?.sensitive, true);
  assert.equal(schema.uiHints.logging?.label, 'Logging');
  assert.equal(typeof schema.uiHints['logging.level']?.help, 'string');

  const lookup = await client.request('config.schema.lookup', { path: 'gateway.auth' });
  assert.equal(lookup.ok, true, JSON.stringify(lookup.error));
  assertMatchesOfficial('ConfigSchemaLookupResult', lookup.payload);
  const auth = lookup.payload as {
    children: { key: string; hint: { sensitive?: boolean } }[];
    reloadKind: string;
  };
  assert.deepEqual(
    auth.children.map((c) => c.key),
    ['mode', 'token', 'password', 'rateLimit', 'allowTailscale', 'trustedProxy'],
  );
  assert.equal(auth.children.find((c) => c.key === 'token')?.hint.sensitive, true);
  const port = (await client.request('config.schema.lookup', { path: 'gateway.port' })).payload as {
    reloadKind: string;
  };
  assert.equal(port.reloadKind, 'restart');
  const provider = (await client.request('config.schema.lookup', { path: 'models.providers.acme' }))
    .payload as {
    hintPath: string;
    children: { key: string }[];
  };
  assert.equal(provider.hintPath, 'models.providers.*');
  assert.ok(provider.children.some((c) => c.key === 'apiKey'));
  const missing = await client.request('config.schema.lookup', { path: 'gateway.nope' });
  assert.equal(missing.error?.message, 'config schema path not found');
});
