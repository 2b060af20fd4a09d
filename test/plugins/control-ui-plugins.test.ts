import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { recordFrames, textWhen } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { EXAMPLES } from './plugin-helpers.ts';

/**
 * OpenClaw's real Control UI (its 2026.9.6 build) on a clawgate with the example plugins loaded, in headless
 * Chromium: the Plugins page shows an empty catalog without error, Settings → Plugins lists what clawgate loaded,
 * a plugin's page shows it, and its Disable button goes through plugins.setEnabled. Strings, not functions, run in the page (no DOM types here).
 */
const { controlUiDir } = ensureOpenClaw();

test("OpenClaw's Control UI: the Plugins page shows an empty catalog; Settings → Plugins lists the plugins clawgate loaded; Disable applies live", {
  timeout: 120_000,
}, async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: { controlUi: { root: controlUiDir } },
      plugins: { load: { paths: [EXAMPLES.tool, EXAMPLES.gateway] } },
    },
  });
  t.after(() => gw.close());
  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { answers } = recordFrames(page);

  // The Plugins page browses OpenClaw's plugin catalog (ClawHub): clawgate's is empty, and no error is shown.
  await page.goto(`${gw.httpUrl}/plugins#token=${gw.token}`);
  await textWhen(page, (s) => s.includes('Featured'), 'the Plugins page');
  const catalog = () => answers.find((a) => a.method === 'plugins.catalog.browse');
  await textWhen(page, () => catalog() !== undefined, 'the catalog request');
  assert.equal(catalog()?.ok, true);
  assert.doesNotMatch(await page.evaluate<string>('document.body.innerText'), /unknown method/);

  await page.goto(`${gw.httpUrl}/settings/plugins#token=${gw.token}`);
  const list = await textWhen(
    page,
    (s) => s.includes('Visit Counter') && s.includes('Word Count'),
    'both example plugins in the installed list',
  );
  assert.match(list, /Counts the words in a piece of text/);

  await page.click('text=Visit Counter');
  await textWhen(page, (s) => s.includes('Installed version') && s.includes('Disable'), "the plugin's page");
  await page.click('button:has-text("Disable")');
  await textWhen(page, (s) => s.includes('Enable'), 'the Enable button once disabled');
  const client = await admin(t, gw);
  assert.equal(
    (await client.request('visit-counter.visit', {})).error?.message,
    'unknown method: visit-counter.visit',
  );

  const failed = answers.filter((a) => !a.ok && /^plugins\.(list|inspect|setEnabled)$/.test(a.method));
  assert.deepEqual(failed, []);
  assert.ok(answers.some((a) => a.method === 'plugins.setEnabled' && a.ok));
});
