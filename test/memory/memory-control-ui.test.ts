import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { recordFrames, textWhen } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';

/**
 * OpenClaw's real Control UI (the `openclaw` package's build) on clawgate in headless Chromium: its Memory page
 * reads `doctor.memory.status` on load and searches with `memory.search`. Strings, not functions, run in the page:
 * this project's TypeScript has no DOM types.
 */
const { controlUiDir } = ensureOpenClaw();

test("OpenClaw's Control UI Memory page: awake on clawgate (no more 'needs attention'), and its search finds notes", {
  timeout: 120_000,
}, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  mkdirSync(join(stateDir, 'workspace', 'memory'), { recursive: true });
  writeFileSync(join(stateDir, 'workspace', 'MEMORY.md'), 'The narwhal project ships in June.\n');
  const gw = await startTestGateway({ stateDir, config: { gateway: { controlUi: { root: controlUiDir } } } });
  t.after(() => gw.close());
  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { answers } = recordFrames(page);
  const failures = () => answers.filter((a) => !a.ok && /memory/.test(a.method)).map((a) => a.method);

  await page.goto(`${gw.httpUrl}/settings/memory#token=${gw.token}`);
  const overview = await textWhen(
    page,
    (text) => /Memory is awake|Memory needs attention/.test(text),
    'the Memory page hero',
  );
  assert.doesNotMatch(overview, /needs attention|unknown method/);
  assert.match(overview, /keyword search \(no embeddings\)/);
  assert.deepEqual(failures(), []);

  await page.click('text=Search memories');
  await page.fill('#memory-search-input', 'narwhal');
  await page.click('button[type=submit]:has-text("Search")');
  const results = await textWhen(page, (text) => /\d+ results?/.test(text), 'the search results');
  assert.match(results, /The narwhal project ships in June\./);
  assert.match(results, /MEMORY\.md/);
  assert.deepEqual(failures(), []);
});
