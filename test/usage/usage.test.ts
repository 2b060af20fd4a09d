import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/raw-client.ts';

type Totals = {
  input: number;
  output: number;
  totalTokens: number;
  totalCost: number;
  missingCostEntries: number;
};
type SessionsUsage = {
  startDate: string;
  endDate: string;
  sessions: {
    key: string;
    agentId: string;
    usage: Totals & {
      messageCounts: { total: number; user: number; assistant: number };
      activityDates: string[];
    };
  }[];
  totals: Totals;
  aggregates: {
    sessionCount: number;
    costDaily: (Totals & { date: string })[];
    daily: { date: string; tokens: number; messages: number }[];
    byModel: { provider: string; model: string; count: number; totals: Totals }[];
    byAgent: { agentId: string; totals: Totals }[];
  };
};

const at = (iso: string) => Date.parse(iso);
const RANGE = { startDate: '2026-11-30', endDate: '2026-12-01' };

/** Three sessions written straight into the store, at known instants, before the gateway opens it. */
async function seed(stateDir: string): Promise<void> {
  const store = SqliteStore.open(stateDir);
  const turn = async (key: string, agentId: string, iso: string, model: string[], usage: number[]) => {
    await store.ensureSession(key, agentId, at(iso));
    await store.appendMessage({ sessionKey: key, role: 'user', content: 'hi', timestamp: at(iso) });
    await store.appendMessage({
      sessionKey: key,
      role: 'assistant',
      content: [{ type: 'text', text: 'hello' }],
      timestamp: at(iso) + 1_000,
      provider: model[0],
      model: model[1],
      usage: { input: usage[0]!, output: usage[1]!, total: usage[0]! + usage[1]! },
      stopReason: 'stop',
    });
  };
  await turn('agent:main:main', 'main', '2026-11-30T23:30:00Z', ['acme', 'm1'], [1_000, 500]);
  await turn('agent:main:other', 'main', '2026-12-01T10:00:00Z', ['echo', 'echo'], [3, 4]);
  await turn('agent:helper:main', 'helper', '2026-12-01T11:00:00Z', ['acme', 'm1'], [2_000, 0]);
  // Outside the range: never counted.
  await turn('agent:main:main', 'main', '2026-11-20T08:00:00Z', ['acme', 'm1'], [9_999, 9_999]);
  store.close();
}

test('sessions.usage and usage.cost report tokens, prices and days from the store, in the asked calendar', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-usage-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  await seed(stateDir);
  const gw = await startTestGateway({
    stateDir,
    keepStateDir: true,
    config: {
      agents: { list: [{ id: 'main', default: true }, { id: 'helper' }] },
      models: {
        providers: {
          acme: { baseUrl: 'http://127.0.0.1:9/v1', models: [{ id: 'm1', cost: { input: 2, output: 10 } }] },
        },
      },
    },
  });
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, gw.token, { scopes: ['operator.read'] });
  t.after(() => client.close());
  const call = async <T>(method: string, params: unknown): Promise<T> => {
    const response = await client.request(method, params);
    assert.equal(response.error, undefined, JSON.stringify(response.error));
    return response.payload as T;
  };

  // The default agent's sessions only, the newest activity first; the echo model has no price.
  const main = await call<SessionsUsage>('sessions.usage', RANGE);
  assert.deepEqual([main.startDate, main.endDate], ['2026-11-30', '2026-12-01']);
  assert.deepEqual(
    main.sessions.map((s) => [s.key, s.usage.totalTokens, s.usage.messageCounts.total]),
    [
      ['agent:main:other', 7, 2],
      ['agent:main:main', 1_500, 2],
    ],
  );
  assert.equal(main.totals.totalTokens, 1_507);
  assert.equal(main.totals.totalCost.toFixed(6), ((1_000 * 2 + 500 * 10) / 1e6).toFixed(6));
  assert.equal(main.totals.missingCostEntries, 1);
  assert.deepEqual(
    main.aggregates.costDaily.map((d) => [d.date, d.totalTokens]),
    [
      ['2026-11-30', 1_500],
      ['2026-12-01', 7],
    ],
  );
  assert.deepEqual(
    main.aggregates.daily.map((d) => [d.date, d.messages]),
    [
      ['2026-11-30', 2],
      ['2026-12-01', 2],
    ],
  );
  assert.equal(main.aggregates.sessionCount, 2);
  assert.deepEqual(
    main.aggregates.byModel.map((m) => [m.provider, m.model, m.count, m.totals.totalTokens]),
    [
      ['acme', 'm1', 1, 1_500],
      ['echo', 'echo', 1, 7],
    ],
  );

  // "Started by": every session's creator is unrecorded; another creator matches nothing.
  const unknown = await call<SessionsUsage>('sessions.usage', { ...RANGE, creatorKey: '["unknown"]' });
  assert.equal(unknown.totals.totalTokens, 1_507);
  const someone = await call<SessionsUsage>('sessions.usage', {
    ...RANGE,
    creatorKey: '["profile","alice"]',
  });
  assert.deepEqual([someone.sessions, someone.totals.totalTokens], [[], 0]);

  // In Tokyo (UTC+9) the 23:30 UTC turn falls on 1 December.
  const tokyo = await call<SessionsUsage>('sessions.usage', {
    ...RANGE,
    mode: 'specific',
    timeZone: 'Asia/Tokyo',
  });
  assert.deepEqual(
    tokyo.aggregates.costDaily.map((d) => [d.date, d.totalTokens]),
    [['2026-12-01', 1_507]],
  );

  const all = await call<SessionsUsage>('sessions.usage', { ...RANGE, agentScope: 'all' });
  assert.deepEqual(all.aggregates.byAgent.map((a) => [a.agentId, a.totals.totalTokens]).sort(), [
    ['helper', 2_000],
    ['main', 1_507],
  ]);
  const one = await call<SessionsUsage>('sessions.usage', { ...RANGE, key: 'agent:helper:main' });
  assert.deepEqual(
    one.sessions.map((s) => [s.key, s.agentId]),
    [['agent:helper:main', 'helper']],
  );

  const cost = await call<{ days: number; daily: (Totals & { date: string })[]; totals: Totals }>(
    'usage.cost',
    {
      ...RANGE,
      agentScope: 'all',
    },
  );
  assert.equal(cost.days, 2);
  assert.deepEqual(
    cost.daily.map((d) => [d.date, d.totalTokens]),
    [
      ['2026-11-30', 1_500],
      ['2026-12-01', 2_007],
    ],
  );
  assert.equal(cost.totals.totalCost.toFixed(6), ((3_000 * 2 + 500 * 10) / 1e6).toFixed(6));
  const week = await call<{ days: number; daily: { date: string }[] }>('usage.cost', { days: 7 });
  assert.equal(week.days, 7);
  assert.equal(week.daily.length, 7);

  assert.deepEqual(Object.keys(await call<object>('usage.status', {})).sort(), ['providers', 'updatedAt']);

  const refused = async (method: string, params: unknown) => (await client.request(method, params)).error;
  assert.deepEqual(await refused('sessions.usage', { startDate: '2026-11-30' }), {
    code: 'INVALID_REQUEST',
    message: 'startDate and endDate must be provided together',
  });
  assert.equal(
    (await refused('sessions.usage', { startDate: '2026-02-30', endDate: '2026-03-01' }))?.message,
    'invalid startDate: expected a valid YYYY-MM-DD calendar date',
  );
  assert.equal(
    (await refused('usage.cost', { mode: 'specific', timeZone: 'Mars/Olympus' }))?.message,
    'invalid timeZone: expected a valid IANA time zone',
  );
  assert.equal(
    (await refused('sessions.usage', { agentId: 'nobody' }))?.message,
    'invalid sessions.usage params: agentId: unknown agent "nobody"',
  );
});
