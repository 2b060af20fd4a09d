import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import {
  CHUNK_MAX_CHARS,
  CHUNK_OVERLAP_CHARS,
  chunkMarkdown,
} from '../../src/agents/memory/chunk-markdown.ts';
import { isMemoryPath, listMemoryFiles } from '../../src/agents/memory/memory-files.ts';
import {
  bm25,
  datedNoteTime,
  keywordTerms,
  matchExpression,
  queryTerms,
  recencyWeight,
  relevanceScore,
  snippet,
  tokenize,
} from '../../src/agents/memory/memory-ranking.ts';
import { memorySettings } from '../../src/agents/memory/memory-settings.ts';
import { agentWorkspaceDir } from '../../src/agents/memory/workspace-dir.ts';
import { defaultConfig } from '../../src/config/defaults.ts';

test('chunks are whole lines within the size, overlap the one before, and keep line numbers', () => {
  assert.deepEqual(chunkMarkdown('# Title\n\nOne line.\n'), [
    { startLine: 1, endLine: 3, text: '# Title\n\nOne line.' },
  ]);
  assert.deepEqual(chunkMarkdown('\n\n  \n'), []);
  const lines = Array.from(
    { length: 200 },
    (_, i) => `line ${String(i + 1).padStart(3, '0')} ${'x'.repeat(40)}`,
  );
  const chunks = chunkMarkdown(lines.join('\n'));
  assert.ok(chunks.length > 3);
  assert.equal(chunks[0].startLine, 1);
  assert.equal(chunks.at(-1)?.endLine, 200);
  for (const [i, chunk] of chunks.entries()) {
    assert.ok(chunk.text.length <= CHUNK_MAX_CHARS);
    assert.equal(chunk.text, lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
    if (i === 0) continue;
    const previous = chunks[i - 1];
    assert.ok(chunk.startLine <= previous.endLine, 'overlaps the previous chunk');
    const overlap = lines.slice(chunk.startLine - 1, previous.endLine).join('\n').length;
    assert.ok(overlap <= CHUNK_OVERLAP_CHARS, `overlap ${overlap}`);
  }
  // A line longer than a chunk is cut into pieces that keep its number.
  const long = chunkMarkdown(`short\n${'y'.repeat(CHUNK_MAX_CHARS * 2 + 5)}\nend`);
  assert.ok(long.every((chunk) => chunk.text.length <= CHUNK_MAX_CHARS));
  assert.ok(long.some((chunk) => chunk.startLine === 2 && chunk.endLine === 2));
  assert.equal(long.at(-1)?.endLine, 3);
});

test('terms, match expressions and BM25 scores', () => {
  assert.deepEqual(tokenize('Café-Déjà vu, ÉCOLE_2024!'), ['cafe', 'deja', 'vu', 'ecole', '2024']);
  assert.deepEqual(queryTerms('the THE the cat'), ['the', 'cat']);
  // Quotes keep FTS5 operators and column filters in a query plain text.
  assert.equal(matchExpression(['not', 'or', 'col']), '"not" AND "or" AND "col"');
  assert.equal(matchExpression(['a', 'b'], 'OR'), '"a" OR "b"');
  assert.deepEqual(keywordTerms(['what', 'did', 'we', 'decide', 'about', 'the', 'database', 'x'], 4), [
    'decide',
    'database',
  ]);
  const stats = { docs: 1000, df: (term: string) => (term === 'rare' ? 2 : 900) };
  const [rare, common, both, neither] = bm25(
    ['rare', 'common'],
    [
      ['rare', 'a', 'b'],
      ['common', 'a', 'b'],
      ['rare', 'common', 'a'],
      ['a', 'b', 'c'],
    ],
    stats,
  );
  assert.ok(rare > common, 'a rare term weighs more');
  assert.ok(both > rare);
  assert.equal(neither, 0);
  const [once, thrice] = bm25(
    ['rare'],
    [
      ['rare', 'x', 'y'],
      ['rare', 'rare', 'rare'],
    ],
    stats,
  );
  assert.ok(thrice > once);
  assert.equal(relevanceScore(0), 0);
  assert.equal(relevanceScore(1), 0.5);
  assert.ok(relevanceScore(100) < 1);
});

test('recency: dated notes decay with a 30-day half-life, evergreen files do not', () => {
  const day = 86_400_000;
  assert.equal(datedNoteTime('memory/2026-03-01.md'), Date.UTC(2026, 2, 1));
  assert.equal(datedNoteTime('memory/deep/2026-03-01-standup.md'), Date.UTC(2026, 2, 1));
  assert.equal(datedNoteTime('MEMORY.md'), undefined);
  assert.equal(datedNoteTime('memory/projects.md'), undefined);
  assert.equal(recencyWeight(0, 30 * day), 0.5);
  assert.equal(recencyWeight(100, 0), 1, 'the future counts as new');
  assert.ok(Math.abs(recencyWeight(0, 60 * day) - 0.25) < 1e-12);
});

test('snippets fit the budget and start near the first match', () => {
  assert.equal(snippet('  short  ', ['x']), 'short');
  const text = `${'a '.repeat(600)}needle ${'b '.repeat(600)}`;
  const cut = snippet(text, ['needle']);
  assert.ok(cut.length <= 700);
  assert.ok(cut.startsWith('…') && cut.endsWith('…'));
  assert.ok(cut.includes('needle'));
});

test("OpenClaw's source policy: transcripts indexed for a personal install, searchable only when asked for", () => {
  const config = defaultConfig();
  assert.deepEqual(memorySettings(config), {
    enabled: true,
    searchSources: ['memory'],
    indexedSources: ['memory', 'sessions'],
    maxResults: 6,
    minScore: 0.35,
    citations: 'auto',
  });
  config.memory.search.sources = ['memory', 'sessions'];
  assert.deepEqual(
    memorySettings(config).searchSources,
    ['memory', 'sessions'],
    'remember + sessions listed',
  );
  // Isolated direct messages turn cross-conversation recall off: sessions need experimental.sessionMemory.
  config.session.dmScope = 'per-peer';
  assert.deepEqual(memorySettings(config).searchSources, ['memory']);
  assert.deepEqual(memorySettings(config).indexedSources, ['memory']);
  config.memory.search.experimental.sessionMemory = true;
  assert.deepEqual(memorySettings(config).searchSources, ['memory', 'sessions']);
  config.session.dmScope = 'main';
  config.bindings = [{ agentId: 'main', match: { channel: 'telegram' }, session: { dmScope: 'per-peer' } }];
  config.memory.search.experimental.sessionMemory = false;
  assert.deepEqual(memorySettings(config).indexedSources, ['memory'], 'a binding isolating DMs counts too');
  config.memory.search.rememberAcrossConversations = true;
  assert.deepEqual(memorySettings(config).indexedSources, ['memory', 'sessions'], 'explicit wins');
  config.memory.search.sources = ['sessions'];
  config.memory.search.rememberAcrossConversations = false;
  assert.deepEqual(memorySettings(config).searchSources, ['memory'], 'sessions alone without session memory');
});

test("workspaces by OpenClaw's rule: own, the default agent's, the others' beside it", () => {
  const config = defaultConfig();
  assert.equal(agentWorkspaceDir(config, 'main', '/state'), '/state/workspace');
  config.agents.list = [{ id: 'main', default: true }, { id: 'Helper' }, { id: 'own', workspace: '~/notes' }];
  assert.equal(agentWorkspaceDir(config, 'main', '/state'), '/state/workspace');
  assert.equal(agentWorkspaceDir(config, 'helper', '/state'), '/state/workspace-helper');
  assert.equal(agentWorkspaceDir(config, 'own', '/state'), join(homedir(), 'notes'));
  config.agents.defaults.workspace = 'rel/ws';
  assert.equal(agentWorkspaceDir(config, 'main', '/state'), resolve('rel/ws'));
  assert.equal(agentWorkspaceDir(config, 'helper', '/state'), join(resolve('rel/ws'), 'helper'));
});

test('memory files: the root files and memory/**/*.md, no symlinks, no dot-entries, no other files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'clawgate-outside-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'memory', 'deep', 'deeper'), { recursive: true });
  mkdirSync(join(dir, 'memory', '.dreams'));
  mkdirSync(join(outside, 'linked'));
  for (const path of [
    'MEMORY.md',
    'USER.md',
    'AGENTS.md',
    'DREAMS.md',
    'memory/a.md',
    'memory/b.txt',
    'memory/deep/deeper/c.md',
    'memory/.dreams/state.md',
    'memory/.hidden.md',
  ])
    writeFileSync(join(dir, path), `${path}\n`);
  writeFileSync(join(outside, 'secret.md'), 'secret');
  symlinkSync(join(outside, 'secret.md'), join(dir, 'memory', 'link.md'));
  symlinkSync(join(outside, 'linked'), join(dir, 'memory', 'linked'));
  const listing = await listMemoryFiles(dir);
  assert.deepEqual(
    listing.files.map((file) => file.path),
    ['MEMORY.md', 'USER.md', 'memory/a.md', 'memory/deep/deeper/c.md'],
  );
  assert.equal(listing.skipped, 0);
  assert.deepEqual((await listMemoryFiles(join(dir, 'missing'))).files, []);

  for (const path of ['MEMORY.md', 'USER.md', 'DREAMS.md', 'dreams.md', 'memory/x.md', 'memory/a/b.md'])
    assert.equal(isMemoryPath(path), true, path);
  for (const path of [
    'AGENTS.md',
    'memory/x.txt',
    'memory/../x.md',
    'memory//x.md',
    './MEMORY.md',
    'x/memory/a.md',
  ])
    assert.equal(isMemoryPath(path), false, path);
});
