import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_MAIN, childEnv, exited, tempDir } from '../helpers/cli-child.ts';
import { startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { TEST_TOKEN } from '../helpers/gateway.ts';
import { traceModules } from '../helpers/module-trace.ts';

const TELEGRAM_RUNTIME =
  /\/grammy\/|\/node-fetch\/|\/channels\/telegram\/(telegram-account|polling-loop|bot-api)\.ts$/;

/** Starts a gateway child until its ready line (and `until`), stops it, returns the modules it loaded. */
async function modulesOf(
  t: { after(fn: () => unknown): void },
  config: Record<string, unknown>,
  until?: () => Promise<void>,
): Promise<string[]> {
  const dir = tempDir(t, 'clawgate-tg-lazy-');
  const trace = traceModules(t);
  writeFileSync(join(dir, 'clawgate.json'), JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [...trace.execArgv, CLI_MAIN, 'gateway', 'run', '--port', '0', '--token', TEST_TOKEN],
    { env: { ...childEnv(dir), ...trace.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${stdout}`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (/clawgate ready: /.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await until?.();
  child.kill('SIGTERM');
  await exited(child);
  return trace.loaded();
}

test('without channels.telegram a gateway never loads grammY or the polling code; with it, it does', async (t) => {
  const none = await modulesOf(t, {});
  assert.deepEqual(
    none.filter((url) => TELEGRAM_RUNTIME.test(url)),
    [],
  );
  assert.ok(
    none.some((url) => url.endsWith('/channels/telegram/telegram-adapter.ts')),
    'the adapter is registered',
  );

  const api = await startFakeBotApi();
  t.after(() => api.close());
  const configured = await modulesOf(
    t,
    { channels: { telegram: { botToken: api.token, apiRoot: api.apiRoot } } },
    () => api.waitForCall('getUpdates').then(() => undefined),
  );
  assert.ok(configured.some((url) => /\/grammy\//.test(url)));
  assert.ok(configured.some((url) => url.endsWith('/channels/telegram/polling-loop.ts')));
});
