import { MEMORY_SEARCH_MAX_RESULTS } from '../../config/limits.ts';
import type { MemorySource } from '../../config/types.ts';
import type { AgentTool, ToolContext, ToolRegistration, ToolResult } from '../tools/tool-types.ts';
import type { MemoryBackend, MemoryHit } from './memory-backend.ts';
import { readMemoryExcerpt } from './memory-read.ts';
import { memorySettings } from './memory-settings.ts';

/** OpenClaw's memory_search parameters (its MemorySearchSchema): `corpus: "wiki"` is accepted and unavailable. */
const MEMORY_SEARCH_PARAMETERS = {
  type: 'object',
  properties: {
    query: { type: 'string', description: 'What to look for: names, decisions, dates, identifiers.' },
    maxResults: { type: 'integer', minimum: 1, maximum: MEMORY_SEARCH_MAX_RESULTS },
    minScore: { type: 'number', minimum: 0, maximum: 1 },
    corpus: { type: 'string', enum: ['memory', 'wiki', 'all', 'sessions'] },
  },
  required: ['query'],
  additionalProperties: false,
} as const;

/** OpenClaw's memory_get parameters (its MemoryGetSchema). */
const MEMORY_GET_PARAMETERS = {
  type: 'object',
  properties: {
    path: {
      type: 'string',
      description: 'A path memory_search returned: MEMORY.md, USER.md or memory/….md.',
    },
    from: { type: 'integer', minimum: 1, description: 'First line, 1-based.' },
    lines: { type: 'integer', minimum: 1, description: 'Lines to read (default 120).' },
    corpus: { type: 'string', enum: ['memory', 'wiki', 'all'] },
  },
  required: ['path'],
  additionalProperties: false,
} as const;

/** OpenClaw's `jsonResult`: the payload as indented JSON for the model, and as `details` for clients. */
function jsonResult(payload: Record<string, unknown>, isError = false): ToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(payload, null, 2) }],
    details: payload,
    ...(isError ? { isError: true } : {}),
  };
}

/** A bad argument: the model sees which one and why, and may call again. */
function badArgument(tool: string, message: string): ToolResult {
  return jsonResult({ status: 'error', code: 'INVALID_ARGUMENT', error: `${tool}: ${message}` }, true);
}

function unavailable(error: string, warning: string, action: string): ToolResult {
  return jsonResult({ results: [], disabled: true, unavailable: true, error, warning, action });
}

function optionalInteger(
  params: Record<string, unknown>,
  name: string,
  max?: number,
): number | string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    (max !== undefined && value > max)
  )
    return `${name} must be an integer from 1${max === undefined ? '' : ` to ${max}`}`;
  return value;
}

/** OpenClaw's `auto` citations: in direct conversations, not in groups or channels (their session keys say so). */
function citationsOn(mode: 'auto' | 'on' | 'off', sessionKey: string): boolean {
  if (mode !== 'auto') return mode === 'on';
  const rest = sessionKey.toLowerCase().split(':').slice(2);
  return !rest.includes('group') && !rest.includes('channel');
}

function cite(hit: MemoryHit): string {
  const lines = hit.startLine === hit.endLine ? `#L${hit.startLine}` : `#L${hit.startLine}-L${hit.endLine}`;
  return `${hit.path}${lines}`;
}

const SEARCH_DESCRIPTION =
  'Search memory before answering questions about prior work, decisions, dates, people, preferences or todos: ' +
  'keyword search over MEMORY.md, USER.md and memory/*.md, and, when session memory is on, earlier conversations. ' +
  'corpus=memory searches the files only, corpus=sessions the transcripts only. Session hits are search references ' +
  '(sessions/<agent>/<id>.jsonl, lines = the message seq), not files memory_get can read. If the result says ' +
  'stale=true or unavailable=true, tell the user and include its warning.';
const GET_DESCRIPTION =
  'Read lines of a memory file (MEMORY.md, USER.md, DREAMS.md or memory/*.md in the workspace), e.g. around a ' +
  'memory_search hit: from (1-based) and lines (default 120); a longer excerpt says where to continue. ' +
  'status=not_found: no such file; status=error: the path is not a memory file of this workspace.';

function memorySearchTool(memory: MemoryBackend, ctx: ToolContext): AgentTool {
  return {
    name: 'memory_search',
    label: 'Memory Search',
    description: SEARCH_DESCRIPTION,
    parameters: MEMORY_SEARCH_PARAMETERS,
    async execute(_toolCallId, params, signal) {
      signal?.throwIfAborted();
      const query = params.query;
      if (typeof query !== 'string' || query.trim() === '')
        return badArgument('memory_search', 'query must be a non-empty string');
      const maxResults = optionalInteger(params, 'maxResults', MEMORY_SEARCH_MAX_RESULTS);
      if (typeof maxResults === 'string') return badArgument('memory_search', maxResults);
      const minScore = params.minScore;
      if (minScore !== undefined && (typeof minScore !== 'number' || !Number.isFinite(minScore)))
        return badArgument('memory_search', 'minScore must be a number');
      const corpus = params.corpus;
      if (corpus !== undefined && !['memory', 'wiki', 'all', 'sessions'].includes(corpus as string))
        return badArgument('memory_search', 'corpus must be memory, sessions, all or wiki');
      const settings = memorySettings(ctx.config);
      if (corpus === 'wiki')
        return unavailable(
          'no compiled wiki',
          'This gateway has no memory wiki; corpus=wiki searches nothing.',
          'Search with corpus=memory (or leave corpus out).',
        );
      const sessionsOn = settings.searchSources.includes('sessions');
      if (corpus === 'sessions' && !sessionsOn)
        return unavailable(
          'Session transcript search is not enabled.',
          'Session transcript search is unavailable for this agent.',
          'Ask the operator to enable memory.search.experimental.sessionMemory and add "sessions" to memory.search.sources.',
        );
      if (!memory.running)
        return unavailable(
          'the memory index is not open',
          'Memory search is unavailable: the memory backend is not running.',
          'Retry shortly; doctor.memory.status shows why.',
        );
      const sources: MemorySource[] =
        corpus === 'memory'
          ? ['memory']
          : corpus === 'sessions'
            ? ['sessions']
            : corpus === 'all'
              ? ['memory', ...(sessionsOn ? (['sessions'] as const) : [])]
              : settings.searchSources;
      const outcome = await memory.search(ctx.agentId, query, {
        maxResults: maxResults ?? settings.maxResults,
        ...(minScore !== undefined ? { minScore: minScore as number } : {}),
        sources,
      });
      signal?.throwIfAborted();
      const withCitations = citationsOn(settings.citations, ctx.sessionKey);
      const results = outcome.results.map((hit) => {
        const citation = cite(hit);
        return withCitations
          ? {
              ...hit,
              corpus: hit.source,
              citation,
              snippet: `${hit.snippet.trimEnd()}\n\nSource: ${citation}`,
            }
          : { ...hit, corpus: hit.source };
      });
      const { results: _results, ...staleness } = outcome;
      return jsonResult({
        results,
        provider: 'none',
        mode: 'fts-only',
        citations: settings.citations,
        ...staleness,
      });
    },
  };
}

function memoryGetTool(ctx: ToolContext): AgentTool {
  return {
    name: 'memory_get',
    label: 'Memory Get',
    description: GET_DESCRIPTION,
    parameters: MEMORY_GET_PARAMETERS,
    async execute(_toolCallId, params, signal) {
      signal?.throwIfAborted();
      const path = params.path;
      if (typeof path !== 'string' || path.trim() === '')
        return badArgument('memory_get', 'path must be a non-empty string');
      const from = optionalInteger(params, 'from');
      if (typeof from === 'string') return badArgument('memory_get', from);
      const lines = optionalInteger(params, 'lines');
      if (typeof lines === 'string') return badArgument('memory_get', lines);
      if (params.corpus === 'wiki')
        return jsonResult({ status: 'not_found', path, text: '', error: 'this gateway has no memory wiki' });
      const result = await readMemoryExcerpt(ctx.workspaceDir, path, {
        ...(from !== undefined ? { from } : {}),
        ...(lines !== undefined ? { lines } : {}),
      });
      return jsonResult(result, result.status === 'error');
    },
  };
}

/**
 * The memory tools as the tool registry takes them: `memory_search` over the gateway's memory backend and
 * `memory_get` confined to the turn's workspace. Both are left out of a turn while `memory.search.enabled` is
 * false (OpenClaw's memory plugin registers none then).
 */
export function memoryToolRegistrations(memory: MemoryBackend): ToolRegistration[] {
  const enabled = (ctx: ToolContext) => memorySettings(ctx.config).enabled;
  return [
    {
      name: 'memory_search',
      source: { kind: 'core' },
      factory: (ctx) => (enabled(ctx) ? memorySearchTool(memory, ctx) : null),
    },
    {
      name: 'memory_get',
      source: { kind: 'core' },
      factory: (ctx) => (enabled(ctx) ? memoryGetTool(ctx) : null),
    },
  ];
}
