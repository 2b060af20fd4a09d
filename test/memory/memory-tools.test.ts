import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/agents/memory/memory-backend.ts';
import { memoryToolRegistrations } from '../../src/agents/memory/memory-tools.ts';
import type { AgentTool, ToolContext } from '../../src/agents/tools/tool-types.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';

type Fixture = { backend: MemoryBackend; store: SqliteStore; workspace: string; config: GatewayConfig };

/** A backend on a real store in a temp state dir, its workspace holding `files`; closed when the test ends. */
async function fixture(
  t: { after(fn: () => unknown): void },
  files: Record<string, string>,
  tune: (config: GatewayConfig) => void = () => undefined,
): Promise<Fixture> {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-memory-'));
  const workspace = join(stateDir, 'workspace');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(workspace, path, '..'), { recursive: true });
    writeFileSync(join(workspace, path), text);
  }
  const config = defaultConfig();
  tune(config);
  const store = SqliteStore.open(stateDir);
  const backend = new MemoryBackend({
    database: store.database,
    write: (work) => store.write(work),
    onCommit: (listener) => store.onCommit(listener),
    config: () => config,
    stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
  await backend.start();
  t.after(async () => {
    await backend.stop();
    store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { backend, store, workspace, config };
}

function tools(f: Fixture, sessionKey = 'agent:main:main'): Record<string, AgentTool> {
  const ctx: ToolContext = {
    agentId: 'main',
    sessionKey,
    runId: 'run-1',
    workspaceDir: f.workspace,
    config: f.config,
    logger: createLogger({ level: 'error', console: null }),
    execGate: { check: async () => ({ allowed: false, reason: 'not in these tests' }) },
  };
  const out: Record<string, AgentTool> = {};
  for (const registration of memoryToolRegistrations(f.backend)) {
    assert.deepEqual(registration.source, { kind: 'core' });
    const tool = registration.factory(ctx);
    assert.ok(tool && !Array.isArray(tool), registration.name);
    assert.equal(tool.name, registration.name);
    out[tool.name] = tool;
  }
  return out;
}

async function call(tool: AgentTool, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await tool.execute('call-1', params);
  const text = result.content[0];
  assert.equal(text?.type, 'text');
  assert.deepEqual(
    JSON.parse((text as { text: string }).text),
    result.details,
    'the model sees what clients see',
  );
  return { ...(result.details as Record<string, unknown>), isError: result.isError === true };
}

const NOTES = {
  'MEMORY.md': '# Facts\n\nThe staging database is called ferret.\nBackups run at 02:00.\n',
  'memory/2026-05-01.md': Array.from({ length: 300 }, (_, i) => `line ${i + 1} of the daily note`).join('\n'),
  'AGENTS.md': 'Not a memory file: ferret appears here too.\n',
};

test('memory_search finds memory files with OpenClaw fields and citations; corpora and bad arguments', async (t) => {
  const f = await fixture(t, NOTES);
  const { memory_search: search } = tools(f);
  assert.equal(search.parameters.type, 'object');
  const found = await call(search, { query: 'staging database' });
  assert.equal(found.isError, false);
  assert.equal(found.provider, 'none');
  assert.equal(found.mode, 'fts-only');
  assert.equal(found.citations, 'auto');
  const [hit] = found.results as Record<string, unknown>[];
  assert.equal(hit.path, 'MEMORY.md');
  assert.equal(hit.corpus, 'memory');
  assert.equal(hit.citation, 'MEMORY.md#L1-L4');
  assert.match(hit.snippet as string, /ferret\.[\s\S]*\n\nSource: MEMORY\.md#L1-L4$/);
  assert.equal((found.results as unknown[]).length, 1, 'AGENTS.md is not indexed');

  // A group session gets no citation footer with citations: auto (OpenClaw's rule).
  const inGroup = await call(tools(f, 'agent:main:telegram:group:42').memory_search, { query: 'ferret' });
  assert.equal((inGroup.results as Record<string, unknown>[])[0].citation, undefined);

  const sessions = await call(search, { query: 'ferret', corpus: 'sessions' });
  assert.equal(sessions.unavailable, true);
  assert.match(sessions.action as string, /memory\.search\.experimental\.sessionMemory/);
  assert.equal((await call(search, { query: 'ferret', corpus: 'wiki' })).unavailable, true);
  assert.equal(((await call(search, { query: 'ferret', corpus: 'memory' })).results as unknown[]).length, 1);

  for (const [params, field] of [
    [{}, 'query'],
    [{ query: '' }, 'query'],
    [{ query: 'x', maxResults: 0 }, 'maxResults'],
    [{ query: 'x', maxResults: 2.5 }, 'maxResults'],
    [{ query: 'x', minScore: 'high' }, 'minScore'],
    [{ query: 'x', corpus: 'everything' }, 'corpus'],
  ] as const) {
    const bad = await call(search, params);
    assert.equal(bad.isError, true, JSON.stringify(params));
    assert.equal(bad.code, 'INVALID_ARGUMENT');
    assert.match(bad.error as string, new RegExp(`memory_search: ${field}`), JSON.stringify(params));
  }
});

test('memory_get reads line ranges of memory files and says where to continue', async (t) => {
  const f = await fixture(t, NOTES);
  const { memory_get: get } = tools(f);
  const whole = await call(get, { path: 'MEMORY.md' });
  assert.deepEqual(whole, {
    status: 'ok',
    path: 'MEMORY.md',
    text: '# Facts\n\nThe staging database is called ferret.\nBackups run at 02:00.',
    from: 1,
    lines: 4,
    isError: false,
  });
  const range = await call(get, { path: 'memory/2026-05-01.md', from: 10, lines: 3 });
  assert.equal(
    range.text,
    'line 10 of the daily note\nline 11 of the daily note\nline 12 of the daily note' +
      '\n\n[More content available. Use from=13 to continue.]',
  );
  assert.equal(range.nextFrom, 13);
  assert.equal(range.truncated, true);
  const first = await call(get, { path: 'memory/2026-05-01.md' });
  assert.equal(first.lines, 120);
  assert.equal(first.nextFrom, 121);
  const last = await call(get, { path: 'memory/2026-05-01.md', from: 290 });
  assert.equal(last.lines, 11);
  assert.equal(last.truncated, undefined);
  // An absolute path inside the workspace is the same file.
  assert.equal((await call(get, { path: join(f.workspace, 'MEMORY.md') })).status, 'ok');
  assert.deepEqual(await call(get, { path: 'memory/missing.md' }), {
    status: 'not_found',
    path: 'memory/missing.md',
    text: '',
    isError: false,
  });
  const bad = await call(get, { path: 'MEMORY.md', from: 0 });
  assert.match(bad.error as string, /memory_get: from must be an integer/);
});

test('memory_get refuses escapes: ../, absolute paths, symlinks, files that are not memory files', async (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'clawgate-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'secret.md'), 'the root password\n');
  mkdirSync(join(outside, 'notes'));
  writeFileSync(join(outside, 'notes', 'x.md'), 'also secret\n');
  const f = await fixture(t, NOTES);
  symlinkSync(join(outside, 'secret.md'), join(f.workspace, 'memory', 'link.md'));
  symlinkSync(join(outside, 'notes'), join(f.workspace, 'memory', 'linked-dir'));
  symlinkSync(join(outside, 'secret.md'), join(f.workspace, 'USER.md'));
  const { memory_get: get } = tools(f);
  for (const path of [
    '../secret.md',
    'memory/../../secret.md',
    join(outside, 'secret.md'),
    '/etc/passwd',
    'memory/link.md',
    'memory/linked-dir/x.md',
    'USER.md',
    'AGENTS.md',
    'memory/notes.txt',
    'sessions/main/abc.jsonl',
    'memory',
    '.',
  ]) {
    const refused = await call(get, { path });
    assert.equal(refused.status, 'error', path);
    assert.equal(refused.code, 'MEMORY_PATH_NOT_ALLOWED', path);
    assert.equal(refused.isError, true, path);
    assert.equal(refused.text, '', path);
    assert.doesNotMatch(JSON.stringify(refused), /password|also secret/, path);
  }
  // Nor is a symlinked file indexed for memory_search.
  const { memory_search: search } = tools(f);
  assert.deepEqual((await call(search, { query: 'password' })).results, []);
});

test('the tools are left out while memory.search.enabled is false', async (t) => {
  const f = await fixture(t, {}, (config) => {
    config.memory.search.enabled = false;
  });
  for (const registration of memoryToolRegistrations(f.backend)) {
    const ctx = { agentId: 'main', sessionKey: 'agent:main:main', config: f.config } as ToolContext;
    assert.equal(registration.factory(ctx), null, registration.name);
  }
});
