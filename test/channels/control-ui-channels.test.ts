import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { clickLabel, recordFrames, textWhen, until } from '../helpers/control-ui-page.ts';
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
  const { answers } = recordFrames(page);
  await page.goto(`${gw.httpUrl}/channels#token=${gw.token}`);
  const text = await textWhen(
    page,
    // The page fills in as its calls answer: wait for the pairing list too, not just the channel card.
    (body) => body.includes('Webhook') && /DM ACCESS REQUESTS 1/.test(body),
    'the Channels page with its access request',
  );
  assert.match(text, /CONNECTED CHANNELS 1/);
  assert.match(text, /Webhook\s+Last message [^\n]+\s+Running/);
  assert.match(text, /DM ACCESS REQUESTS 1/);
  assert.match(text, /stranger\s+sender id · Webhook · default/);
  // The last Approve: the UI may confirm in a dialog with its own Approve button, after the row's.
  const approve = () => clickLabel(page, 'Approve', { last: true });
  assert.ok(await approve(), 'the Approve button');
  const approvals = () => answers.filter((a) => a.method === 'channels.pairing.approve');
  let clickedAt = performance.now();
  await until(async () => {
    if (approvals().length > 0) return true;
    // Click again (the dialog's button) once the UI has had a moment to open its dialog.
    if (performance.now() - clickedAt >= 200) {
      clickedAt = performance.now();
      await approve();
    }
    return false;
  }, 'channels.pairing.approve called');
  await until(() => approvals().length > 0 && approvals().every((a) => a.ok), 'the approval answered');
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
