import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from '../helpers/chromium.ts';
import { recordFrames, textWhen, until } from '../helpers/control-ui-page.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { approveRequestedSurface, connectTestNode } from '../helpers/node.ts';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { connectClient } from '../helpers/raw-client.ts';

/**
 * OpenClaw's real Control UI on clawgate with a connected, approved node: the Systems page (`environments.list`,
 * `node.list`, `system.info`) lists the gateway host and the node, and the Devices page lists the node. Strings,
 * not functions, run in the page: this project has no DOM types.
 */
const { controlUiDir } = ensureOpenClaw();
const NODE_NAME = 'build-box-7';
/** What the Systems and Devices pages ask the gateway about machines. */
const INVENTORY = ['environments.list', 'node.list', 'system.info'];

test("OpenClaw's Control UI on clawgate: the Systems and Devices pages list the gateway host and a paired node", {
  timeout: 60_000,
}, async (t) => {
  const gw = await startTestGateway({ config: { gateway: { controlUi: { root: controlUiDir } } } });
  t.after(() => gw.close());
  const { client: admin } = await connectClient(gw.url, gw.token, { scopes: ['operator.admin'] });
  t.after(() => admin.close());
  const node = await connectTestNode(t, gw, { displayName: NODE_NAME });
  assert.equal(node.hello.ok, true, JSON.stringify(node.hello.error));
  await approveRequestedSurface(admin);
  const info = (await admin.request('system.info', {})).payload as { machineName: string };

  const context = await launchChromium(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const { requests, answers } = recordFrames(page);
  const inventoryFailures = () => answers.filter((a) => INVENTORY.includes(a.method) && !a.ok);

  await page.goto(`${gw.httpUrl}/systems#token=${gw.token}`);
  const systems = await textWhen(
    page,
    (s) => s.includes(NODE_NAME) && s.includes(info.machineName),
    'the gateway host and the node on the Systems page',
  );
  assert.doesNotMatch(systems, /No machines are available/);
  assert.doesNotMatch(systems, /unknown method|not supported by this gateway/);
  assert.ok(
    requests.some((r) => r.method === 'environments.list'),
    'the Systems page read environments.list',
  );

  await page.goto(`${gw.httpUrl}/settings/devices#token=${gw.token}`);
  // The gateway's own row carries what system.info reports (its disk's free space); the node has its own row.
  const devices = await textWhen(
    page,
    (s) => s.includes(NODE_NAME) && s.includes(info.machineName) && /\d [KMGT]B free/.test(s),
    'the gateway host (with its system.info figures) and the node on the Devices page',
  );
  assert.doesNotMatch(devices, /unknown method|not supported by this gateway/);
  await until(
    () => answers.filter((a) => a.method === 'system.info' && a.ok).length >= 2,
    'system.info read twice',
  );

  assert.deepEqual(inventoryFailures(), [], 'every inventory call the UI made was answered');
});
