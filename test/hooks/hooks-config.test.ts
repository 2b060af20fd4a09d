import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin, configGet } from '../helpers/admin.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { handlesLeftBy } from '../helpers/handles.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';
import { BEARER, ECHO_FAST, HOOK_TOKEN, hookRequest, hooksConfig, jsonOf } from './hook-client.ts';

async function patch(client: RawClient, raw: string) {
  const { hash } = await configGet<{ hash: string }>(client);
  return client.request('config.patch', { raw, baseHash: hash });
}

test('start-up refuses hooks.enabled without a token, and a hook token equal to the gateway token or password', async (t) => {
  await assert.rejects(startTestGateway({ config: { hooks: { enabled: true } } }), {
    name: 'ConfigError',
    message: /^hooks\.token: required when hooks\.enabled is true/,
  });
  await assert.rejects(startTestGateway({ config: { hooks: { enabled: true, token: 'change-me' } } }), {
    message: /^hooks\.token is blank or a placeholder/,
  });
  // The --token flag (the test harness passes TEST_TOKEN as one), a token in the file, a password.
  await assert.rejects(startTestGateway({ config: { hooks: { enabled: true, token: TEST_TOKEN } } }), {
    name: 'ConfigError',
    message: /^hooks\.token must not equal the gateway token/,
  });
  const shared = 'shared-secret-0123456789abcdef';
  await assert.rejects(
    startTestGateway({
      config: { gateway: { auth: { token: shared } }, hooks: { enabled: true, token: shared } },
    }),
    { message: /^hooks\.token must not equal the gateway token/ },
  );
  await assert.rejects(
    startTestGateway({
      config: {
        gateway: { auth: { mode: 'password', password: shared } },
        hooks: { enabled: true, token: shared },
      },
    }),
    { message: /^hooks\.token must not equal the gateway password/ },
  );
  // A generated token is known only after the file is built: it is checked then too.
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-hooks-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  writeFileSync(join(stateDir, 'gateway.token'), `${shared}\n`);
  await assert.rejects(
    startTestGateway({
      stateDir,
      overrides: { authMode: 'token' },
      config: { hooks: { enabled: true, token: shared } },
    }),
    { message: /^hooks\.token must not equal the gateway token/ },
  );
  await assert.rejects(startTestGateway({ config: { hooks: { path: '/' } } }), {
    message: /^hooks\.path may not be "\/"/,
  });
  await assert.rejects(
    startTestGateway({
      config: hooksConfig({ mappings: [{ match: { path: 'x' }, sessionKey: 'hook:{{id}}' }] }),
    }),
    { message: /^hooks\.mappings\[0\]\.sessionKey is a template: set hooks\.allowedSessionKeyPrefixes/ },
  );
  await assert.rejects(startTestGateway({ config: hooksConfig({ mappings: [{ agentId: 'ghost' }] }) }), {
    message: /^hooks\.mappings\[0\]\.agentId "ghost" is not a configured agent/,
  });
  await assert.rejects(
    startTestGateway({ config: hooksConfig({ allowedSessionKeyPrefixes: ['github:'] }) }),
    {
      message: /^hooks\.allowedSessionKeyPrefixes must include "hook:"/,
    },
  );
  // OpenClaw's keys clawgate lacks are named as such, not ignored.
  await assert.rejects(startTestGateway({ config: hooksConfig({ presets: ['gmail'] }) }), {
    message: /hooks\.presets is an OpenClaw setting that clawgate does not support yet/,
  });
});

test('disabled, the hooks path is not served; config.patch enables, moves and disables it live; a reused token is refused unwritten', async (t) => {
  const gw = await startTestGateway({ config: ECHO_FAST });
  t.after(() => gw.close());
  const client = await admin(t, gw);

  const off = await hookRequest(gw, '/hooks/wake', { body: { text: 'x' } });
  assert.equal(off.status, 404);
  assert.deepEqual(
    jsonOf(off),
    { error: { message: 'Not Found', type: 'not_found' } },
    'the router, not the hooks',
  );

  const withoutToken = await patch(client, '{hooks:{enabled:true}}');
  assert.equal(withoutToken.error?.code, 'INVALID_REQUEST');
  assert.match(withoutToken.error?.message ?? '', /hooks\.token: required when hooks\.enabled is true/);
  const reused = await patch(client, `{hooks:{enabled:true,token:"${TEST_TOKEN}"}}`);
  assert.match(reused.error?.message ?? '', /hooks\.token must not equal the gateway token/);
  assert.ok(!readFileSync(gw.configPath, 'utf8').includes('hooks'), 'nothing was written');

  const on = await patch(client, `{hooks:{enabled:true,token:"${HOOK_TOKEN}"}}`);
  assert.equal(on.ok, true, JSON.stringify(on.error));
  assert.equal((await hookRequest(gw, '/hooks/wake', { body: { text: 'live' } })).status, 200);
  const redacted = await configGet<{ config: { hooks: { token: string } } }>(client);
  assert.equal(redacted.config.hooks.token, '__OPENCLAW_REDACTED__');

  assert.equal((await patch(client, '{hooks:{path:"ingest/"}}')).ok, true);
  assert.equal((await hookRequest(gw, '/hooks/wake', { body: { text: 'x' } })).status, 404);
  assert.equal((await hookRequest(gw, '/ingest/wake', { body: { text: 'moved' } })).status, 200);
  const rotated = await patch(client, '{hooks:{token:"rotated-hook-token-0123456789"}}');
  assert.equal(rotated.ok, true);
  assert.equal((await hookRequest(gw, '/ingest/wake', { body: { text: 'old token' } })).status, 401);
  const fresh = { authorization: 'Bearer rotated-hook-token-0123456789' };
  assert.equal(
    (await hookRequest(gw, '/ingest/wake', { headers: fresh, body: { text: 'new token' } })).status,
    200,
  );

  assert.equal((await patch(client, '{hooks:{enabled:false}}')).ok, true);
  assert.equal((await hookRequest(gw, '/ingest/wake', { headers: fresh, body: { text: 'x' } })).status, 404);
});

test('hooks.status: no internal hooks, the webhook endpoints as configured; params as OpenClaw publishes them', async (t) => {
  const gw = await startTestGateway({
    config: hooksConfig(
      {
        path: 'in',
        allowedAgentIds: ['main'],
        mappings: [
          { id: 'github', match: { path: '/github/' }, name: 'GitHub {{repo}}', messageTemplate: '{{repo}}' },
          { match: { source: 'nas' }, action: 'wake', textTemplate: 'NAS: {{msg}}', agentId: 'Ops' },
        ],
      },
      { agents: { list: [{ id: 'main' }, { id: 'ops' }] } },
    ),
  });
  t.after(() => gw.close());
  const { client: reader } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.close());

  const res = await reader.request('hooks.status', {});
  assert.equal(res.ok, true, JSON.stringify(res.error));
  assert.deepEqual(res.payload, {
    hooks: [],
    webhooks: {
      enabled: true,
      path: '/in',
      endpoints: ['/in/wake', '/in/agent', '/in/github'],
      mappings: [
        { id: 'github', action: 'agent', path: 'github', name: 'GitHub {{repo}}' },
        { id: 'mapping-2', action: 'wake', source: 'nas', agentId: 'ops' },
      ],
      allowRequestSessionKey: false,
      requests: { total: 0, accepted: 0, rejected: 0, unauthorized: 0, throttled: 0 },
    },
  });
  const forOps = await reader.request('hooks.status', { agentId: 'ops' });
  assert.equal((forOps.payload as { webhooks: { agentAllowed: boolean } }).webhooks.agentAllowed, false);
  const forMain = await reader.request('hooks.status', { agentId: 'MAIN' });
  assert.equal((forMain.payload as { webhooks: { agentAllowed: boolean } }).webhooks.agentAllowed, true);
  const unknown = await reader.request('hooks.status', { agentId: 'ghost' });
  assert.equal(unknown.error?.code, 'INVALID_REQUEST');
  assert.equal(unknown.error?.details?.code, 'UNKNOWN_AGENT_ID');
  const extra = await reader.request('hooks.status', { bogus: 1 });
  assert.equal(extra.error?.code, 'INVALID_REQUEST');
  assert.match(extra.error?.message ?? '', /^invalid hooks\.status params/);
});

test('tasks.cancel aborts a hook run; a cancelled run is not announced', async (t) => {
  // Slow words keep the run going until it is cancelled.
  const gw = await startTestGateway({ config: hooksConfig({}, { models: { echo: { wordDelayMs: 200 } } }) });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const { runId } = jsonOf<{ runId: string }>(
    await hookRequest(gw, '/hooks/agent', { body: { message: 'a long story '.repeat(20) } }),
  );
  const running = await client.waitFor(
    (frame) => frame.event === 'task' && (frame.payload as { task: { runId: string } }).task.runId === runId,
  );
  const taskId = (running.payload as { task: { id: string } }).task.id;
  const cancel = await client.request('tasks.cancel', { taskId, reason: 'enough' });
  assert.equal(cancel.ok, true, JSON.stringify(cancel.error));
  assert.equal((cancel.payload as { cancelled: boolean }).cancelled, true);
  const ended = await client.waitFor(
    (frame) =>
      frame.event === 'task' &&
      (frame.payload as { task: { runId: string; status: string } }).task.runId === runId &&
      (frame.payload as { task: { status: string } }).task.status !== 'running',
  );
  const task = (ended.payload as { task: { status: string; deliveryStatus: string } }).task;
  assert.equal(task.status, 'cancelled');
  assert.equal(task.deliveryStatus, 'not_applicable');
  const sessions = await client.request('sessions.list', {});
  const keys = (sessions.payload as { sessions: { key: string }[] }).sessions.map((session) => session.key);
  assert.ok(!keys.includes('agent:main:main'), 'nothing was queued for the main session');
});

test('close() with hook runs and wakes in flight leaves no timer or socket behind', async () => {
  const left = await handlesLeftBy(async () => {
    const gw = await startTestGateway({ config: hooksConfig({}, { models: { echo: { wordDelayMs: 50 } } }) });
    const res = await hookRequest(gw, '/hooks/agent', { body: { message: 'one two three four five six' } });
    assert.equal(res.status, 200);
    assert.equal(
      (await hookRequest(gw, '/hooks/wake', { headers: BEARER, body: { text: 'bye' } })).status,
      200,
    );
    await gw.close();
  });
  assert.deepEqual(left, []);
});
