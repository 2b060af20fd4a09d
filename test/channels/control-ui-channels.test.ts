import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { eventually } from './conformance.ts';
import { startWebhookNetwork } from './webhook-network.ts';

/**
 * OpenClaw's real Control UI (from the `openclaw` package) on clawgate with the webhook channel: its Channels page
 * reads channels.status and channels.pairing.list as clawgate answers them, shows the account, and approves a
 * pending DM access request. Strings run in the page: this project's TypeScript has no DOM types.
 */
const { controlUiDir } = ensureOpenClaw();

test("OpenClaw's Control UI Channels page shows the webhook account and its DM access request", {
  timeout: 120_000,
}, async (t) => {
  const network = await startWebhookNetwork();
  t.after(() => network.close());
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: controlUiDir } },
      models: { echo: { wordDelayMs: 0 } },
      channels: { webhook: network.config },
    },
  });
  t.after(() => gw.close());
  await network.inject(gw, { chatId: 'stranger', senderId: 'stranger', messageId: '1', text: 'let me in' });
  await eventually(
    () => network.delivered('stranger'),
    (texts) => texts.length === 1,
    'the pairing reply',
  );

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const answers: { method: string; ok: boolean; error?: unknown }[] = [];
  page.on('websocket', (socket) => {
    const methods = new Map<string, string>();
    socket.on('framesent', (frame) => {
      const value = JSON.parse(String(frame.payload)) as { type: string; id: string; method: string };
      if (value.type === 'req') methods.set(value.id, value.method);
    });
    socket.on('framereceived', (frame) => {
      const value = JSON.parse(String(frame.payload)) as {
        type: string;
        id: string;
        ok: boolean;
        error?: unknown;
      };
      if (value.type === 'res')
        answers.push({ method: methods.get(value.id) ?? '?', ok: value.ok, error: value.error });
    });
  });
  await page.goto(`${gw.httpUrl}/channels#token=${gw.token}`);
  const text = await eventually(
    () => page.evaluate<string>('document.body.innerText'),
    // The page fills in as its calls answer: wait for the pairing list too, not just the channel card.
    (body) => body.includes('Webhook') && /DM ACCESS REQUESTS 1/.test(body),
    'the Channels page with its access request',
  );
  assert.match(text, /CONNECTED CHANNELS 1/);
  assert.match(text, /Webhook\s+Last message [^\n]+\s+Running/);
  assert.match(text, /DM ACCESS REQUESTS 1/);
  assert.match(text, /stranger\s+sender id · Webhook · default/);
  const click = (label: string) =>
    page.evaluate<boolean>(
      `(() => { const all = [...document.querySelectorAll('button')].filter((b) => b.textContent.trim() === ${JSON.stringify(label)}); const button = all.at(-1); button?.click(); return Boolean(button); })()`,
    );
  assert.ok(await click('Approve'), 'the Approve button');
  const approved = () => answers.some((a) => a.method === 'channels.pairing.approve');
  const deadline = performance.now() + 20_000;
  while (!approved()) {
    // The UI may confirm in a dialog with its own Approve button.
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (!approved()) await click('Approve');
    assert.ok(performance.now() < deadline, 'channels.pairing.approve was never called');
  }
  await eventually(
    () => answers.filter((a) => a.method === 'channels.pairing.approve'),
    (list) => list.length > 0 && list.every((a) => a.ok),
    'the approval answered',
  );
  assert.deepEqual(
    answers.filter((a) => a.method.startsWith('channels') && !a.ok),
    [],
  );
  await network.inject(gw, { chatId: 'stranger', senderId: 'stranger', messageId: '2', text: 'thanks' });
  await eventually(
    () => network.delivered('stranger'),
    (texts) => texts.at(-1) === 'Echo: thanks',
    'a turn once approved',
  );
});
