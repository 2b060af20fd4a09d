import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, type RawClient } from '../helpers/raw-client.ts';

/** Transcripts are searchable only with session memory on and `sessions` in the sources (OpenClaw's opt-in). */
const SESSIONS_ON = {
  models: { echo: { wordDelayMs: 0 } },
  memory: { search: { sources: ['memory', 'sessions'], experimental: { sessionMemory: true } } },
};

type Hit = {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  textScore: number;
  snippet: string;
  source: string;
  sessionKey?: string;
  sessionId?: string;
  messageId?: string;
};
type SearchResult = {
  agentId: string;
  provider: string;
  searchMode: string;
  results: Hit[];
  stale?: boolean;
  warning?: string;
};

async function open(config: Record<string, unknown>, options: { stateDir?: string } = {}) {
  const gw = await startTestGateway({ config, ...options });
  const { client } = await connectClient(gw.url, gw.token);
  return { gw, client };
}

async function search(client: RawClient, params: Record<string, unknown>): Promise<SearchResult> {
  const answer = await client.request('memory.search', params);
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  return answer.payload as SearchResult;
}

/** One echo turn, to its final event. */
async function turn(client: RawClient, sessionKey: string, message: string, key: string): Promise<void> {
  const sent = await client.request('chat.send', { sessionKey, message, idempotencyKey: key });
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  await client.waitFor(
    (f) =>
      f.event === 'chat' &&
      (f.payload as { runId?: string; state?: string }).runId === key &&
      (f.payload as { state?: string }).state === 'final',
    15_000,
  );
}

function writeWorkspace(gw: TestGateway | string, files: Record<string, string>): string {
  const dir = join(typeof gw === 'string' ? gw : gw.stateDir, 'workspace');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('messages committed through chat.send are searchable at once, user and assistant, with their session', async (t) => {
  const { gw, client } = await open(SESSIONS_ON);
  t.after(() => gw.close());
  t.after(() => client.close());
  await turn(client, 'main', 'the lighthouse keeper prefers Earl Grey', 't1');
  await turn(client, 'agent:main:side', 'a note about quarterly budgets', 't2');

  const found = await search(client, { query: 'lighthouse keeper' });
  assert.equal(found.agentId, 'main');
  assert.equal(found.provider, 'none');
  assert.equal(found.searchMode, 'fts-only');
  assert.equal(found.stale, undefined);
  assert.deepEqual(found.results.map((hit) => [hit.source, hit.snippet]).sort(), [
    ['sessions', 'Assistant: Echo: the lighthouse keeper prefers Earl Grey'],
    ['sessions', 'User: the lighthouse keeper prefers Earl Grey'],
  ]);
  const history = await client.request('chat.history', { sessionKey: 'main' });
  const { sessionId, messages } = history.payload as { sessionId: string; messages: { role: string }[] };
  for (const hit of found.results) {
    assert.equal(hit.sessionKey, 'agent:main:main');
    assert.equal(hit.sessionId, sessionId);
    assert.equal(hit.path, `sessions/main/${sessionId}.jsonl`);
    assert.equal(hit.startLine, hit.endLine);
    assert.ok(hit.score > 0 && hit.score <= 1 && hit.score <= hit.textScore, JSON.stringify(hit));
  }
  // The user message is seq 1, the assistant's seq 2: the lines are where chat.history has them.
  assert.deepEqual(found.results.map((hit) => hit.startLine).sort(), [1, 2]);
  assert.equal(messages.length, 2);

  const other = await search(client, { query: 'quarterly budgets', maxResults: 1 });
  assert.equal(other.results.length, 1);
  assert.equal(other.results[0].sessionKey, 'agent:main:side');
  assert.deepEqual((await search(client, { query: 'nothing-like-this-anywhere' })).results, []);
});

test('by default search covers memory files only; transcripts wait in the index until sessions are asked for', async (t) => {
  const { gw, client } = await open({ models: { echo: { wordDelayMs: 0 } } });
  t.after(() => gw.close());
  t.after(() => client.close());
  await turn(client, 'main', 'zanzibar travel plans', 'd1');
  assert.deepEqual((await search(client, { query: 'zanzibar' })).results, []);
  const status = await client.request('doctor.memory.status', {});
  const index = (
    status.payload as { index: { sources: string[]; indexedSources: string[]; messages: number } }
  ).index;
  assert.deepEqual(index.sources, ['memory']);
  assert.deepEqual(index.indexedSources, ['memory', 'sessions']);
});

test('workspace memory files are indexed at start-up and follow edits, additions and removals', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const workspace = writeWorkspace(stateDir, {
    'MEMORY.md': '# Long-term\n\nThe deploy key lives in the vault.\nAlice owns the billing service.\n',
    'memory/2026-01-02.md': 'Standup: migrated the orders table to Postgres.\n',
    'memory/projects/atlas.md': 'Atlas launch is blocked on legal review.\n',
    'notes.md': 'The deploy key is not here: only memory files are indexed.\n',
  });
  const { gw, client } = await open({}, { stateDir });
  t.after(() => gw.close());
  t.after(() => client.close());

  const deploy = await search(client, { query: 'deploy key' });
  assert.deepEqual(
    deploy.results.map((hit) => [hit.path, hit.startLine, hit.endLine, hit.source]),
    [['MEMORY.md', 1, 4, 'memory']],
  );
  assert.match(deploy.results[0].snippet, /The deploy key lives in the vault\./);
  assert.equal((await search(client, { query: 'atlas legal' })).results[0]?.path, 'memory/projects/atlas.md');

  // An edit is seen by the next search (the index checks the files' stat before it searches).
  writeFileSync(join(workspace, 'memory/projects/atlas.md'), 'Atlas launched on Tuesday.\n');
  assert.deepEqual((await search(client, { query: 'legal review' })).results, []);
  assert.equal((await search(client, { query: 'atlas launched' })).results.length, 1);
  writeFileSync(join(workspace, 'memory/2026-03-04.md'), 'Decided: retire the fax gateway.\n');
  assert.equal((await search(client, { query: 'fax gateway' })).results[0]?.path, 'memory/2026-03-04.md');
  rmSync(join(workspace, 'MEMORY.md'));
  assert.deepEqual((await search(client, { query: 'deploy key' })).results, []);

  const status = (await client.request('doctor.memory.status', { agentId: 'main' })).payload as {
    index: { files: number; workspaceDir: string };
  };
  assert.equal(status.index.files, 3);
  assert.equal(status.index.workspaceDir, workspace);
});

test('ranking: all the words beat some of them, more mentions beat fewer, old daily notes fade', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  writeWorkspace(stateDir, {
    'MEMORY.md': 'Kestrel is the codename of the payments rewrite.\n',
    'memory/2020-01-01.md': 'Kestrel is the codename of the payments rewrite.\n',
    'memory/kestrel.md': 'Kestrel kestrel kestrel: the rewrite, the rewrite, the plan.\n',
    'memory/other.md': 'The payments team meets on Mondays.\n',
  });
  const { gw, client } = await open({}, { stateDir });
  t.after(() => gw.close());
  t.after(() => client.close());

  const both = await search(client, { query: 'kestrel payments', minScore: 0 });
  const byPath = new Map(both.results.map((hit) => [hit.path, hit]));
  assert.equal(both.results[0].path, 'MEMORY.md', 'both words, never decays');
  // Only "payments": found by the keyword fallback, ranked below the notes with both words.
  assert.ok(byPath.get('memory/other.md')!.textScore < byPath.get('MEMORY.md')!.textScore);
  const old = byPath.get('memory/2020-01-01.md')!;
  const evergreen = byPath.get('MEMORY.md')!;
  assert.equal(old.textScore, evergreen.textScore, 'same text, same text score');
  assert.ok(old.score < evergreen.score / 1000, 'six years of 30-day half-lives');
  // The configured minimum (0.35) drops the faded note when others clear it.
  const defaults = await search(client, { query: 'kestrel payments' });
  assert.ok(!defaults.results.some((hit) => hit.path === 'memory/2020-01-01.md'));
  assert.equal(defaults.results[0].path, 'MEMORY.md');

  const single = await search(client, { query: 'kestrel' });
  assert.equal(single.results[0].path, 'memory/kestrel.md', 'three mentions beat one');
  // An explicit minScore drops weak hits; the configured one keeps keyword matches when none clears it.
  assert.deepEqual((await search(client, { query: 'kestrel', minScore: 0.99 })).results, []);
});

test('bad memory.search params are refused with INVALID_REQUEST naming the field', async (t) => {
  const { gw, client } = await open({});
  t.after(() => gw.close());
  t.after(() => client.close());
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /query/],
    [{ query: 42 }, /query/],
    [{ query: '   ' }, /query must be a non-empty string/],
    [{ query: 'x', maxResults: 'ten' }, /maxResults/],
    [{ query: 'x', minScore: 'high' }, /minScore/],
    [{ query: 'x', agentId: 7 }, /agentId/],
    [{ query: 'x', agentId: 'nobody' }, /unknown agentId: nobody/],
  ];
  for (const [params, message] of cases) {
    const answer = await client.request('memory.search', params);
    assert.equal(answer.ok, false, JSON.stringify(params));
    assert.equal(answer.error?.code, 'INVALID_REQUEST', JSON.stringify(params));
    assert.match(answer.error?.message ?? '', message, JSON.stringify(params));
  }
  const unknown = await client.request('doctor.memory.status', { agentId: 'nobody' });
  assert.equal(unknown.error?.details?.code, 'UNKNOWN_AGENT_ID');
  // maxResults is floored and clamped to 1-50, as OpenClaw's is.
  assert.equal((await client.request('memory.search', { query: 'x', maxResults: 0.5 })).ok, true);
  assert.equal((await client.request('memory.search', { query: 'x', maxResults: 9999 })).ok, true);
});

test('a reset keeps the old transcript searchable (OpenClaw keeps reset archives); a delete removes it', async (t) => {
  const { gw, client } = await open(SESSIONS_ON);
  t.after(() => gw.close());
  t.after(() => client.close());
  await turn(client, 'agent:main:work', 'the octopus budget was approved', 'r1');
  assert.equal((await client.request('sessions.reset', { key: 'agent:main:work' })).ok, true);
  await turn(client, 'agent:main:work', 'after the reset we discuss walruses', 'r2');
  const octopus = await search(client, { query: 'octopus budget' });
  assert.equal(octopus.results.length, 2);
  assert.equal((await search(client, { query: 'walruses' })).results.length, 2);
  const deleted = await client.request('sessions.delete', { key: 'agent:main:work' });
  assert.equal(deleted.ok, true, JSON.stringify(deleted.error));
  assert.deepEqual((await search(client, { query: 'octopus budget' })).results, []);
  assert.deepEqual((await search(client, { query: 'walruses' })).results, []);
});

test('transcripts stored before indexing was on are backfilled once it is, and stay indexed across restarts', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const off = await open(
    { models: { echo: { wordDelayMs: 0 } }, memory: { search: { rememberAcrossConversations: false } } },
    { stateDir },
  );
  for (let i = 0; i < 5; i++)
    await turn(off.client, `agent:main:s${i}`, `heron sighting number ${i}`, `b${i}`);
  const before = (await off.client.request('doctor.memory.status', {})).payload as {
    index: { transcripts: boolean; messages: number };
  };
  assert.equal(before.index.transcripts, false);
  assert.equal(before.index.messages, 0);
  off.client.close();
  await off.gw.close();

  const on = await open(SESSIONS_ON, { stateDir });
  t.after(() => on.gw.close());
  t.after(() => on.client.close());
  const deadline = performance.now() + 15_000;
  let hits: Hit[] = [];
  for (;;) {
    const found = await search(on.client, { query: 'heron sighting' });
    hits = found.results;
    if (hits.length === 10 && !found.stale) break;
    assert.ok(performance.now() < deadline, `backfill incomplete: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(new Set(hits.map((hit) => hit.sessionKey)).size, 5);
});

test("doctor.memory.status is what the Control UI's Memory page reads as healthy; disabled memory says why", async (t) => {
  const { gw, client } = await open({});
  t.after(() => gw.close());
  t.after(() => client.close());
  const status = (await client.request('doctor.memory.status', { agentId: 'main', probe: true })).payload as {
    agentId: string;
    provider: string;
    embedding: { ok: boolean; checked?: boolean; error?: string };
    searchRuntimeRegistered?: boolean;
  };
  assert.equal(status.agentId, 'main');
  assert.equal(status.provider, 'none');
  // The page shows "needs attention" when !embedding.ok && embedding.checked !== false.
  assert.equal(status.embedding.ok, false);
  assert.equal(status.embedding.checked, false);
  assert.notEqual(status.searchRuntimeRegistered, false);

  const diary = (await client.request('doctor.memory.dreamDiary', {})).payload as Record<string, unknown>;
  assert.deepEqual(diary, { agentId: 'main', found: false, path: 'DREAMS.md' });
  writeWorkspace(gw, { 'DREAMS.md': '# Dream Diary\n\nNothing yet.\n' });
  const written = (await client.request('doctor.memory.dreamDiary', {})).payload as Record<string, unknown>;
  assert.equal(written.found, true);
  assert.equal(written.content, '# Dream Diary\n\nNothing yet.\n');

  const off = await open({ memory: { search: { enabled: false } } });
  t.after(() => off.gw.close());
  t.after(() => off.client.close());
  const disabled = (await off.client.request('doctor.memory.status', {})).payload as {
    embedding: { ok: boolean; error: string };
  };
  assert.deepEqual(disabled.embedding, {
    ok: false,
    error: 'memory search is disabled (memory.search.enabled is false)',
  });
  const refused = await off.client.request('memory.search', { query: 'x' });
  assert.equal(refused.error?.code, 'UNAVAILABLE');
});

test('config changes apply live: session search turned on finds older turns, memory turned off empties the index', async (t) => {
  const { gw, client } = await open({ models: { echo: { wordDelayMs: 0 } } });
  t.after(() => gw.close());
  t.after(() => client.close());
  await turn(client, 'main', 'the albatross migration', 'c1');
  assert.deepEqual((await search(client, { query: 'albatross' })).results, []);
  const patch = async (raw: string) => {
    const { hash } = (await client.request('config.get')).payload as { hash: string };
    const res = await client.request('config.patch', { raw, baseHash: hash });
    assert.equal(res.ok, true, JSON.stringify(res.error));
  };
  await patch('{memory:{search:{sources:["memory","sessions"]}}}');
  assert.equal((await search(client, { query: 'albatross' })).results.length, 2);

  await patch('{memory:{search:{enabled:false}}}');
  const deadline = performance.now() + 10_000;
  for (;;) {
    const status = (await client.request('doctor.memory.status', {})).payload as {
      embedding: { error: string };
    };
    if (/disabled/.test(status.embedding.error)) break;
    assert.ok(performance.now() < deadline, 'memory never turned off');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await client.request('memory.search', { query: 'albatross' })).error?.code, 'UNAVAILABLE');
  await patch('{memory:{search:{enabled:true}}}');
  // Back on: the transcripts were dropped with the setting and come back through a backfill.
  const again = performance.now() + 15_000;
  for (;;) {
    const found = await search(client, { query: 'albatross' });
    if (found.results.length === 2 && !found.stale) break;
    assert.ok(performance.now() < again, `not backfilled: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
