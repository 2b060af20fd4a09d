import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { launchChromium } from '../../helpers/chromium.ts';
import { clickLabel, recordFrames, textWhen, until } from '../../helpers/control-ui-page.ts';
import { cronEvent } from '../../helpers/cron.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { ensureOpenClaw } from '../../helpers/openclaw.ts';
import { connectClient } from '../../helpers/raw-client.ts';

/**
 * OpenClaw's real Control UI (the build shipped in the `openclaw` package, installed on first use) served by
 * clawgate and driven in headless Chromium: the pages whose wire shapes clawgate must match, read as the UI
 * reads them. Strings, not functions, run in the page: this project's TypeScript has no DOM types.
 */
const { controlUiDir } = ensureOpenClaw();

test("OpenClaw's Control UI on clawgate: Usage, Devices, Logs, Advanced (form save) and Appearance work", {
  timeout: 120_000,
}, async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { controlUi: { root: controlUiDir } }, models: { echo: { wordDelayMs: 0 } } },
  });
  t.after(() => gw.close());

  // One real turn, so the Usage page has tokens to show.
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const sent = await client.request('chat.send', {
    sessionKey: 'main',
    message: 'usage please',
    idempotencyKey: 'u1',
  });
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  await client.waitFor((f) => f.event === 'chat' && (f.payload as { state?: string }).state === 'final');

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { requests, answers } = recordFrames(page);
  const open = async (route: string) => {
    const from = answers.length;
    await page.goto(`${gw.httpUrl}${route}#token=${gw.token}`);
    await until(() => answers.slice(from).some((a) => a.method === 'connect' && a.ok), `${route}: connected`);
  };
  /** The page's text once `ready`; never the UI's "refresh required" (it compares its build with the server's). */
  const shows = async (ready: (text: string) => boolean, what: string) => {
    const text = await textWhen(page, ready, what);
    assert.ok(!text.includes('Refresh required'), `${what}: the UI asks for a refresh`);
    return text;
  };

  // Usage: the session's real token count, no crash on the report's shape.
  await open('/usage');
  const usage = await shows((s) => s.includes('agent:main:main'), 'the usage row of the main session');
  assert.doesNotMatch(usage, /Cannot read properties|costDaily/);
  assert.match(usage, /msgs:2/);
  const failed = (method: string) => answers.filter((a) => a.method === method && !a.ok);
  assert.deepEqual(failed('sessions.usage'), []);
  assert.deepEqual(failed('usage.cost'), []);
  assert.deepEqual(failed('usage.status'), []);

  // Devices: the browser that is connected right now is listed as connected.
  await open('/settings/devices');
  const devices = await shows(
    (s) => /[1-9]\d* of \d+ connected/.test(s),
    'the paired-devices summary, once loaded',
  );
  assert.match(devices, /1 of 1 connected/);
  assert.match(devices, /openclaw-control-ui/);

  // Logs: the rows carry clawgate's messages.
  await open('/logs');
  await shows(
    (s) => /listening on ws:\/\/127\.0\.0\.1:\d+/.test(s),
    "clawgate's start-up line in the Logs page",
  );

  // Advanced: a form edit is saved through config.set, with the file's own shape.
  await open('/settings/advanced');
  await shows((s) => s.includes('LOGGING'), 'the Logging section');
  assert.ok(!(await page.evaluate<string>('document.body.innerText')).includes('$SCHEMA'));
  assert.ok(await clickLabel(page, 'debug', { selector: '[role=radio]' }), 'the logging level control');
  const file = () =>
    JSON.parse(readFileSync(gw.configPath, 'utf8')) as { logging?: { level?: string }; ui?: unknown };
  await until(() => file().logging?.level === 'debug', 'logging.level saved as debug');
  assert.deepEqual(failed('config.set'), []);

  // Appearance: the theme is synced through a hash-less config.patch of ui.prefs.
  await open('/settings/appearance');
  await shows((s) => s.includes('Theme'), 'the Theme section');
  assert.ok(await clickLabel(page, 'Tide'), 'the Tide theme button');
  await until(
    () => (file().ui as { prefs?: { theme?: string } })?.prefs?.theme === 'tide',
    'ui.prefs.theme saved',
  );
  assert.deepEqual(failed('config.patch'), []);

  // The UI polls question.list only when it is advertised; clawgate does not advertise it, so it never loops.
  assert.ok(requests.filter((r) => r.method === 'question.list').length <= 1, 'question.list is not polled');
});

test("OpenClaw's Control UI on clawgate: Automations create, run now, run history, edit, pause and remove; Tasks lists the run", {
  timeout: 120_000,
}, async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { controlUi: { root: controlUiDir } }, models: { echo: { wordDelayMs: 0 } } },
  });
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());
  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { requests: sent, answers } = recordFrames(page);
  const failures = () => answers.filter((a) => !a.ok && /^(cron|tasks)\./.test(a.method));
  const jobs = async () =>
    (
      (await client.request('cron.list', { includeDisabled: true })).payload as {
        jobs: { id: string; name: string; enabled: boolean }[];
      }
    ).jobs;

  await page.goto(`${gw.httpUrl}/automations#token=${gw.token}`);
  await textWhen(page, (s) => s.includes('Heartbeat (main)'), 'the heartbeat job in the list');
  await page.click('text=New automation');
  await page.fill('textarea', 'Summarize the news');
  await page.fill('input[placeholder="Morning brief"]', 'News digest');
  await page.click('text=Create & run now');
  await until(() => sent.some((r) => r.method === 'cron.run'), 'cron.run sent by "Create & run now"');
  const [job] = (await jobs()).filter((j) => j.name === 'News digest');
  assert.ok(job, 'the job was created');
  await client.waitFor(cronEvent('finished', job.id), 20_000);

  await page.click('text=Run history');
  await textWhen(page, (s) => /News digest · OK/.test(s), 'the run in the run history');

  // Edit: the UI sends the job's configRevision back as expectedConfigRevision.
  await page.goto(`${gw.httpUrl}/automations#token=${gw.token}`);
  await textWhen(page, (s) => s.includes('News digest'), 'the new job in the list');
  // The page keeps the tab last shown (Run history); the jobs are under "All".
  await page.click('text="All" >> visible=true');
  await page.click('text="News digest"');
  await page.fill('input[placeholder="Morning brief"]', 'News digest 2');
  await page.click('text=Save changes');
  await until(() => sent.some((r) => r.method === 'cron.update'), 'cron.update sent by "Save changes"');
  const update = sent.find((r) => r.method === 'cron.update')?.params as { expectedConfigRevision?: string };
  assert.equal(typeof update.expectedConfigRevision, 'string');
  await textWhen(page, (s) => s.includes('News digest 2'), 'the new name');

  // Pause from the list.
  await page.click('text=All automations');
  await page.click('text="All" >> visible=true');
  await page.click('[title="Pause: News digest 2"]');
  await until(async () => (await jobs()).find((j) => j.id === job.id)?.enabled === false, 'the job paused');

  // Tasks: the run is listed as a completed automation.
  await page.goto(`${gw.httpUrl}/tasks#token=${gw.token}`);
  const tasks = await textWhen(page, (s) => s.includes('1 Completed'), 'the completed run on the Tasks page');
  assert.match(tasks, /News digest/);

  // Remove: the row's menu (a wa-dropdown whose wa-select names the item) asks in a modal; its Remove confirms.
  await page.goto(`${gw.httpUrl}/automations#token=${gw.token}`);
  await textWhen(page, (s) => s.includes('News digest 2'), 'the paused job in the list');
  await page.click('text="All" >> visible=true');
  await page.click('[aria-label="More actions for News digest 2"]');
  await page.click('wa-dropdown-item[value="remove"] >> visible=true');
  await textWhen(page, (s) => s.includes('Remove "News digest 2"?'), 'the confirmation');
  await page.click('button.btn.danger:has-text("Remove")');
  await until(() => sent.some((r) => r.method === 'cron.remove'), 'cron.remove sent by the confirmation');
  await until(async () => !(await jobs()).some((j) => j.id === job.id), 'the job removed');
  await textWhen(page, (s) => !s.includes('News digest 2'), 'the list without the removed job');

  assert.deepEqual(failures(), [], 'no cron.* or tasks.* request failed');
});
