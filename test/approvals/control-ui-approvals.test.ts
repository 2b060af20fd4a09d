import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { clickLabel, PAGE_WAIT_MS, recordFrames, textWhen, until } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';

/**
 * OpenClaw's real Control UI on clawgate: the exec approval prompt (shown on `exec.approval.requested`, answered
 * through `exec.approval.resolve`), the /approve deep link (`approval.get` / `approval.resolve`), the Approvals
 * settings page (`approval.history`, `exec.approval.grants.list`) and the Devices page's exec approvals card
 * (`exec.approvals.get` / `set`). Strings, not functions, run in the page: this project has no DOM types.
 */
const { controlUiDir } = ensureOpenClaw();

async function prompt(client: RawClient, frameId: string, command: string): Promise<string> {
  client.send({
    type: 'req',
    id: frameId,
    method: 'exec.approval.request',
    params: {
      command,
      cwd: '/srv/app',
      agentId: 'main',
      sessionKey: 'agent:main:main',
      host: 'gateway',
      twoPhase: true,
    },
  });
  const accepted = await client.response(frameId);
  assert.equal(accepted.ok, true, JSON.stringify(accepted.error));
  return (accepted.payload as { id: string }).id;
}

function decisionOf(client: RawClient, frameId: string): Promise<string | null> {
  return client
    .waitFor(
      (f) => f.type === 'res' && f.id === frameId && 'decision' in ((f.payload as object) ?? {}),
      PAGE_WAIT_MS,
    )
    .then((f) => (f.payload as { decision: string | null }).decision);
}

test("OpenClaw's Control UI on clawgate: the exec approval prompt, the /approve page, Approvals and Devices settings", {
  timeout: 180_000,
}, async (t) => {
  const gw = await startTestGateway({
    config: { gateway: { controlUi: { root: controlUiDir } }, models: { echo: { wordDelayMs: 0 } } },
  });
  t.after(() => gw.close());
  // An admin client raises the prompts, as a node host or plugin would; it is not shown its own prompts.
  const { client } = await connectClient(gw.url, gw.token, {
    scopes: ['operator.admin', 'operator.approvals'],
  });
  t.after(() => client.close());

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { answers } = recordFrames(page);
  const failed = () => answers.filter((a) => !a.ok && /approval/.test(a.method));
  await page.goto(`${gw.httpUrl}/chat#token=${gw.token}`);
  await until(() => answers.some((a) => a.method === 'connect' && a.ok), 'connected');
  await until(
    () => answers.some((a) => a.method === 'exec.approval.list' && a.ok),
    'pending approvals loaded',
  );

  // The prompt: drawn from the requested event, answered with a click.
  await prompt(client, 'q1', 'rm -rf /srv/app/cache');
  const shown = await textWhen(page, (s) => s.includes('Exec approval needed'), 'the approval prompt');
  assert.match(shown, /rm -rf \/srv\/app\/cache/);
  assert.match(shown, /\/srv\/app/);
  const decided = decisionOf(client, 'q1');
  assert.ok(await clickLabel(page, 'Allow once', { visible: true }), 'a visible "Allow once" button');
  assert.equal(await decided, 'allow-once');
  await until(
    () => answers.some((a) => a.method === 'exec.approval.resolve' && a.ok),
    'exec.approval.resolve answered',
  );
  await textWhen(page, (s) => !s.includes('Exec approval needed'), 'the prompt closing');

  // The deep link a prompt's urlPath names: the record read through approval.get, denied with a click.
  const id = await prompt(client, 'q2', 'make deploy');
  await page.goto(`${gw.httpUrl}/approve/${id}#token=${gw.token}`);
  await textWhen(
    page,
    (s) => s.includes('Waiting for your decision') && s.includes('make deploy'),
    'the approve page',
  );
  const denied = decisionOf(client, 'q2');
  assert.ok(await clickLabel(page, 'Deny', { visible: true }), 'a visible "Deny" button');
  assert.equal(await denied, 'deny');

  // Approvals settings: the history of both, newest first, and the (empty) standing-grant ledger.
  await page.goto(`${gw.httpUrl}/settings/approvals#token=${gw.token}`);
  const history = await textWhen(
    page,
    (s) => s.includes('Approval history') && s.includes('make deploy') && s.includes('rm -rf'),
    'the approval history',
  );
  assert.match(history, /No standing grants/);
  assert.ok(history.indexOf('make deploy') < history.indexOf('rm -rf'), 'newest first');

  // Devices: the exec approvals card loads the document and saves a policy change with its hash.
  await page.goto(`${gw.httpUrl}/settings/devices#token=${gw.token}`);
  await textWhen(
    page,
    (s) => s.includes('EXEC APPROVALS') && s.includes('Ask fallback'),
    'the exec approvals card',
  );
  await page
    .locator('.settings-row', { hasText: 'Default prompt policy.' })
    .locator('select')
    .selectOption('always');
  // The card's Save (the exec node binding card below has one too).
  await page.getByRole('button', { name: 'Save' }).first().click();
  await until(() => answers.some((a) => a.method === 'exec.approvals.set'), 'exec.approvals.set sent');
  const snapshot = (await client.request('exec.approvals.get', {})).payload as {
    exists: boolean;
    file: { defaults: { ask?: string } };
  };
  assert.equal(snapshot.exists, true);
  assert.equal(snapshot.file.defaults.ask, 'always');

  assert.deepEqual(failed(), [], 'every approvals call the UI made was answered');
});
