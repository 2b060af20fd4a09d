import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ensureOpenClaw } from '../helpers/openclaw.ts';
import { EXAMPLES } from './plugin-helpers.ts';

const run = promisify(execFile);

/**
 * The examples are real OpenClaw plugins, not clawgate look-alikes: OpenClaw 2026.9.6 itself, configured with the
 * same `plugins.load.paths`, loads each one's runtime (`openclaw plugins inspect --all --runtime`) and sees what
 * clawgate serves from it. So "loads in clawgate unchanged" is measured against plugins OpenClaw accepts.
 */
test('OpenClaw itself loads the three example plugins and sees the same registrations', {
  timeout: 180_000,
}, async (t) => {
  const { entry } = ensureOpenClaw();
  const home = mkdtempSync(join(tmpdir(), 'clawgate-openclaw-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const stateDir = join(home, '.openclaw');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    join(stateDir, 'openclaw.json'),
    JSON.stringify({ plugins: { load: { paths: [EXAMPLES.tool, EXAMPLES.gateway, EXAMPLES.channel] } } }),
  );
  const { stdout } = await run(
    process.execPath,
    [entry, 'plugins', 'inspect', '--all', '--runtime', '--json'],
    {
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: home,
        OPENCLAW_STATE_DIR: stateDir,
        NO_COLOR: '1',
      },
      timeout: 150_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  type Inspected = {
    plugin: {
      id: string;
      status: string;
      toolNames: string[];
      channelIds: string[];
      services: string[];
      httpRoutes: number;
    };
  };
  const inspected = JSON.parse(stdout.slice(stdout.indexOf('['))) as Inspected[];
  const byId = new Map(inspected.map((entry) => [entry.plugin.id, entry.plugin]));
  const summary = (id: string) => {
    const plugin = byId.get(id);
    assert.ok(plugin, `OpenClaw did not find ${id}`);
    const { status, toolNames, channelIds, services, httpRoutes } = plugin;
    return { status, toolNames, channelIds, services, httpRoutes };
  };
  assert.deepEqual(summary('word-count'), {
    status: 'loaded',
    toolNames: ['count_words'],
    channelIds: [],
    services: [],
    httpRoutes: 0,
  });
  assert.deepEqual(summary('visit-counter'), {
    status: 'loaded',
    toolNames: [],
    channelIds: [],
    services: ['visit-counter.reporter'],
    httpRoutes: 1,
  });
  assert.deepEqual(summary('loopback-chat'), {
    status: 'loaded',
    toolNames: [],
    channelIds: ['loopback-chat'],
    services: [],
    httpRoutes: 1,
  });
});
