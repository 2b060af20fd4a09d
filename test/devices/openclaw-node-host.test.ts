import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

/** The node host takes a few seconds to start on a busy 2-core box; a CLI call about as long. */
const NODE_HOST_WAIT_MS = 90_000;

type NodeHost = { child: ChildProcess; output: () => string; stop(): Promise<void> };

/**
 * `openclaw node run` against the gateway, with its own HOME and state dir (kept across runs: its identity and
 * device token live there), the shared secret from the environment when `token` is given. Stopped by its pid.
 */
function startNodeHost(t: TestContext, gw: TestGateway, home: string, token: string | undefined): NodeHost {
  const { entry } = ensureOpenClaw();
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: home,
    OPENCLAW_STATE_DIR: join(home, '.openclaw'),
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    DO_NOT_TRACK: '1',
    NO_COLOR: '1',
    ...(token ? { OPENCLAW_GATEWAY_TOKEN: token } : {}),
  };
  const child = spawn(
    process.execPath,
    [entry, 'node', 'run', '--host', '127.0.0.1', '--port', String(gw.port), '--display-name', 'ci-node'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host: NodeHost = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Its own process group: the host and anything it spawned, by the pid we started.
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
  t.after(() => host.stop());
  return host;
}

async function admin(t: TestContext, gw: TestGateway): Promise<RawClient> {
  const { client, hello } = await connectClient(gw.url, TEST_TOKEN, {
    scopes: ['operator.admin', 'operator.read', 'operator.write', 'operator.pairing'],
  });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

/** Polls node.list (no sleeping: each poll is a round trip) until `match` holds for a node, or the deadline. */
async function waitForNode(
  client: RawClient,
  match: (node: Record<string, unknown>) => boolean,
  host: NodeHost,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + NODE_HOST_WAIT_MS;
  while (Date.now() < deadline) {
    const res = await client.request('node.list', {});
    const found = (res.payload as { nodes: Record<string, unknown>[] }).nodes.find(match);
    if (found) return found;
    if (host.child.exitCode !== null) break;
    // A node connecting or leaving changes presence; wait for the next change (not one already seen) or a second.
    await client
      .waitForNew((f) => f.type === 'event' && f.event === 'presence', 1_000)
      .catch(() => undefined);
  }
  throw new Error(`the node host did not reach the expected state; its output:\n${host.output()}`);
}

async function cli(t: TestContext, gw: TestGateway, args: string[]): Promise<unknown> {
  const run = await runOpenClaw(t, [...args, '--url', gw.url, '--token', TEST_TOKEN, '--json'], {
    url: gw.url,
    token: TEST_TOKEN,
    timeoutMs: NODE_HOST_WAIT_MS,
  });
  assert.equal(run.code, 0, `openclaw ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

test("OpenClaw's own node host pairs, is approved with the real CLI, runs commands, and reconnects with its device token", async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const operator = await admin(t, gw);
  const home = mkdtempSync(join(tmpdir(), 'clawgate-node-host-'));
  mkdirSync(join(home, '.openclaw'), { recursive: true });
  t.after(() => rmSync(home, { recursive: true, force: true }));

  const host = startNodeHost(t, gw, home, TEST_TOKEN);
  const requested = (await operator.event('node.pair.requested', NODE_HOST_WAIT_MS)) as Frame;
  const request = requested.payload as {
    requestId: string;
    nodeId: string;
    commands: string[];
    caps: string[];
  };
  // What the node host declares (21 commands on 2026.9.6, observed), the shell among them.
  assert.ok(request.commands.length >= 10, JSON.stringify(request.commands));
  assert.ok(request.commands.includes('system.run'));
  assert.ok(request.caps.includes('system'));
  const nodeId = request.nodeId;

  const connected = await waitForNode(operator, (n) => n.nodeId === nodeId && n.connected === true, host);
  assert.equal(connected.clientId, 'node-host');
  assert.equal(connected.clientMode, 'node');
  assert.equal(connected.displayName, 'ci-node');
  assert.equal(connected.approvalState, 'pending-approval');
  assert.equal(typeof connected.pathEnv, 'string');

  // The real CLI: pending, approve, status, list, describe, invoke.
  const pending = (await cli(t, gw, ['nodes', 'pending'])) as { requestId: string }[];
  assert.deepEqual(
    pending.map((p) => p.requestId),
    [request.requestId],
  );
  const approved = (await cli(t, gw, ['nodes', 'approve', request.requestId])) as { requestId: string };
  assert.equal(approved.requestId, request.requestId);
  const status = (await cli(t, gw, ['nodes', 'status'])) as { nodes: Record<string, unknown>[] };
  const row = status.nodes.find((n) => n.nodeId === nodeId);
  assert.equal(row?.approvalState, 'approved');
  assert.ok(row, `node ${nodeId} in nodes status`);
  assert.ok((row.commands as string[]).includes('system.which'));
  const list = (await cli(t, gw, ['nodes', 'list'])) as { paired: { nodeId: string }[] };
  assert.ok(list.paired.some((n) => n.nodeId === nodeId));
  const described = (await cli(t, gw, ['nodes', 'describe', '--node', nodeId.slice(0, 12)])) as {
    nodeId: string;
    connected: boolean;
  };
  assert.equal(described.nodeId, nodeId);
  assert.equal(described.connected, true);
  const which = (await cli(t, gw, [
    'nodes',
    'invoke',
    '--node',
    nodeId,
    '--command',
    'system.which',
    '--params',
    '{"bins":["sh"]}',
  ])) as { ok: boolean; payload: { bins: Record<string, string> } };
  assert.equal(which.ok, true);
  assert.match(which.payload.bins.sh, /\/sh$/);

  // system.run on the node: an admin may; a write-scoped operator may not.
  const ran = await operator.request(
    'node.invoke',
    {
      nodeId,
      command: 'system.run',
      params: { command: ['echo', 'from-the-node'] },
      idempotencyKey: 'run-1',
      timeoutMs: 30_000,
    },
    60_000,
  );
  assert.equal(ran.ok, true, JSON.stringify(ran.error));
  assert.equal((ran.payload as { payload: { stdout: string } }).payload.stdout, 'from-the-node\n');
  const { client: writer } = await connectClient(gw.url, TEST_TOKEN, { scopes: ['operator.write'] });
  t.after(() => writer.close());
  const refused = await writer.request('node.invoke', {
    nodeId,
    command: 'system.run',
    params: { command: ['id'] },
    idempotencyKey: 'run-2',
  });
  assert.equal(refused.error?.code, 'FORBIDDEN');

  // A restart without the shared secret: the stored device token gets it in, with no new approval.
  await host.stop();
  await waitForNode(operator, (n) => n.nodeId === nodeId && n.connected === false, host);
  const seenBefore = operator.frames.filter((f) => f.event === 'node.pair.requested').length;
  const again = startNodeHost(t, gw, home, undefined);
  const back = await waitForNode(operator, (n) => n.nodeId === nodeId && n.connected === true, again);
  assert.equal(back.approvalState, 'approved');
  assert.equal(operator.frames.filter((f) => f.event === 'node.pair.requested').length, seenBefore);
  const again2 = await operator.request('node.invoke', {
    nodeId,
    command: 'system.which',
    params: { bins: ['sh'] },
    idempotencyKey: 'which-2',
  });
  assert.equal(again2.ok, true, JSON.stringify(again2.error));
  await again.stop();
});
