import { MEMORY_SEARCH_MAX_RESULTS, MEMORY_SEARCH_METHOD_DEFAULT_RESULTS } from '../../config/limits.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { READ } from '../../server/authz/access.ts';
import type { HandlerContext } from '../../server/context.ts';
import { defineMethods } from '../../server/method-types.ts';
import { defaultAgentId, isKnownAgent } from '../registry.ts';
import { NO_EMBEDDINGS } from './memory-backend.ts';
import { readDreamDiary } from './memory-read.ts';
import { memorySettings } from './memory-settings.ts';

/** The agent a memory method is about: `agentId` (a configured one), or the default agent. */
function targetAgent(config: GatewayConfig, agentId: string | undefined): string {
  if (agentId === undefined) return defaultAgentId(config);
  const id = agentId.trim().toLowerCase();
  if (id === '' || !isKnownAgent(config, id)) {
    throw new GatewayError('INVALID_REQUEST', `unknown agentId: ${agentId}`, {
      details: { code: 'UNKNOWN_AGENT_ID', agentId },
    });
  }
  return id;
}

/** Why memory cannot answer right now, or undefined when it can. */
function unavailableReason(gateway: HandlerContext): string | undefined {
  if (!memorySettings(gateway.configState.config).enabled)
    return 'memory search is disabled (memory.search.enabled is false)';
  if (!gateway.memory.running) return 'the memory index is not open yet';
  return undefined;
}

export const memoryMethods = defineMethods({
  'memory.search': {
    access: READ,
    handler: async (params, { gateway }) => {
      const query = params.query.trim();
      if (query === '')
        throw new GatewayError(
          'INVALID_REQUEST',
          'invalid memory.search params: query must be a non-empty string',
        );
      for (const field of ['maxResults', 'minScore'] as const) {
        const value = params[field];
        if (value !== undefined && !Number.isFinite(value))
          throw new GatewayError(
            'INVALID_REQUEST',
            `invalid memory.search params: ${field} must be a finite number`,
          );
      }
      const config = gateway.configState.config;
      const agentId = targetAgent(config, params.agentId);
      const reason = unavailableReason(gateway);
      if (reason) {
        throw new GatewayError('UNAVAILABLE', `memory search unavailable: ${reason}`, {
          ...(gateway.memory.running ? {} : { retryable: true, retryAfterMs: 500 }),
        });
      }
      const settings = memorySettings(config);
      const maxResults = Math.min(
        MEMORY_SEARCH_MAX_RESULTS,
        Math.max(1, Math.floor(params.maxResults ?? MEMORY_SEARCH_METHOD_DEFAULT_RESULTS)),
      );
      const { results, ...staleness } = await gateway.memory.search(agentId, query, {
        maxResults,
        ...(params.minScore !== undefined ? { minScore: params.minScore } : {}),
        sources: settings.searchSources,
      });
      return { agentId, provider: 'none', searchMode: 'fts-only', results, ...staleness };
    },
  },
  // What the Control UI's Memory page reads: `embedding` decides its state (ok, or `checked: false`, is healthy).
  'doctor.memory.status': {
    access: READ,
    handler: (params, { gateway }) => {
      const config = gateway.configState.config;
      const agentId = targetAgent(config, params.agentId);
      const reason = unavailableReason(gateway);
      if (reason) return { agentId, embedding: { ok: false, error: reason } };
      const settings = memorySettings(config);
      const status = gateway.memory.status(agentId);
      return {
        agentId,
        provider: 'none',
        // Keyword search has no embeddings to probe; `probe` and `deep` change nothing.
        embedding: { ok: false, checked: false, error: NO_EMBEDDINGS },
        index: {
          engine: 'sqlite-fts5',
          workspaceDir: status.workspaceDir,
          sources: settings.searchSources,
          indexedSources: settings.indexedSources,
          files: status.counts.files,
          chunks: status.counts.chunks,
          messages: status.counts.messages,
          queued: status.counts.queued,
          transcripts: status.transcriptsIndexed,
          backfilling: status.backfilling,
          skippedFiles: status.skippedFiles,
          ...(status.lastError ? { lastError: status.lastError } : {}),
        },
      };
    },
  },
  'doctor.memory.dreamDiary': {
    access: READ,
    handler: async (params, { gateway }) => {
      const config = gateway.configState.config;
      const agentId = targetAgent(config, params.agentId);
      return { agentId, ...(await readDreamDiary(gateway.memory.workspaceDir(agentId))) };
    },
  },
});
