import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { refuseAllExecGate } from '../../src/agents/tools/default-exec-gate.ts';
import { ToolRegistry } from '../../src/agents/tools/tool-registry.ts';
import type { ToolResult } from '../../src/agents/tools/tool-types.ts';
import { buildConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';
import { recordingGate, textOf, toolHarness } from '../helpers/tool-harness.ts';

/**
 * Security: a tool result smuggling a credential or the config onto the wire. Decided: file tools refuse the state
 * dir and the config file outright (security-workspace covers the paths); every tool result — text, details and a
 * tool's error message — is redacted of the configured secrets (gateway token and password, hooks token, provider
 * API keys) before it is stored, streamed or shown to the model; and `exec`'s environment does not carry the
 * gateway's own credentials or the provider keys the config reads from the environment.
 */

const GATEWAY_TOKEN = 'gateway-token-abcdef0123456789';
const PROVIDER_KEY = 'sk-live-provider-key-0123456789';

test('every tool result is redacted of the secrets: text, details, and the message of a tool that throws', async (t) => {
  const h = toolHarness(t, { gate: recordingGate(() => true), secrets: [GATEWAY_TOKEN, PROVIDER_KEY] });
  writeFileSync(join(h.workspace, 'leak.txt'), `token=${GATEWAY_TOKEN}\nkey=${PROVIDER_KEY}\n`);
  const read = await h.run('read', { path: 'leak.txt' });
  assert.equal(textOf(read), 'token=[REDACTED]\nkey=[REDACTED]');
  const exec = await h.run('exec', {
    command: 'cat leak.txt; echo "$SMUGGLE"',
    env: { SMUGGLE: GATEWAY_TOKEN },
  });
  assert.equal(textOf(exec), 'token=[REDACTED]\nkey=[REDACTED]\n[REDACTED]');
  assert.ok(!JSON.stringify(exec).includes(GATEWAY_TOKEN));
  await assert.rejects(h.run('read', { path: `missing-${GATEWAY_TOKEN}.txt` }), (error: Error) => {
    assert.ok(!error.message.includes(GATEWAY_TOKEN), error.message);
    assert.match(error.message, /\[REDACTED\]/);
    return true;
  });
});

test("exec's environment carries neither the gateway's credentials nor the provider keys the config reads", async (t) => {
  const h = toolHarness(t, {
    gate: recordingGate(() => true),
    config: { models: { providers: { openai: { apiKey: 'env:TEST_PROVIDER_KEY' } } } },
    env: {
      PATH: process.env.PATH,
      CLAWGATE_GATEWAY_TOKEN: GATEWAY_TOKEN,
      OPENCLAW_GATEWAY_PASSWORD: 'gateway-password-0123456789',
      TEST_PROVIDER_KEY: PROVIDER_KEY,
      HARMLESS: 'kept',
    },
  });
  const result = await h.run('exec', {
    command:
      'printf "%s|%s|%s|%s|%s" "$CLAWGATE_GATEWAY_TOKEN" "$OPENCLAW_GATEWAY_PASSWORD" "$TEST_PROVIDER_KEY" "$HARMLESS" "$OPENCLAW_SHELL"',
  });
  assert.equal(textOf(result), '|||kept|exec');
});

/** Lets every command run (an exec approvals policy would), as a plugin-bootstrap service installs it. */
const allowAllExec: GatewayModule = {
  id: 'test-exec-gate',
  services: [
    {
      name: 'test-exec-gate',
      phase: 'plugin-bootstrap',
      start: (ctx) => ctx.tools.setExecGate(recordingGate(() => true)),
      stop: () => {},
    },
  ],
};

test('through a real turn: what the transcript stores and the tool stream carries is redacted too', async (t) => {
  const gw = await startTestGateway({
    config: {
      gateway: { auth: { mode: 'token', token: GATEWAY_TOKEN } },
      models: { echo: { wordDelayMs: 0 }, providers: { openai: { apiKey: PROVIDER_KEY } } },
    },
    modules: [allowAllExec],
    keepStateDir: true,
  });
  t.after(async () => {
    await gw.close();
    rmSync(gw.stateDir, { recursive: true, force: true });
  });
  const workspace = join(gw.stateDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), `the token is ${GATEWAY_TOKEN}\n`);
  writeFileSync(join(workspace, 'key.txt'), `${PROVIDER_KEY}\n`);
  const { client } = await connectClient(gw.url, GATEWAY_TOKEN, { caps: ['tool-events'] });
  t.after(() => client.close());
  const res = await client.request(
    'chat.send',
    {
      sessionKey: 'main',
      message: `@tool read {"path":"notes.txt"}\n@tool exec {"command":"cat key.txt; cat ../clawgate.json"}\n@tool read {"path":"../clawgate.json"}`,
      idempotencyKey: 'leak-1',
    },
    10_000,
  );
  assert.equal(res.ok, true, JSON.stringify(res.error));
  await client.waitFor(
    (f) => f.event === 'chat' && (f.payload as { state: string }).state === 'final',
    15_000,
  );
  const wire = JSON.stringify(client.frames);
  assert.ok(!wire.includes(GATEWAY_TOKEN), 'no frame the client received carries the gateway token');
  assert.ok(!wire.includes(PROVIDER_KEY), 'no frame carries the provider key');
  assert.ok(wire.includes('the token is [REDACTED]'), 'the file was read, its token redacted');
  // exec (which the gate allowed) may print the config, but never the secrets in it; read refuses the file.
  assert.ok(wire.includes('\\"apiKey\\": \\"[REDACTED]\\"'), 'exec output redacted');
  assert.ok(
    wire.includes('\\"../clawgate.json\\" is outside the agent workspace'),
    'read refused the config',
  );
  await gw.close();
  const store = SqliteStore.open(gw.stateDir);
  try {
    const stored = JSON.stringify(await store.listMessages('agent:main:main', { limit: 50 }));
    assert.ok(
      !stored.includes(GATEWAY_TOKEN) && !stored.includes(PROVIDER_KEY),
      'the transcript holds neither',
    );
  } finally {
    store.close();
  }
});

test('a turn gathers the secrets when one of its tools first has output, once, and not at all when none does', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-secrets-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  let gathered = 0;
  const registry = new ToolRegistry({
    config: () => buildConfig({}, {}, { token: 'harness-token-0123456789abcdef' }),
    logger: createLogger({ level: 'error', console: null }),
    stateDir,
    configPath: join(stateDir, 'clawgate.json'),
    execGate: refuseAllExecGate,
    secrets: () => {
      gathered += 1;
      return [GATEWAY_TOKEN];
    },
  });
  registry.register({
    name: 'leak',
    source: { kind: 'core' },
    factory: () => ({
      name: 'leak',
      description: 'prints the token',
      parameters: { type: 'object', properties: {} },
      execute: async (_id, _params, _signal, onUpdate) => {
        onUpdate?.({ content: [{ type: 'text', text: `soon ${GATEWAY_TOKEN}` }] });
        return { content: [{ type: 'text', text: `token=${GATEWAY_TOKEN}` }] };
      },
    }),
  });
  const target = { agentId: 'main', sessionKey: 'agent:main:main', runId: 'r1' };
  registry.resolve(target, 'turn');
  assert.equal(gathered, 0, 'a turn whose tools never run reads no secret');
  const leak = registry.resolve(target, 'turn').find((entry) => entry.tool.name === 'leak')?.tool;
  assert.ok(leak);
  const updates: string[] = [];
  const signal = new AbortController().signal;
  const first = await leak.execute('c1', {}, signal, (update) => updates.push(textOf(update as ToolResult)));
  const second = await leak.execute('c2', {}, signal);
  assert.deepEqual(
    [updates, textOf(first), textOf(second)],
    [['soon [REDACTED]'], 'token=[REDACTED]', 'token=[REDACTED]'],
  );
  assert.equal(gathered, 1, "one gathering for the turn's every output");
});
