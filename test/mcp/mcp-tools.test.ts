import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { startHttpMcpServer, startSseMcpServer } from '../fixtures/mcp-server.ts';
import { admin, configGet } from '../helpers/admin.ts';
import { startFakeProvider } from '../helpers/fake-provider.ts';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import type { RawClient } from '../helpers/raw-client.ts';

/**
 * MCP servers end to end against a real MCP server built on the SDK's server side: spawned over stdio from
 * test/fixtures/mcp-server.ts, and over Streamable HTTP on 127.0.0.1. Their tools become agent tools named
 * `<server>__<tool>` that a model turn calls through the fake provider's real tool-call stream, under the same
 * tool policy; a crashed server restarts with back-off while /readyz lists it; secrets in env and headers never
 * reach the wire or the log; close() leaves no child process and no socket.
 */
const WAIT_MS = 20_000;
const FIXTURE = new URL('../fixtures/mcp-server.ts', import.meta.url).pathname;
const ENV_SECRET = 'mcp-env-secret-0123456789abcdef';
const HEADER_SECRET = 'mcp-header-secret-fedcba9876543210';

const stdioServer = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [FIXTURE],
  env: { SECRET_TOKEN: ENV_SECRET },
  ...extra,
});

/** Host exec `full`/`off`, so MCP tools run unasked (`approve`); mcp-approvals.test.ts covers the prompts. */
async function gateway(t: TestContext, config: Record<string, unknown>, options: TestGatewayOptions = {}) {
  const tools = { ...(config.tools as Record<string, unknown>), exec: { security: 'full', ask: 'off' } };
  const gw = await startTestGateway({ config: { ...config, tools }, ...options });
  t.after(() => gw.close());
  return { gw, client: await admin(t, gw) };
}

async function call<T>(client: RawClient, method: string, params: unknown): Promise<T> {
  const res = await client.request(method, params, WAIT_MS);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

type Invoked = {
  ok: boolean;
  output?: { content: { text: string }[]; details?: unknown };
  source?: string;
  error?: { code: string; message: string };
};
const invoke = (client: RawClient, name: string, args: Record<string, unknown> = {}) =>
  call<Invoked>(client, 'tools.invoke', { name, args });

async function readyz(
  gw: TestGateway,
): Promise<{ status: number; body: { degraded?: { name: string; reason: string }[] } }> {
  const res = await fetch(`${gw.httpUrl}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { degraded?: { name: string; reason: string }[] },
  };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    assert.ok(performance.now() < deadline, `${what}: last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a model turn calls a stdio MCP server’s tool through the provider’s real tool-call stream and gets its result', async (t) => {
  const fake = await startFakeProvider();
  t.after(() => fake.close());
  const { client } = await gateway(t, {
    models: {
      providers: {
        fake: { baseUrl: fake.openaiBaseUrl, apiKey: 'sk-test-0123456789', api: 'openai-completions' },
      },
    },
    agents: { defaults: { model: 'fake/m1' } },
    mcp: { servers: { local: stdioServer() } },
  });
  fake.enqueue({
    text: 'Adding.',
    toolCalls: [{ id: 'call_add', name: 'local__add', arguments: { a: 2, b: 3 }, argumentChunks: 3 }],
  });
  fake.enqueue({ text: 'It is 5.' });
  const sent = await client.request(
    'chat.send',
    { sessionKey: 'main', message: 'add 2 and 3', idempotencyKey: 'm-1' },
    WAIT_MS,
  );
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  const end = await client.waitFor(
    (f) => f.event === 'chat' && ['final', 'error'].includes((f.payload as { state: string }).state),
    WAIT_MS,
  );
  assert.equal((end.payload as { state: string }).state, 'final', JSON.stringify(end.payload));

  const first = (await fake.waitForRequest(1)).body as {
    tools: { function: { name: string; description: string; parameters: Record<string, unknown> } }[];
  };
  const add = first.tools.find((tool) => tool.function.name === 'local__add');
  assert.ok(add, `offered: ${first.tools.map((tool) => tool.function.name).join(', ')}`);
  assert.equal(add.function.description, 'Adds two numbers.');
  assert.deepEqual(add.function.parameters.required, ['a', 'b']);
  const second = (await fake.waitForRequest(2)).body as { messages: Record<string, unknown>[] };
  assert.deepEqual(second.messages.at(-1), { role: 'tool', tool_call_id: 'call_add', content: '2 + 3 = 5' });

  // tools.catalog and tools.effective name the server's tools as MCP (bundle-mcp) ones.
  const effective = await call<{ groups: { source: string; tools: { id: string; mcpServer?: string }[] }[] }>(
    client,
    'tools.effective',
    { sessionKey: 'main' },
  );
  const mcp = effective.groups.find((group) => group.source === 'mcp');
  assert.deepEqual(
    mcp?.tools.map((tool) => `${tool.id}@${tool.mcpServer}`).sort(),
    ['local__add', 'local__crash', 'local__pid', 'local__read_env', 'local__request_header'].map(
      (id) => `${id}@local`,
    ),
  );
  const catalog = await call<{ groups: { id: string; tools: { id: string }[] }[] }>(
    client,
    'tools.catalog',
    {},
  );
  assert.ok(
    catalog.groups
      .find((group) => group.id === 'plugin:bundle-mcp')
      ?.tools.some((tool) => tool.id === 'local__add'),
  );
});

test('tool policy applies to MCP tools: a deny by name, by bundle-mcp, and toolFilter', async (t) => {
  const { client } = await gateway(t, {
    tools: { deny: ['local__read_env'] },
    agents: {
      list: [
        { id: 'main', default: true },
        { id: 'strict', tools: { deny: ['bundle-mcp'] } },
      ],
    },
    mcp: { servers: { local: stdioServer({ toolFilter: { exclude: ['crash'] } }) } },
  });
  assert.equal((await invoke(client, 'local__add', { a: 1, b: 1 })).ok, true);
  const denied = await invoke(client, 'local__read_env', { name: 'SECRET_TOKEN' });
  assert.equal(denied.ok, false);
  assert.equal(denied.error?.code, 'not_found');
  assert.equal((await invoke(client, 'local__crash')).error?.code, 'not_found', 'filtered out by toolFilter');
  const strict = await call<{ groups: { source: string }[] }>(client, 'tools.effective', {
    sessionKey: 'agent:strict:main',
  });
  assert.equal(
    strict.groups.some((group) => group.source === 'mcp'),
    false,
  );
  const main = await call<{ groups: { source: string; tools: { id: string }[] }[] }>(
    client,
    'tools.effective',
    { sessionKey: 'main' },
  );
  assert.deepEqual(
    main.groups
      .find((group) => group.source === 'mcp')
      ?.tools.map((tool) => tool.id)
      .sort(),
    ['local__add', 'local__pid', 'local__request_header'],
  );
});

test('a crashed stdio server restarts with back-off; /readyz lists it as degraded meanwhile; close() leaves no process', async (t) => {
  const { gw, client } = await gateway(
    t,
    { mcp: { servers: { local: stdioServer() } } },
    { mcpRestart: { initialMs: 300, maxMs: 1_000 } },
  );
  const pid = Number((await invoke(client, 'local__pid')).output?.content[0]?.text);
  assert.ok(alive(pid));
  assert.equal((await readyz(gw)).body.degraded, undefined);

  await client.request('tools.invoke', { name: 'local__crash', args: {} }, WAIT_MS);
  const degraded = await until(
    () => readyz(gw),
    (r) => (r.body.degraded ?? []).some((entry) => entry.name === 'mcp:local'),
    'mcp:local degraded in /readyz',
  );
  assert.equal(degraded.status, 200, 'a degraded MCP server does not make the gateway unready');
  assert.match(
    degraded.body.degraded?.[0]?.reason ?? '',
    /MCP server local: the server process exited; restarting in 300 ms/,
  );

  const restarted = await until(
    () => invoke(client, 'local__pid'),
    (r) => r.ok && Number(r.output?.content[0]?.text) !== pid,
    'the restarted server answering',
  );
  const newPid = Number(restarted.output?.content[0]?.text);
  assert.equal((await readyz(gw)).body.degraded, undefined, 'back to healthy once restarted');

  // A second crash soon after doubles the delay.
  await client.request('tools.invoke', { name: 'local__crash', args: {} }, WAIT_MS);
  const again = await until(
    () => readyz(gw),
    (r) => (r.body.degraded ?? []).some((entry) => entry.name === 'mcp:local'),
    'degraded again',
  );
  assert.match(again.body.degraded?.[0]?.reason ?? '', /restarting in 600 ms/);
  const third = await until(
    () => invoke(client, 'local__pid'),
    (r) => r.ok && Number(r.output?.content[0]?.text) !== newPid,
    'restarted again',
  );
  const lastPid = Number(third.output?.content[0]?.text);
  await gw.close();
  assert.equal(alive(lastPid), false, 'close() stopped the server process');
  assert.equal(alive(pid) || alive(newPid), false);
});

test('servers start lazily: nothing is spawned or dialled until a turn or tools method needs the tools', async (t) => {
  const http = await startHttpMcpServer();
  t.after(() => http.close());
  const { gw, client } = await gateway(t, {
    mcp: { servers: { remote: { url: http.url, transport: 'streamable-http' } } },
  });
  assert.equal((await readyz(gw)).status, 200);
  await call(client, 'health', {});
  assert.equal(http.requests.length, 0, 'no request before the tools are needed');
  await call(client, 'tools.catalog', {});
  assert.ok(http.requests.length > 0);
});

test('Streamable HTTP: tools called with the configured headers; env and header secrets never reach the wire or the log', async (t) => {
  const http = await startHttpMcpServer();
  t.after(() => http.close());
  const { gw, client } = await gateway(
    t,
    {
      logging: { level: 'debug' },
      mcp: {
        servers: {
          remote: {
            url: http.url,
            transport: 'streamable-http',
            headers: {
              Authorization: 'env:CLAWGATE_TEST_MCP_HEADER',
              'X-Literal': `literal-${HEADER_SECRET}`,
            },
          },
          local: stdioServer(),
        },
      },
    },
    { env: { CLAWGATE_TEST_MCP_HEADER: HEADER_SECRET }, keepStateDir: true },
  );
  t.after(() => rmSync(gw.stateDir, { recursive: true, force: true }));
  const sum = await invoke(client, 'remote__add', { a: 40, b: 2 });
  assert.equal(sum.output?.content[0]?.text, '40 + 2 = 42');
  assert.deepEqual(sum.output?.details, { sum: 42 });
  assert.equal(sum.source, 'mcp');
  assert.ok(
    http.requests.some((headers) => headers.authorization === HEADER_SECRET),
    'the header reached the server',
  );

  // A server that echoes its credentials back: the result is redacted before anyone sees it.
  const header = await invoke(client, 'remote__request_header', { name: 'authorization' });
  assert.equal(header.output?.content[0]?.text, 'authorization: [REDACTED]');
  const env = await invoke(client, 'local__read_env', { name: 'SECRET_TOKEN' });
  assert.equal(env.output?.content[0]?.text, 'SECRET_TOKEN=[REDACTED]');

  const got = await configGet<{
    raw: string;
    config: {
      mcp: { servers: Record<string, { env?: Record<string, string>; headers?: Record<string, string> }> };
    };
  }>(client);
  assert.equal(got.config.mcp.servers.local?.env?.SECRET_TOKEN, '__OPENCLAW_REDACTED__');
  assert.equal(got.config.mcp.servers.remote?.headers?.['X-Literal'], '__OPENCLAW_REDACTED__');
  assert.equal(got.config.mcp.servers.remote?.headers?.Authorization, 'env:CLAWGATE_TEST_MCP_HEADER');
  assert.doesNotMatch(got.raw, new RegExp(`${ENV_SECRET}|${HEADER_SECRET}`));
  const schema = await call<{ uiHints: Record<string, { sensitive?: boolean }> }>(
    client,
    'config.schema',
    {},
  );
  assert.equal(schema.uiHints['mcp.servers.*.env.*']?.sensitive, true);
  assert.equal(schema.uiHints['mcp.servers.*.headers.*']?.sensitive, true);

  // An unchanged config.set (the redaction marker echoed back) keeps the stored secret.
  const { hash } = await configGet<{ hash: string }>(client);
  const patched = await client.request(
    'config.patch',
    {
      raw: JSON.stringify({
        logging: { level: 'debug' },
        mcp: { servers: { local: { env: { SECRET_TOKEN: '__OPENCLAW_REDACTED__' } } } },
      }),
      baseHash: hash,
    },
    WAIT_MS,
  );
  assert.equal(patched.ok, true, JSON.stringify(patched.error));
  assert.match(readFileSync(gw.configPath, 'utf8'), new RegExp(ENV_SECRET));

  await gw.close();
  // The stdio server printed its secret to stderr; the debug log kept the line, not the secret.
  const log = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8');
  assert.match(log, /bundle-mcp:local: test MCP server up; SECRET_TOKEN=\[REDACTED\]/);
  assert.doesNotMatch(log, new RegExp(`${ENV_SECRET}|${HEADER_SECRET}`));
});

test('SSE (the default for a url without a transport) and a live config change: a removed server stops, an added one starts', async (t) => {
  const sse = await startSseMcpServer();
  t.after(() => sse.close());
  const { client } = await gateway(t, {
    mcp: { servers: { legacy: { url: sse.url }, local: stdioServer() } },
  });
  const sum = await invoke(client, 'legacy__add', { a: 3, b: 4 });
  assert.equal(sum.output?.content[0]?.text, '3 + 4 = 7');
  assert.equal(sum.source, 'mcp');
  const pid = Number((await invoke(client, 'local__pid')).output?.content[0]?.text);

  const { hash } = await configGet<{ hash: string }>(client);
  const patch = { mcp: { servers: { local: null, other: stdioServer() } } };
  const patched = await client.request(
    'config.patch',
    { raw: JSON.stringify(patch), baseHash: hash },
    WAIT_MS,
  );
  assert.equal(patched.ok, true, JSON.stringify(patched.error));
  await until(
    async () => alive(pid),
    (up) => !up,
    'the removed server’s process gone',
  );
  assert.equal((await invoke(client, 'local__pid')).error?.code, 'not_found');
  assert.equal((await invoke(client, 'other__add', { a: 1, b: 1 })).output?.content[0]?.text, '1 + 1 = 2');
  assert.equal(
    (await invoke(client, 'legacy__add', { a: 0, b: 1 })).ok,
    true,
    'the unchanged server kept working',
  );
});

test('a server that cannot start is reported and retried; one that never answers does not hold up shutdown', {
  timeout: 30_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-mcp-hang-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'pid');
  const gw = await startTestGateway({
    config: {
      mcp: {
        servers: {
          missing: { command: join(dir, 'no-such-binary') },
          silent: {
            command: process.execPath,
            args: [
              '-e',
              "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)",
              pidFile,
            ],
            connectionTimeoutMs: 600_000,
          },
        },
      },
    },
    mcpRestart: { initialMs: 60_000, maxMs: 60_000 },
  });
  const client = await admin(t, gw);
  // The catalog waits for the silent server (its timeout is ten minutes): left pending while the gateway stops.
  const pending = client.request('tools.catalog', {}, WAIT_MS).catch(() => undefined);
  const degraded = await until(
    () => readyz(gw),
    (r) => (r.body.degraded ?? []).some((entry) => entry.name === 'mcp:missing'),
    'mcp:missing degraded',
  );
  assert.match(
    degraded.body.degraded?.find((entry) => entry.name === 'mcp:missing')?.reason ?? '',
    /MCP server missing: could not connect: .*ENOENT.*; restarting in 60000 ms/,
  );
  const pid = Number(
    await until(
      async () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : ''),
      (text) => text !== '',
      'the silent server started',
    ),
  );
  assert.ok(alive(pid));
  await gw.close();
  client.close();
  void pending;
  assert.equal(alive(pid), false, 'the connect in flight was abandoned and its process stopped');
});

test('close() leaves no timer, socket or child process behind (stdio and Streamable HTTP)', async (t) => {
  const http = await startHttpMcpServer();
  t.after(() => http.close());
  let pid = 0;
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({
      config: {
        mcp: { servers: { remote: { url: http.url, transport: 'streamable-http' }, local: stdioServer() } },
      },
    });
    const client = await admin({ after: () => undefined }, gw);
    assert.equal((await invoke(client, 'remote__add', { a: 1, b: 2 })).ok, true);
    pid = Number((await invoke(client, 'local__pid')).output?.content[0]?.text);
    client.close();
    await gw.close();
  });
  assert.deepEqual(left, []);
  assert.equal(alive(pid), false);
  await until(
    async () => http.open(),
    (open) => open === 0,
    'the HTTP server’s connections closed',
  );
});

test('mcp.servers is validated: a server needs a command or a url matching its transport; unsupported keys are named', async () => {
  const { buildConfig, validateConfigFile } = await import('../../src/config/load.ts');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ a: {} }, /mcp\.servers\.a: an enabled server needs a command \(stdio\) or a url/],
    [
      { a: { command: 'x', url: 'http://h/' } },
      /mcp\.servers\.a: set command \(stdio\) or url \(HTTP\), not both/,
    ],
    [{ a: { url: 'http://h/', transport: 'stdio' } }, /mcp\.servers\.a\.transport: stdio needs a command/],
    [{ a: { command: 'x', transport: 'sse' } }, /mcp\.servers\.a\.transport: sse needs a url/],
  ];
  const overrides = { token: 'token-0123456789abcdef' };
  for (const [servers, message] of cases) {
    assert.throws(() => buildConfig({ mcp: { servers } }, {}, overrides), message);
  }
  assert.doesNotThrow(() => buildConfig({ mcp: { servers: { off: { enabled: false } } } }, {}, overrides));
  await validateConfigFile(
    { mcp: { servers: { a: { command: 'x', args: ['-y'], env: { K: 'v' } } } } },
    'c.json',
  );
  await assert.rejects(
    validateConfigFile({ mcp: { sessionIdleTtlMs: 5 } }, 'c.json'),
    /mcp\.sessionIdleTtlMs is an OpenClaw setting that clawgate does not support yet/,
  );
  await assert.rejects(
    validateConfigFile({ mcp: { servers: { a: { command: 'x', bogus: 1 } } } }, 'c.json'),
    /unknown key mcp\.servers\.a\.bogus/,
  );
});
