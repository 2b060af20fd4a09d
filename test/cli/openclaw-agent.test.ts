import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';

ensureOpenClaw();

type AgentResult = { status: string; result?: { payloads: { text: string }[] }; error?: unknown };

test('openclaw agent --timeout is seconds: a 40 s deadline lets a 150 ms turn finish', async (t) => {
  // Six words at 30 ms each: longer than 40 ms, far shorter than 40 s.
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 30 } } } });
  t.after(() => gw.close());
  const run = await runOpenClaw(
    t,
    ['agent', '--agent', 'main', '--message', 'one two three four five', '--timeout', '40', '--json'],
    { url: gw.url, token: gw.token },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const answer = JSON.parse(run.stdout) as AgentResult;
  assert.equal(answer.status, 'ok', run.stdout);
  assert.equal(answer.result?.payloads[0]?.text, 'Echo: one two three four five');
});

test('openclaw agent --timeout 1 ends a turn that needs longer, naming the deadline in seconds', async (t) => {
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 400 } } } });
  t.after(() => gw.close());
  const run = await runOpenClaw(
    t,
    ['agent', '--agent', 'main', '--message', 'one two three four five', '--timeout', '1', '--json'],
    { url: gw.url, token: gw.token },
  );
  assert.notEqual(run.code, 0);
  assert.match(run.stdout + run.stderr, /timed out after 1 s/);
});
