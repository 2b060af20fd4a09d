import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { until } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { connectClient, type Frame } from '../helpers/raw-client.ts';

/**
 * OpenClaw's real Control UI (the `openclaw` package's build) in headless Chromium shows clawgate's tool cards: live,
 * from the `agent` tool stream while the tool is still running, and from `chat.history` after a reload.
 */
const { controlUiDir } = ensureOpenClaw();
// Generous: on a loaded 2-core box a reload re-runs the whole UI bundle before history is fetched.
const PAGE_WAIT_MS = 60_000;

/** Waits until `text` is on the page; locators see into the UI's shadow roots. */
function shows(page: Page, text: string, what: string): Promise<void> {
  return until(
    async () => (await page.getByText(text, { exact: false }).count()) > 0,
    `${what}: "${text}" shown`,
    PAGE_WAIT_MS,
  );
}

test("OpenClaw's Control UI shows a running tool's card live, and tool cards from chat.history after a reload", {
  timeout: 150_000,
}, async (t) => {
  // A page that never answers keeps web_fetch running while the card is looked at.
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const slowUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: controlUiDir } },
      models: { echo: { wordDelayMs: 0 } },
      tools: { web: { fetch: { ssrfPolicy: { dangerouslyAllowPrivateNetwork: true } } } },
    },
  });
  t.after(() => gw.close());
  mkdirSync(join(gw.stateDir, 'workspace'), { recursive: true });
  writeFileSync(join(gw.stateDir, 'workspace', 'notes.txt'), 'the card shows this file\n');
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const ended = (runId: string) => (f: Frame) =>
    f.event === 'chat' &&
    (f.payload as { runId: string }).runId === runId &&
    ['final', 'aborted', 'error'].includes((f.payload as { state: string }).state);

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${gw.httpUrl}/chat#token=${gw.token}`);
  await shows(page, 'Message Assistant', 'the chat composer');

  // Live: the card appears while the fetch is still running (the run has not ended), from the agent tool stream.
  const sent = await client.request('chat.send', {
    sessionKey: 'main',
    message: `@tool web_fetch {"url":"${slowUrl}"}`,
    idempotencyKey: 'ui-live',
  });
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  await shows(page, `Fetched ${slowUrl}`, 'the running web_fetch card');
  assert.ok(!client.frames.some(ended('ui-live')), 'the card was shown while the tool ran');
  await client.request('chat.abort', { sessionKey: 'main', runId: 'ui-live' });
  await client.waitFor(ended('ui-live'), PAGE_WAIT_MS);
  await shows(page, 'failed', 'the aborted card');

  // A finished tool turn, then a reload: the cards come back from chat.history's toolCall / toolResult messages.
  await client.request('chat.send', {
    sessionKey: 'main',
    message: '@tool read {"path":"notes.txt"}',
    idempotencyKey: 'ui-read',
  });
  await client.waitFor(ended('ui-read'), PAGE_WAIT_MS);
  await shows(page, 'Echo: the card shows this file', 'the answer built from the tool result');
  await page.reload();
  await shows(page, 'Read notes.txt', 'the read card from history');
  await shows(page, `Fetched ${slowUrl}`, 'the fetch card from history');
  await shows(page, 'Echo: the card shows this file', 'the reply from history');
});
