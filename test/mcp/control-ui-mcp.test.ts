import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startHttpMcpServer } from '../fixtures/mcp-server.ts';
import { admin } from '../helpers/admin.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { PAGE_WAIT_MS, recordFrames, textWhen } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';

/**
 * OpenClaw's real Control UI (its 2026.9.6 build) in headless Chromium on a clawgate with one stdio MCP server:
 * Settings → MCP lists it (its env secret never shown), and "Add server" writes a Streamable HTTP server through
 * config.patch, which the gateway applies live: the new server's tools are listed at once; its row's Disable
 * retires it and its remove button deletes it. Strings, not functions, run in the page (no DOM types here).
 */
const { controlUiDir } = ensureOpenClaw();
const FIXTURE = new URL('../fixtures/mcp-server.ts', import.meta.url).pathname;
const SECRET = 'control-ui-mcp-secret-0123456789';

test("OpenClaw's Control UI: Settings → MCP lists the configured server; Add server, Disable and remove apply live", {
  timeout: 120_000,
}, async (t) => {
  const http = await startHttpMcpServer();
  t.after(() => http.close());
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: controlUiDir } },
      mcp: {
        servers: { local: { command: process.execPath, args: [FIXTURE], env: { SECRET_TOKEN: SECRET } } },
      },
    },
  });
  t.after(() => gw.close());
  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { answers, received } = recordFrames(page);

  await page.goto(`${gw.httpUrl}/settings/mcp#token=${gw.token}`);
  await textWhen(
    page,
    (s) => s.includes('local') && s.includes(process.execPath),
    'the configured stdio server',
  );

  await page.click('button:has-text("Add server")');
  await page.fill('input[name="mcp-name"]', 'remote');
  await page.selectOption('select[name="mcp-transport"]', 'streamable-http');
  await page.fill('input[name="mcp-target"]', http.url);
  await page.click('form.mcp-server-form button[type="submit"]');
  await textWhen(page, (s) => s.includes(http.url), 'the added server in the list');

  const written = JSON.parse(readFileSync(gw.configPath, 'utf8')) as {
    mcp: { servers: Record<string, unknown> };
  };
  assert.deepEqual(written.mcp.servers.remote, { url: http.url, transport: 'streamable-http' });
  assert.deepEqual(
    answers.filter((a) => !a.ok && /^config\./.test(a.method)),
    [],
  );
  assert.ok(answers.some((a) => a.method === 'config.patch' && a.ok));
  assert.equal(
    received.some((frame) => frame.includes(SECRET)),
    false,
    'the env secret never reached the page',
  );

  // Applied live: the new server's tools are there for the next turn.
  const client = await admin(t, gw);
  const catalog = await client.request('tools.catalog', {}, PAGE_WAIT_MS);
  const mcpTools = (catalog.payload as { groups: { id: string; tools: { id: string }[] }[] }).groups
    .find((group) => group.id === 'plugin:bundle-mcp')
    ?.tools.map((tool) => tool.id);
  assert.ok(mcpTools?.includes('remote__add'), `listed: ${mcpTools}`);
  assert.ok(mcpTools?.includes('local__add'));

  // Disable keeps the definition and retires the server; remove deletes it.
  const listed = async () => {
    const res = await client.request('tools.catalog', {}, PAGE_WAIT_MS);
    return (res.payload as { groups: { id: string; tools: { id: string }[] }[] }).groups
      .find((group) => group.id === 'plugin:bundle-mcp')
      ?.tools.map((tool) => tool.id);
  };
  const file = () =>
    (JSON.parse(readFileSync(gw.configPath, 'utf8')) as { mcp: { servers: Record<string, unknown> } }).mcp
      .servers;
  await page.click('.mcp-server-row[data-mcp-name="remote"] button:has-text("Disable")');
  await textWhen(
    page,
    () => (file().remote as { enabled?: boolean } | undefined)?.enabled === false,
    'remote disabled',
  );
  assert.equal((await listed())?.includes('remote__add'), false);
  await page.click('.mcp-server-row[data-mcp-name="remote"] button.mcp-server-remove');
  await textWhen(page, () => !('remote' in file()), 'remote removed from the file');
  assert.deepEqual(Object.keys(file()), ['local']);
  assert.deepEqual(
    answers.filter((a) => !a.ok && /^config\./.test(a.method)),
    [],
  );
});
