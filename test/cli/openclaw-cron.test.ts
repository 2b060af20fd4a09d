import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronEvent } from '../helpers/cron.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { ensureOpenClaw, runOpenClaw } from '../helpers/openclaw.ts';
import { connectClient } from '../helpers/raw-client.ts';

ensureOpenClaw();

type Listed = { snapshotRevision: string; jobs: { id: string; name: string; enabled: boolean }[] };

test('openclaw cron list / add / run / runs / rm against clawgate (each CLI call is seconds: five is the set)', async (t) => {
  const gw = await startTestGateway({ config: { models: { echo: { wordDelayMs: 0 } } } });
  t.after(() => gw.close());
  const cli = { url: gw.url, token: gw.token };
  const { client } = await connectClient(gw.url, gw.token);
  t.after(() => client.close());

  // The CLI pages through cron.list and checks each page's inventory metadata before printing.
  const empty = await runOpenClaw(t, ['cron', 'list'], cli);
  assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  assert.match(empty.stdout, /heartbeat:main\s+Heartbeat \(main\)\s+every 30m/);

  const added = await runOpenClaw(
    t,
    [
      'cron',
      'add',
      '--name',
      'digest',
      '--every',
      '1h',
      '--session',
      'isolated',
      '--message',
      'digest please',
      '--json',
    ],
    cli,
  );
  assert.equal(added.code, 0, added.stdout + added.stderr);
  const job = JSON.parse(added.stdout) as {
    id: string;
    schedule: { everyMs: number };
    sessionTarget: string;
  };
  assert.equal(job.schedule.everyMs, 3_600_000);
  assert.equal(job.sessionTarget, 'isolated');

  const ran = await runOpenClaw(t, ['cron', 'run', job.id], cli);
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /"enqueued": true/);
  await client.waitFor(cronEvent('finished', job.id), 20_000);
  const runs = await runOpenClaw(t, ['cron', 'runs', '--id', job.id], cli);
  assert.equal(runs.code, 0, runs.stdout + runs.stderr);
  const history = JSON.parse(runs.stdout) as {
    entries: { status: string; summary: string }[];
    total: number;
  };
  assert.equal(history.total, 1);
  assert.equal(history.entries[0].status, 'ok');
  assert.match(history.entries[0].summary, /digest please/);

  const removed = await runOpenClaw(t, ['cron', 'rm', job.id], cli);
  assert.equal(removed.code, 0, removed.stdout + removed.stderr);
  assert.match(removed.stdout, /"removed": true/);
  const after = await client.request('cron.list', { includeDisabled: true });
  assert.deepEqual(
    (after.payload as Listed).jobs.map((j) => j.name),
    ['heartbeat-main'],
  );
});
