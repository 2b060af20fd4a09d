import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';

ensureOpenClaw();

type LogEntry = { type: string; level?: string; message?: string; subsystem?: string };

test('openclaw logs reads clawgate log lines: message, level and subsystem, plain and --json', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };

  const json = await runOpenClaw(t, ['logs', '--limit', '20', '--json'], cli);
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const entries = json.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogEntry)
    .filter((entry) => entry.type === 'log');
  const ready = entries.find((entry) => entry.message?.startsWith('clawgate '));
  assert.ok(ready, json.stdout);
  assert.equal(ready.level, 'info');
  assert.equal(ready.subsystem, 'gateway');
  assert.match(ready.message ?? '', /listening on ws:\/\/127\.0\.0\.1:\d+/);

  const plain = await runOpenClaw(t, ['logs', '--limit', '20', '--plain'], cli);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  // A parsed line, not the raw JSON the CLI falls back to for lines it cannot read.
  assert.match(plain.stdout, /\binfo gateway clawgate \S+ listening on ws:\/\//);
  assert.doesNotMatch(plain.stdout, /\{"time"/);
});
