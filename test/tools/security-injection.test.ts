import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordingGate, textOf, toolHarness } from '../helpers/tool-harness.ts';

/**
 * Security: command injection through tool arguments. File tools never hand a path to a shell, so shell syntax in
 * one is only a file name; `exec` runs exactly the command its gate allowed, and nothing else reaches a shell
 * (its working directory and environment values are passed as such, never interpolated).
 */

const NASTY = [
  'x; touch pwned-semicolon',
  '$(touch pwned-subst)',
  '`touch pwned-backtick`',
  'a && touch pwned-and',
  "a' ; touch pwned-quote '",
];

test("shell syntax in a file tool's path is a file name, never a command", async (t) => {
  const h = toolHarness(t);
  for (const path of NASTY) {
    await assert.rejects(h.run('read', { path }), /File not found/, path);
    await h.run('write', { path, content: `literal ${path}` });
    assert.equal(readFileSync(join(h.workspace, path), 'utf8'), `literal ${path}`, path);
    assert.equal(textOf(await h.run('read', { path })), `literal ${path}`);
  }
  for (const marker of ['pwned-semicolon', 'pwned-subst', 'pwned-backtick', 'pwned-and', 'pwned-quote']) {
    assert.equal(existsSync(join(h.workspace, marker)), false, `${marker} was never created`);
  }
});

test('exec runs only what the gate allowed: the exact command it was asked about, in the workspace', async (t) => {
  const gate = recordingGate((command) => command === 'echo approved');
  const h = toolHarness(t, { gate });
  const approved = await h.run('exec', { command: 'echo approved' });
  assert.equal(textOf(approved), 'approved');
  const denied = await h.run('exec', { command: 'echo approved; touch pwned-exec' });
  assert.equal(denied.isError, true);
  assert.match(textOf(denied), /^exec denied: not on the test allowlist/);
  assert.equal(existsSync(join(h.workspace, 'pwned-exec')), false);
  assert.deepEqual(
    gate.asked.map((r) => [r.command, r.cwd, r.agentId, r.sessionKey]),
    [
      ['echo approved', h.workspace, 'main', 'agent:main:main'],
      ['echo approved; touch pwned-exec', h.workspace, 'main', 'agent:main:main'],
    ],
  );
});

test('the default gate refuses every command: nothing runs without an approval policy', async (t) => {
  const h = toolHarness(t);
  const result = await h.run('exec', { command: 'touch pwned-default' });
  assert.equal(result.isError, true);
  assert.equal(textOf(result), 'exec denied: exec needs approval and no approval policy is configured');
  assert.equal(existsSync(join(h.workspace, 'pwned-default')), false);
});

test("exec's workdir and env are data: not expanded, not a way out of the workspace, no loader or PATH overrides", async (t) => {
  const gate = recordingGate(() => true);
  const h = toolHarness(t, { gate });
  const env = await h.run('exec', { command: 'printf %s "$VALUE"', env: { VALUE: '$(touch pwned-env)' } });
  assert.equal(textOf(env), '$(touch pwned-env)');
  assert.equal(existsSync(join(h.workspace, 'pwned-env')), false);
  await assert.rejects(
    h.run('exec', { command: 'pwd', workdir: '$(touch pwned-workdir)' }),
    /does not exist/,
  );
  await assert.rejects(h.run('exec', { command: 'pwd', workdir: '..' }), /outside the agent workspace/);
  await assert.rejects(
    h.run('exec', { command: 'pwd', env: { LD_PRELOAD: '/tmp/x.so' } }),
    /may not be overridden/,
  );
  await assert.rejects(h.run('exec', { command: 'pwd', env: { PATH: '/tmp' } }), /may not be overridden/);
  assert.equal(existsSync(join(h.workspace, 'pwned-workdir')), false);
  // Every command the gate saw came from the command argument alone.
  assert.deepEqual(
    gate.asked.map((r) => r.command),
    ['printf %s "$VALUE"'],
  );
});

test('exec: timeout kills the command, a non-zero exit is an error result, long commands move to the background', async (t) => {
  const gate = recordingGate(() => true);
  const h = toolHarness(t, { gate });
  writeFileSync(join(h.workspace, 'data.txt'), 'x\n');
  const failed = await h.run('exec', { command: 'cat data.txt; exit 3' });
  assert.equal(failed.isError, true);
  assert.match(textOf(failed), /^x\n\n\(Command exited with code 3\)$/);
  const timedOut = await h.run('exec', { command: 'sleep 30', timeoutSeconds: 0.3 });
  assert.equal(timedOut.isError, true);
  assert.match(textOf(timedOut), /\(Command timed out after 0\.3 s and was killed\)/);
  const background = await h.run('exec', {
    command: 'echo started; sleep 0.2; echo finished',
    background: true,
  });
  const { sessionId } = background.details as { sessionId: string; status: string };
  assert.equal((background.details as { status: string }).status, 'running');
  const polled = await h.run('process', { action: 'poll', sessionId, timeout: 5000 });
  assert.match(textOf(polled), /started/);
  for (const deadline = performance.now() + 10_000; ; ) {
    const log = await h.run('process', { action: 'poll', sessionId, timeout: 1000 });
    if ((log.details as { status?: string }).status === 'completed') break;
    assert.ok(performance.now() < deadline, 'the background command finished');
  }
  const listed = await h.run('process', { action: 'list' });
  assert.match(textOf(listed), new RegExp(`${sessionId} completed`));
  const log = await h.run('process', { action: 'log', sessionId });
  assert.equal(textOf(log), 'started\nfinished\n');
  const killed = await h.run('exec', { command: 'sleep 30', background: true });
  const killId = (killed.details as { sessionId: string }).sessionId;
  assert.match(textOf(await h.run('process', { action: 'kill', sessionId: killId })), /killed/);
});

test('an aborted run kills its foreground command', async (t) => {
  const gate = recordingGate(() => true);
  const h = toolHarness(t, { gate, config: { tools: { exec: { backgroundMs: 60_000 } } } });
  const controller = new AbortController();
  const running = h.run('exec', { command: 'sleep 30; touch pwned-after-abort' }, controller.signal);
  setTimeout(() => controller.abort(), 200);
  const result = await running;
  assert.equal(result.isError, true);
  assert.match(textOf(result), /Aborted: the run was aborted; the command was killed/);
  assert.equal(existsSync(join(h.workspace, 'pwned-after-abort')), false);
});
