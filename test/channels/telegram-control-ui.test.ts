import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { clickLabel, recordFrames, textWhen } from '../helpers/control-ui-page.ts';
import { startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';

/**
 * OpenClaw's real Control UI, served by clawgate, on its Channels page with a Telegram bot running against the
 * fake Bot API: the Telegram card reads `channels.status` as the UI does. Strings run in the page (no DOM types).
 */
const { controlUiDir } = ensureOpenClaw();

test("OpenClaw's Control UI Channels page shows the Telegram bot running, polling, probed", {
  timeout: 120_000,
}, async (t) => {
  const api = await startFakeBotApi();
  t.after(() => api.close());
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: controlUiDir } },
      channels: { telegram: { botToken: api.token, apiRoot: api.apiRoot } },
    },
  });
  t.after(() => gw.close());
  await api.waitForCall('getUpdates');

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { answers } = recordFrames(page);
  await page.goto(`${gw.httpUrl}/channels#token=${gw.token}`);
  const hub = await textWhen(page, (s) => /CONNECTED CHANNELS 1/.test(s), 'the connected Telegram channel');
  assert.match(hub, /Telegram\nTelegram Bot\nRunning/);
  const opened = await clickLabel(page, 'Telegram Bot', {
    selector: 'button, a, [role=button]',
    partial: true,
  });
  assert.ok(opened, 'the Telegram card');
  const text = await textWhen(page, (s) => /polling/.test(s), 'the Telegram details');
  const details = text.slice(text.lastIndexOf('TELEGRAM'));
  assert.match(
    details,
    /Configured\nYes\nRunning\nYes\nMode\npolling\nLast start\n\S.*\nLast probe\n\S.*\nProbe ok/,
  );
  assert.doesNotMatch(details, /Last probe\nn\/a/);
  assert.doesNotMatch(text, /unknown method: channels\.status/);
  assert.match(text, /Probe ok/i);
  assert.ok(!text.includes(api.token), 'the token is never shown');
  assert.deepEqual(
    answers.filter((a) => !a.ok && /channels\./.test(a.error?.message ?? '?')),
    [],
  );
});
