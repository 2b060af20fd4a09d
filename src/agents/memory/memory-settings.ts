import type { GatewayConfig, MemorySource } from '../../config/types.ts';

/** What memory search does for the gateway's agents, resolved from `memory.*` by OpenClaw's source policy. */
export type MemorySettings = {
  enabled: boolean;
  /** Corpora a search returns when it names none. */
  searchSources: MemorySource[];
  /** Corpora kept indexed: transcripts may be indexed without being searchable by default. */
  indexedSources: MemorySource[];
  maxResults: number;
  minScore: number;
  citations: GatewayConfig['memory']['citations'];
};

/**
 * OpenClaw's rule: cross-conversation recall is on unless direct messages are isolated somewhere (a `session.dmScope`
 * other than `main`, or any binding that sets one), and an explicit `rememberAcrossConversations` wins.
 */
function rememberAcrossConversations(config: GatewayConfig): boolean {
  const explicit = config.memory.search.rememberAcrossConversations;
  if (explicit !== undefined) return explicit;
  return (
    config.session.dmScope === 'main' &&
    !config.bindings.some((binding) => binding.session?.dmScope !== undefined)
  );
}

/** `sources` as OpenClaw normalises them: default `["memory"]`; `sessions` only with session memory on. */
function normalizeSources(sources: readonly MemorySource[] | undefined, sessions: boolean): MemorySource[] {
  const input = sources && sources.length > 0 ? sources : ['memory'];
  const out = new Set<MemorySource>();
  for (const source of input) if (source === 'memory' || (source === 'sessions' && sessions)) out.add(source);
  if (out.size === 0) out.add('memory');
  return [...out];
}

/**
 * OpenClaw's source policy (its `resolveMemorySearchSourcePolicy`): transcripts are searchable when
 * `experimental.sessionMemory` is on (or cross-conversation recall is on and `sources` names them), and indexed
 * whenever cross-conversation recall is on. A personal install (direct messages in the main session) therefore
 * keeps its transcripts indexed while search returns memory files only until `sources` asks for `sessions`.
 */
export function memorySettings(config: GatewayConfig): MemorySettings {
  const search = config.memory.search;
  const remember = rememberAcrossConversations(config);
  const configuredSessionMemory = search.experimental.sessionMemory;
  const searchSources = normalizeSources(
    search.sources,
    configuredSessionMemory || (remember && search.sources?.includes('sessions') === true),
  );
  const indexedSources = normalizeSources(
    remember ? [...searchSources, 'sessions'] : search.sources,
    remember || configuredSessionMemory,
  );
  return {
    enabled: search.enabled,
    searchSources,
    indexedSources,
    maxResults: search.query.maxResults,
    minScore: search.query.minScore,
    citations: config.memory.citations,
  };
}

/** Transcripts are indexed for every agent once any of them keeps them (the index is one table, search filters). */
export function indexesTranscripts(config: GatewayConfig): boolean {
  const settings = memorySettings(config);
  return settings.enabled && settings.indexedSources.includes('sessions');
}
