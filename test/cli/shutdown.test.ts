import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exitedWithin, startGatewayChild, tempDir } from '../helpers/cli-child.ts';
import { connectClient } from '../helpers/raw-client.ts';

const TOKEN = 'shutdown-test-token-0123456789';
/** The gateway gives sockets 2 s to close; 5 s leaves room for a loaded machine without hiding a leak. */
const EXIT_DEADLINE_MS = 5_000;
const PHASES = [
  'config',
  'tls',
  'state',
  'http-listen',
  'early-runtime',
  'plugin-bootstrap',
  'auth',
  'post-attach-runtime',
  'ws-handlers',
];

describe('gateway shutdown and start-up trace', { concurrency: true }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: clients get shutdown then close 1012, and the process exits 0 by itself`, async (t) => {
      const stateDir = tempDir(t);
      const gateway = await startGatewayChild(t, ['--port', '0', '--token', TOKEN], stateDir);
      const { client, hello } = await connectClient(gateway.url, TOKEN);
      t.after(() => client.close());
      assert.equal(hello.ok, true, JSON.stringify(hello.error));

      const exit = exitedWithin(gateway.child, EXIT_DEADLINE_MS);
      gateway.child.kill(signal);
      const shutdown = await client.event('shutdown');
      assert.deepEqual(shutdown.payload, { reason: `gateway stopping (${signal})` });
      assert.equal(typeof shutdown.seq, 'number');
      const closed = await client.closed;
      assert.deepEqual(closed, { code: 1012, reason: 'service restart' });
      const last = client.frames.at(-1);
      assert.equal(last?.event, 'shutdown', 'shutdown is the last frame before the close');
      // The process is never killed here: exiting on its own proves no timer, socket or watcher was left open.
      assert.deepEqual(await exit, { code: 0, signal: null });
      assert.match(gateway.stderr(), /clawgate stopped/);
      // The logger is closed last, so the file gets the final line too.
      const logLines = readFileSync(join(stateDir, 'logs', 'gateway.log'), 'utf8')
        .trim()
        .split('\n');
      assert.equal((JSON.parse(logLines.at(-1) ?? '{}') as { message?: string }).message, 'clawgate stopped');
      assert.doesNotMatch(gateway.stderr(), /start-up trace/, 'no trace unless asked for');
    });
  }

  for (const variable of ['CLAWGATE_STARTUP_TRACE', 'OPENCLAW_GATEWAY_STARTUP_TRACE']) {
    test(`${variable}=1 prints every start-up phase to stderr`, async (t) => {
      const stateDir = tempDir(t);
      const gateway = await startGatewayChild(t, ['--port', '0', '--token', TOKEN], stateDir, {
        [variable]: '1',
      });
      const stderr = await gateway.output('stderr', /start-up trace:\n(?:.*\n)*\s+total\s+[\d.]+ ms/);
      const trace = stderr.slice(stderr.indexOf('start-up trace:'));
      const names = [...trace.matchAll(/^ {2}(\S+)\s+[\d.]+ ms$/gm)].map((m) => m[1]);
      assert.deepEqual(names, [...PHASES, 'total']);
      assert.doesNotMatch(gateway.stdout(), /start-up trace/, 'the trace goes to stderr only');
      const exit = exitedWithin(gateway.child, EXIT_DEADLINE_MS);
      gateway.child.kill('SIGTERM');
      assert.deepEqual(await exit, { code: 0, signal: null });
    });
  }
});
