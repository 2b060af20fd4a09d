import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { HostResolver, ResolvedAddress } from '../../src/agents/tools/builtin/ssrf-guard.ts';
import { textOf, toolHarness } from '../helpers/tool-harness.ts';

/**
 * Security: SSRF through web_fetch. Loopback, link-local (the cloud metadata address), private and other special
 * ranges are refused, as literal IPs, as names that resolve there, after a redirect, and when DNS answers a public
 * address next to a private one; a name is resolved once and the connection pinned to the address checked, so a
 * resolver that changes its answer (DNS rebinding) cannot redirect it. DNS is a resolver the tests inject.
 */

async function localServer(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.headers.host} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, hits };
}

/** DNS as a table; every lookup is counted. */
function resolver(table: Record<string, string[] | (() => string[])>) {
  const lookups: string[] = [];
  const resolve: HostResolver = async (hostname) => {
    lookups.push(hostname);
    const entry = table[hostname];
    if (!entry) throw new Error(`ENOTFOUND ${hostname}`);
    const addresses = typeof entry === 'function' ? entry() : entry;
    return addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, lookups };
}

const page = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<html><head><title>Inside</title></head><body><h1>internal</h1><p>secret page</p></body></html>');
};

test('loopback, link-local, private and special addresses are refused as literal IPs, before any connection', async (t) => {
  const server = await localServer(t, page);
  const dns = resolver({});
  const h = toolHarness(t, { resolveHost: dns.resolve });
  for (const url of [
    `http://127.0.0.1:${server.port}/`,
    `http://127.1.2.3:${server.port}/`,
    `http://[::1]:${server.port}/`,
    `http://[::ffff:127.0.0.1]:${server.port}/`,
    `http://0x7f000001:${server.port}/`,
    `http://2130706433:${server.port}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[fd00::1]/',
    'http://198.18.0.1/',
  ]) {
    await assert.rejects(h.run('web_fetch', { url }), /refused to fetch/, url);
  }
  await assert.rejects(h.run('web_fetch', { url: 'file:///etc/passwd' }), /only http and https/);
  await assert.rejects(h.run('web_fetch', { url: `http://user:pw@example.test/` }), /credentials/);
  assert.deepEqual(server.hits, [], 'nothing reached the local server');
  assert.deepEqual(dns.lookups, [], 'literal addresses are not looked up');
});

test('names: localhost and internal names are refused; a name resolving privately (or partly) is refused', async (t) => {
  const server = await localServer(t, page);
  const dns = resolver({
    'rebind.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['93.184.216.34', '10.1.2.3'],
    'v6.test': ['::1'],
  });
  const h = toolHarness(t, { resolveHost: dns.resolve });
  for (const host of ['localhost', 'app.localhost', 'printer.local', 'metadata.google.internal']) {
    await assert.rejects(
      h.run('web_fetch', { url: `http://${host}:${server.port}/` }),
      /internal host/,
      host,
    );
  }
  for (const host of ['rebind.test', 'metadata.test', 'mixed.test', 'v6.test']) {
    await assert.rejects(h.run('web_fetch', { url: `http://${host}:${server.port}/` }), /resolves to/, host);
  }
  assert.deepEqual(server.hits, []);
});

test('a redirect is checked like the first hop: to a private address, or a name that resolves to one, is refused', async (t) => {
  let target = '';
  const server = await localServer(t, (req, res) => {
    if (req.url === '/start') {
      res.writeHead(302, { location: target });
      res.end();
    } else page(req, res);
  });
  const dns = resolver({ 'trusted.test': ['127.0.0.1'], 'evil.test': ['10.0.0.7'] });
  const h = toolHarness(t, {
    resolveHost: dns.resolve,
    config: { tools: { web: { fetch: { ssrfPolicy: { allowedHostnames: ['trusted.test'] } } } } },
  });
  // The allowed host itself is fetched (allowedHostnames is the narrow exception) …
  const ok = await h.run('web_fetch', { url: `http://trusted.test:${server.port}/page` });
  assert.match(textOf(ok), /# internal/);
  assert.equal((ok.details as { title: string }).title, 'Inside');
  // … but it cannot bounce the fetch to a private target.
  for (const location of [
    `http://127.0.0.1:${server.port}/secret`,
    'http://evil.test/secret',
    'http://169.254.169.254/',
  ]) {
    target = location;
    await assert.rejects(
      h.run('web_fetch', { url: `http://trusted.test:${server.port}/start` }),
      /refused to fetch/,
      location,
    );
  }
  assert.ok(!server.hits.some((hit) => hit.endsWith('/secret')), 'no redirect reached its private target');
});

test('DNS rebinding: the name is resolved once per hop and the connection goes to that checked address', async (t) => {
  const server = await localServer(t, page);
  let answers = 0;
  // First answer: the (allowed) local server; every later answer would be somewhere else.
  const dns = resolver({ 'pinned.test': () => (answers++ === 0 ? ['127.0.0.1'] : ['10.66.66.66']) });
  const h = toolHarness(t, {
    resolveHost: dns.resolve,
    config: { tools: { web: { fetch: { ssrfPolicy: { allowedHostnames: ['pinned.test'] } } } } },
  });
  const result = await h.run('web_fetch', {
    url: `http://pinned.test:${server.port}/page`,
    extractMode: 'text',
  });
  assert.match(textOf(result), /internal\n\nsecret page/);
  assert.deepEqual(dns.lookups, ['pinned.test'], 'one lookup, no second resolution by the HTTP client');
  assert.deepEqual(server.hits, [`pinned.test:${server.port} /page`], 'the Host header still names the host');
});

test('caps: the body is cut at maxResponseBytes, a slow server times out, redirects are limited; private access is opt-in', async (t) => {
  const server = await localServer(t, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('a'.repeat(100_000));
    } else if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (req.url === '/slow') {
      // Never answers.
    } else page(req, res);
  });
  const h = toolHarness(t, {
    config: {
      tools: {
        web: {
          fetch: {
            maxResponseBytes: 32_000,
            maxCharsCap: 50_000,
            maxChars: 50_000,
            timeoutSeconds: 1,
            maxRedirects: 2,
            ssrfPolicy: { dangerouslyAllowPrivateNetwork: true },
          },
        },
      },
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  const big = await h.run('web_fetch', { url: `${base}/big` });
  assert.equal((big.details as { rawLength: number }).rawLength, 32_000);
  assert.equal((big.details as { truncated: boolean }).truncated, true);
  assert.match(textOf(big), /cut at 32000 bytes/);
  await assert.rejects(h.run('web_fetch', { url: `${base}/loop` }), /too many redirects/);
  await assert.rejects(h.run('web_fetch', { url: `${base}/slow` }), /longer than 1 s/);
  assert.match(textOf(await h.run('web_fetch', { url: `${base}/` })), /secret page/);
});
