import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { cronEvent } from '../helpers/cron.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { assertEachMatchesOfficial, assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';

type Job = {
  id: string;
  name: string;
  enabled: boolean;
  state: Record<string, unknown>;
  [key: string]: unknown;
};

const ECHO_FAST = { models: { echo: { wordDelayMs: 0 } } };

async function ok<T>(client: RawClient, method: string, params: unknown): Promise<T> {
  const res = await client.request(method, params);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

test('cron.add / list / get / update / remove with OpenClaw shapes, events to readers, validation naming the field', async (t) => {
  const gw = await startTestGateway({ config: ECHO_FAST });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const { client: reader } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => reader.close());

  const job = await ok<Job>(client, 'cron.add', {
    name: 'morning',
    schedule: { kind: 'cron', expr: '0 9 * * 1-5', tz: 'Europe/Berlin' },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: { kind: 'agentTurn', message: 'Summarize overnight news.' },
  });
  assertMatchesOfficial('CronAddResult', job);
  assert.equal(typeof job.state.nextRunAtMs, 'number');
  assert.deepEqual(job.delivery, { mode: 'announce' });
  const added = await reader.waitFor(cronEvent('added', job.id));
  assert.equal((added.payload as { job: Job }).job.name, 'morning');

  const list = await ok<{ jobs: Job[]; total: number; hasMore: boolean }>(client, 'cron.list', {});
  // The heartbeat job of the default agent is listed beside it.
  assert.deepEqual(list.jobs.map((j) => j.name).sort(), ['heartbeat-main', 'morning']);
  assertEachMatchesOfficial(
    'CronJob',
    list.jobs.map(({ effectiveAgentId: _, ...rest }) => rest),
  );
  assert.equal(list.total, 2);
  assert.equal(list.hasMore, false);
  const heartbeat = list.jobs.find((j) => j.name === 'heartbeat-main') as Job;
  assert.equal(heartbeat.declarationKey, 'heartbeat:main');
  assert.equal(heartbeat.displayName, 'Heartbeat (main)');
  assert.deepEqual((heartbeat.schedule as { everyMs: number }).everyMs, 30 * 60_000);

  const got = await ok<Job>(client, 'cron.get', { jobId: job.id });
  assert.equal(got.id, job.id);
  const updated = await ok<Job>(client, 'cron.update', {
    id: job.id,
    patch: { enabled: false, name: 'weekday' },
  });
  assert.equal(updated.enabled, false);
  assert.equal(updated.state.nextRunAtMs, undefined);
  await reader.waitFor(cronEvent('updated', job.id));
  const visible = await ok<{ jobs: Job[] }>(client, 'cron.list', {});
  assert.deepEqual(
    visible.jobs.map((j) => j.name),
    ['heartbeat-main'],
    'disabled jobs are hidden by default',
  );
  const all = await ok<{ jobs: Job[] }>(client, 'cron.list', { includeDisabled: true, sortBy: 'name' });
  assert.deepEqual(
    all.jobs.map((j) => j.name),
    ['heartbeat-main', 'weekday'],
  );

  const refused = await client.request('cron.update', {
    id: heartbeat.id,
    patch: { schedule: { kind: 'every', everyMs: 1 } },
  });
  assert.equal(refused.error?.code, 'INVALID_REQUEST');
  assert.match(refused.error?.message ?? '', /system-owned \(heartbeat:main\).*agents\.\*\.heartbeat/);
  assert.equal((await client.request('cron.remove', { id: heartbeat.id })).error?.code, 'INVALID_REQUEST');

  assert.deepEqual(await ok(client, 'cron.remove', { id: job.id }), { ok: true, removed: true });
  await reader.waitFor(cronEvent('removed', job.id));
  const gone = await client.request('cron.get', { id: job.id });
  assert.equal(gone.error?.code, 'INVALID_REQUEST');
  assert.deepEqual(gone.error?.details, { code: 'CRON_JOB_NOT_FOUND', jobId: job.id });
  assertMatchesOfficial('CronJobNotFoundErrorDetails', gone.error?.details);

  const base = {
    name: 'x',
    sessionTarget: 'main',
    wakeMode: 'now',
    payload: { kind: 'systemEvent', text: 'x' },
  };
  const cases: [unknown, RegExp][] = [
    [
      { ...base, schedule: { kind: 'cron', expr: '99 * * * *' } },
      /invalid cron\.add params: schedule\.expr: .*minute: 99/,
    ],
    [
      { ...base, schedule: { kind: 'cron', expr: '0 * * * *', tz: 'Mars/Base' } },
      /schedule\.tz: "Mars\/Base" is not an IANA time zone/,
    ],
    [{ ...base, schedule: { kind: 'at', at: 'soon' } }, /schedule\.at: "soon" is not an ISO 8601 date-time/],
    [{ ...base, schedule: { kind: 'every', everyMs: 0 } }, /schedule\.everyMs must be a positive integer/],
    [
      { ...base, schedule: { kind: 'on-exit', command: 'x' } },
      /schedule\.kind: "on-exit" is not supported by clawgate/,
    ],
    [
      { ...base, schedule: { kind: 'every', everyMs: 1000 }, payload: { kind: 'command', argv: ['ls'] } },
      /payload\.kind: "command" is not supported/,
    ],
    [
      { ...base, schedule: { kind: 'every', everyMs: 1000 }, payload: { kind: 'agentTurn', message: 'hi' } },
      /sessionTarget main requires payload\.kind "systemEvent"/,
    ],
    [
      { ...base, schedule: { kind: 'every', everyMs: 1000 }, agentId: 'nobody' },
      /agentId: unknown agent "nobody"/,
    ],
  ];
  for (const [params, message] of cases) {
    const res = await client.request('cron.add', params);
    assert.equal(res.error?.code, 'INVALID_REQUEST', JSON.stringify(params));
    assert.match(res.error?.message ?? '', message);
  }
  // Writes need admin; reads need read.
  assert.equal(
    (await reader.request('cron.add', { ...base, schedule: { kind: 'every', everyMs: 1000 } })).error
      ?.message,
    'missing scope: operator.admin',
  );
  const status = await ok<Record<string, unknown>>(reader, 'cron.status', {});
  assert.equal(status.enabled, true);
  assert.equal(status.jobs, 1);
  assert.equal(status.scheduler, 'leader');
});

test('an isolated agentTurn job runs now through the chat pipeline: a fresh cron session, run history, a task', async (t) => {
  const gw = await startTestGateway({ config: ECHO_FAST });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const job = await ok<Job>(client, 'cron.add', {
    name: 'digest',
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'isolated',
    wakeMode: 'now',
    payload: { kind: 'agentTurn', message: 'digest please' },
  });
  const run = await ok<{ ok: boolean; enqueued: boolean; runId: string }>(client, 'cron.run', { id: job.id });
  assert.equal(run.enqueued, true);
  const finished = await client.waitFor(cronEvent('finished', job.id), 10_000);
  const entry = finished.payload as Record<string, unknown>;
  assert.equal(entry.status, 'ok');
  assert.equal(entry.sessionKey, `agent:main:cron:${job.id}`);
  assert.match(String(entry.summary), /digest please/);

  const runs = await ok<{ entries: Record<string, unknown>[]; total: number }>(client, 'cron.runs', {
    id: job.id,
  });
  assert.equal(runs.total, 1);
  assertEachMatchesOfficial(
    'CronRunLogEntry',
    runs.entries.map(({ jobName: _, ...rest }) => rest),
  );
  assert.equal(runs.entries[0].jobName, 'digest');
  assert.equal(runs.entries[0].runId, run.runId);

  const history = await ok<{ messages: { role: string }[] }>(client, 'chat.history', {
    sessionKey: `agent:main:cron:${job.id}`,
  });
  assert.deepEqual(
    history.messages.map((m) => m.role),
    ['user', 'assistant'],
  );

  const tasks = await ok<{ tasks: Record<string, unknown>[] }>(client, 'tasks.list', {});
  assertMatchesOfficial('TasksListResult', tasks);
  assert.equal(tasks.tasks.length, 1);
  assert.equal(tasks.tasks[0].status, 'completed');
  assert.equal(tasks.tasks[0].sourceId, job.id);
  const one = await ok<{ task: { id: string } }>(client, 'tasks.get', { taskId: String(tasks.tasks[0].id) });
  assertMatchesOfficial('TasksGetResult', one);
  const cancel = await ok<Record<string, unknown>>(client, 'tasks.cancel', {
    taskId: String(tasks.tasks[0].id),
  });
  assertMatchesOfficial('TasksCancelResult', cancel);
  assert.equal(cancel.cancelled, false);
  assertMatchesOfficial('TasksCancelResult', await ok(client, 'tasks.cancel', { taskId: 'nope' }));
  assert.match(
    (await client.request('tasks.get', { taskId: 'nope' })).error?.message ?? '',
    /task not found: nope/,
  );

  const job2 = await ok<Job>(client, 'cron.get', { id: job.id });
  assert.equal(job2.lastRunStatus, 'ok');
  assert.equal((job2.state as { consecutiveErrors: number }).consecutiveErrors, 0);
});

test('heartbeat: a fresh gateway skips with no-route; wake now with text runs a beat; last-heartbeat survives a restart', async (t) => {
  const gw = await startTestGateway({ config: ECHO_FAST, keepStateDir: true });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  assert.equal(await ok(client, 'last-heartbeat', {}), null);
  const [heartbeat] = (await ok<{ jobs: Job[] }>(client, 'cron.list', {})).jobs;
  await ok(client, 'cron.run', { id: heartbeat.id });
  const skipped = await client.waitFor(cronEvent('finished', heartbeat.id));
  assert.equal((skipped.payload as { status: string }).status, 'skipped');
  assert.equal((skipped.payload as { error: string }).error, 'heartbeat skipped: no-route');

  assert.deepEqual(await ok(client, 'wake', { mode: 'now', text: 'the build broke' }), { ok: true });
  const beat = await client.waitFor(
    (f) => f.event === 'heartbeat' && (f.payload as { status: string }).status !== 'skipped',
    10_000,
  );
  const payload = beat.payload as { status: string; preview: string; sessionKey: string };
  assert.equal(payload.status, 'sent');
  assert.match(payload.preview, /the build broke/);
  assert.equal(payload.sessionKey, 'agent:main:main');

  assert.deepEqual(await ok(client, 'set-heartbeats', { enabled: false }), { ok: true, enabled: false });
  await ok(client, 'cron.run', { id: heartbeat.id });
  await client.waitFor(
    (f) => f.event === 'heartbeat' && (f.payload as { reason?: string }).reason === 'disabled',
  );
  const invalid = await client.request('set-heartbeats', {});
  assert.equal(invalid.error?.code, 'INVALID_REQUEST');

  const last = await ok<{ reason: string }>(client, 'last-heartbeat', {});
  assert.equal(last.reason, 'disabled');
  client.close();
  await gw.close();
  const again = await startTestGateway({ config: ECHO_FAST, stateDir: gw.stateDir });
  t.after(() => again.close());
  const next = await admin(t, again);
  assert.equal((await ok<{ reason: string }>(next, 'last-heartbeat', {})).reason, 'disabled');
  // The heartbeat job is the same one, not a second.
  const jobs = (await ok<{ jobs: Job[] }>(next, 'cron.list', {})).jobs;
  assert.deepEqual(
    jobs.map((j) => j.id),
    [heartbeat.id],
  );
});

test('a systemEvent job for the next heartbeat is read by that beat; heartbeat config follows a live reload', async (t) => {
  const gw = await startTestGateway({
    config: { ...ECHO_FAST, agents: { defaults: { heartbeat: { every: '1h', target: 'none' } } } },
  });
  t.after(() => gw.close());
  const client = await admin(t, gw);
  const event = await ok<Job>(client, 'cron.add', {
    name: 'note',
    schedule: { kind: 'every', everyMs: 3_600_000 },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'systemEvent', text: 'remember the milk' },
  });
  await ok(client, 'cron.run', { id: event.id });
  const queued = await client.waitFor(cronEvent('finished', event.id));
  assert.equal((queued.payload as { status: string }).status, 'ok');
  const [heartbeat] = (await ok<{ jobs: Job[] }>(client, 'cron.list', { query: 'heartbeat' })).jobs;
  assert.equal((heartbeat.schedule as { everyMs: number }).everyMs, 3_600_000);
  await ok(client, 'cron.run', { id: heartbeat.id });
  const beat = await client.waitFor((f) => f.event === 'heartbeat', 10_000);
  assert.match((beat.payload as { preview: string }).preview, /remember the milk/);

  const { hash } = await ok<{ hash: string }>(client, 'config.get', {});
  await ok(client, 'config.patch', {
    raw: JSON.stringify({ agents: { defaults: { heartbeat: { every: '0m' } } } }),
    baseHash: hash,
  });
  await client.waitFor(cronEvent('updated', heartbeat.id));
  const after = await ok<Job>(client, 'cron.get', { id: heartbeat.id });
  assert.equal(after.enabled, false);
  const bad = await client.request('config.patch', {
    raw: JSON.stringify({ agents: { defaults: { heartbeat: { every: 'often' } } } }),
    baseHash: (await ok<{ hash: string }>(client, 'config.get', {})).hash,
  });
  assert.equal(bad.error?.code, 'INVALID_REQUEST');
  assert.match(bad.error?.message ?? '', /agents\.defaults\.heartbeat\.every/);
});
