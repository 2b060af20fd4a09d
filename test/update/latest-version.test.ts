import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetchLatestVersion, type LatestVersionOptions } from '../../src/update/latest-version.ts';
import { answerVersion, FakeRegistry, type RegistryReply, stall } from '../helpers/fake-registry.ts';

const MAX_BYTES = 4096;
const options = (overrides: Partial<LatestVersionOptions> = {}): LatestVersionOptions => ({
  timeoutMs: 5_000,
  maxBytes: MAX_BYTES,
  signal: new AbortController().signal,
  userAgent: 'clawgate/0.1.0',
  ...overrides,
});

const answer =
  (status: number, body: string, headers: Record<string, string> = {}): RegistryReply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

test('the version field of the registry document, asked for with clawgate’s user agent', async (t) => {
  const registry = await FakeRegistry.start(t, answerVersion('1.4.2'));
  assert.equal(await fetchLatestVersion(registry.url(), options()), '1.4.2');
  assert.equal(registry.requests[0].headers['user-agent'], 'clawgate/0.1.0');
  assert.equal(registry.requests[0].url, '/clawgate/latest');
});

test('each way a registry answer can be wrong is an error naming it', async (t) => {
  const cases: [string, RegistryReply, RegExp][] = [
    ['HTTP error', answer(500, 'oops'), /registry answered HTTP 500$/],
    ['not found', answer(404, '{"error":"Not found"}'), /registry answered HTTP 404$/],
    ['not JSON', answer(200, '<html>proxy login</html>'), /registry answer is not JSON$/],
    ['JSON null', answer(200, 'null'), /no semver `version` field/],
    ['no version', answer(200, '{"name":"clawgate"}'), /no semver `version` field/],
    ['not semver', answer(200, '{"version":"latest"}'), /no semver `version` field/],
  ];
  for (const [name, reply, expected] of cases) {
    const registry = await FakeRegistry.start(t, reply);
    await assert.rejects(fetchLatestVersion(registry.url(), options()), expected, name);
  }
});

test('an answer past the size cap is refused, declared or streamed, and one exactly at the cap is read', async (t) => {
  const document = (size: number) => {
    const head = '{"version":"1.0.0","pad":"';
    return `${head}${'x'.repeat(size - head.length - 2)}"}`;
  };
  const declared = await FakeRegistry.start(t, answer(200, document(MAX_BYTES + 1)));
  await assert.rejects(fetchLatestVersion(declared.url(), options()), /larger than 4096 bytes/);
  // Chunked, no Content-Length: the cap must hold while streaming, not after buffering it all.
  const streamed = await FakeRegistry.start(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(document(MAX_BYTES * 4).slice(0, MAX_BYTES));
    res.write('xx');
    // Left open: the reader must give up at the cap without waiting for the end.
  });
  await assert.rejects(fetchLatestVersion(streamed.url(), options()), /larger than 4096 bytes/);
  const atCap = await FakeRegistry.start(t, answer(200, document(MAX_BYTES)));
  assert.equal(await fetchLatestVersion(atCap.url(), options()), '1.0.0');
});

test('a silent registry times out, headers or body; a stop aborts; a closed port is named', async (t) => {
  const silent = await FakeRegistry.start(t, stall);
  await assert.rejects(
    fetchLatestVersion(silent.url(), options({ timeoutMs: 100 })),
    /no answer within 100 ms$/,
  );
  const slowBody = await FakeRegistry.start(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"version":');
  });
  await assert.rejects(
    fetchLatestVersion(slowBody.url(), options({ timeoutMs: 100 })),
    /no answer within 100 ms/,
  );

  const stop = new AbortController();
  const pending = fetchLatestVersion(silent.url(), options({ signal: stop.signal }));
  await silent.requested(2);
  stop.abort();
  await assert.rejects(pending, /aborted: the gateway is stopping/);

  const closed = await FakeRegistry.start(t);
  const url = closed.url();
  await closed.close();
  await assert.rejects(fetchLatestVersion(url, options()), /fetch failed: ECONNREFUSED/);
});
