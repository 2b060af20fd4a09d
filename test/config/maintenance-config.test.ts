import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { buildConfig, validateConfigFile } from '../../src/config/load.ts';

const DAY_MS = 86_400_000;

async function load(file: Record<string, unknown>) {
  await validateConfigFile(file, 'clawgate.json');
  return buildConfig(file, {}, {});
}

async function refused(file: Record<string, unknown>): Promise<string> {
  try {
    await load(file);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('the config was accepted');
}

test('maintenance defaults: every 10 min, runs 30 d, reset archives 30 d, log archives 14 d, cron history and tasks 7 d (2000 per job), enforced', () => {
  const config = defaultConfig();
  assert.deepEqual(config.gateway.maintenance, {
    enabled: true,
    intervalMs: 600_000,
    runRetention: 30 * DAY_MS,
    logRetention: 14 * DAY_MS,
    cronRunRetention: 7 * DAY_MS,
    cronRunsPerJob: 2000,
    taskRetention: 7 * DAY_MS,
  });
  assert.deepEqual(config.session.maintenance, { mode: 'enforce', resetArchiveRetention: 30 * DAY_MS });
});

test('retention durations are parsed to ms once at load; false and zero keep everything', async () => {
  const config = await load({
    gateway: {
      maintenance: {
        intervalMs: 5_000,
        runRetention: '1h30m',
        logRetention: false,
        cronRunRetention: '36h',
        cronRunsPerJob: false,
        taskRetention: '0d',
      },
    },
    session: { maintenance: { mode: 'warn', resetArchiveRetention: '0h' } },
  });
  assert.deepEqual(config.gateway.maintenance, {
    enabled: true,
    intervalMs: 5_000,
    runRetention: 5_400_000,
    logRetention: false,
    cronRunRetention: 36 * 3_600_000,
    cronRunsPerJob: false,
    taskRetention: false,
  });
  assert.deepEqual(config.session.maintenance, { mode: 'warn', resetArchiveRetention: false });
  const ms = await load({ gateway: { maintenance: { runRetention: 60_000 } } });
  assert.equal(ms.gateway.maintenance.runRetention, 60_000, 'milliseconds are taken as they are');
  assert.equal(ms.session.maintenance.resetArchiveRetention, 30 * DAY_MS, 'an absent key keeps its default');
});

test('a bad duration or mode is refused naming the key', async () => {
  assert.match(
    await refused({ session: { maintenance: { resetArchiveRetention: '30 days' } } }),
    /session\.maintenance\.resetArchiveRetention/,
  );
  assert.match(
    await refused({ gateway: { maintenance: { runRetention: true } } }),
    /gateway\.maintenance\.runRetention/,
  );
  assert.match(await refused({ session: { maintenance: { mode: 'off' } } }), /session\.maintenance\.mode/);
  assert.match(
    await refused({ gateway: { maintenance: { cronRunRetention: 'a week' } } }),
    /gateway\.maintenance\.cronRunRetention/,
  );
  assert.match(
    await refused({ gateway: { maintenance: { cronRunsPerJob: 0 } } }),
    /gateway\.maintenance\.cronRunsPerJob/,
  );
  assert.match(
    await refused({ gateway: { maintenance: { intervalMs: 0 } } }),
    /gateway\.maintenance\.intervalMs/,
  );
});

test('OpenClaw’s other session.maintenance keys are named as not supported yet', async () => {
  assert.match(
    await refused({ session: { maintenance: { pruneAfter: '30d' } } }),
    /session\.maintenance\.pruneAfter is an OpenClaw setting that clawgate does not support yet/,
  );
});
