import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';
import { MEMORY_FILE_MAX_BYTES, MEMORY_SEARCH_CANDIDATES } from '../../config/limits.ts';
import type { ConfigReloader } from '../../config/reload.ts';
import type { GatewayConfig, MemorySource } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import { listAgents } from '../registry.ts';
import { chunkMarkdown } from './chunk-markdown.ts';
import { listMemoryFiles } from './memory-files.ts';
import { MemoryFilesWatch } from './memory-files-watch.ts';
import {
  bm25,
  type CorpusStats,
  datedNoteTime,
  isStopWord,
  keywordTerms,
  matchExpression,
  queryTerms,
  recencyWeight,
  relevanceScore,
  snippet,
  tokenize,
} from './memory-ranking.ts';
import { indexesTranscripts, memorySettings } from './memory-settings.ts';
import { type IndexCounts, SqliteMemoryIndex, type Write } from './sqlite-memory-index.ts';
import { transcriptText } from './transcript-text.ts';
import { agentWorkspaceDir } from './workspace-dir.ts';

/** Queued messages indexed per write: one FTS5 segment per batch instead of one per commit (measured 7× cheaper). */
export const INDEX_BATCH_MESSAGES = 256;
/** Rowids of `messages` queued per backfill write. */
export const BACKFILL_BATCH_ROWS = 5_000;
/**
 * A commit's messages are indexed this long after it, so a busy gateway indexes them in full batches (a search
 * does not wait for it: it indexes what is queued first). Measured: batches of ~20 messages (a 50 ms delay at
 * ~200 turns/s) cost the chat path ~0.3 ms of CPU per turn, full ones a fraction of that.
 */
export const INDEX_DELAY_MS = 1_000;
/** A change to memory files is indexed this long after the last event of its burst (OpenClaw's watch debounce). */
export const FILES_DEBOUNCE_MS = 1_500;
/** Queued messages a search indexes before it runs, at most; past that it answers with `stale`. */
const SEARCH_CATCH_UP_BATCHES = 4;
/** After a failed indexing pass, the next is tried this much later (the failure is logged once per pass). */
export const INDEX_RETRY_MS = 5_000;
/** The document count is re-read this often; document frequencies, which move slowly, live ten times longer. */
const STATS_TTL_MS = 60_000;
const DF_TTL_MS = 600_000;
const STATS_MAX_TERMS = 10_000;
/** Terms the keyword fallback searches one by one at most (OpenClaw's fallback does the same with its own cap). */
const FALLBACK_TERMS = 4;
/** Candidates per fallback term: a fallback hit has only part of the query, so fewer of them are worth ranking. */
const FALLBACK_CANDIDATES = 100;

/** Changed memory files read at once during a scan (the thread pool has four threads; a few more keep it busy). */
const SCAN_READS_IN_FLIGHT = 8;

/** Why there is no embedding status: the backend is keyword search by design (what doctor.memory.status says). */
export const NO_EMBEDDINGS =
  'keyword search only: clawgate indexes memory with SQLite FTS5 and has no embedding provider to check';

/** One search hit, in OpenClaw's MemorySearchResult shape (the `session*` and `messageId` fields are clawgate's). */
export type MemoryHit = {
  /** Workspace-relative for memory files; `sessions/<agentId>/<sessionId>.jsonl` for transcripts. */
  path: string;
  /** Memory files: the chunk's lines. Transcripts: the message's seq in its session (what chat.history pages by). */
  startLine: number;
  endLine: number;
  score: number;
  textScore: number;
  snippet: string;
  source: MemorySource;
  sessionKey?: string;
  sessionId?: string;
  messageId?: string;
};

export type MemorySearchOptions = {
  maxResults: number;
  /** Given by the caller: weaker hits are dropped. Absent: the configured one, which keeps keyword matches. */
  minScore?: number;
  sources: readonly MemorySource[];
};

/** OpenClaw's staleness fields: the index is behind and results may be incomplete. */
export type Staleness = { stale: true; warning: string; action?: string };
export type MemorySearchOutcome = { results: MemoryHit[] } & Partial<Staleness>;

export type MemoryStatus = {
  workspaceDir: string;
  transcriptsIndexed: boolean;
  backfilling: boolean;
  counts: IndexCounts;
  /** Files over the size limit or past the file cap at the last scan. */
  skippedFiles: number;
  lastError?: string;
};

export type MemoryBackendDeps = {
  database: DatabaseSync;
  write: Write;
  /** The store's commit hook (SqliteStore.onCommit): new messages may be queued. */
  onCommit(listener: () => void): () => void;
  config(): GatewayConfig;
  stateDir: string;
  logger: Logger;
  now(): number;
};

/** A match before ranking: `text` is what it is scored on; transcript snippets start with the `speaker`. */
type Candidate = {
  key: string;
  hit: Omit<MemoryHit, 'score' | 'textScore' | 'snippet'>;
  text: string;
  speaker?: string;
  at?: number;
};
type CachedStats = { docs: number; docsAt: number; df: Map<string, { value: number; at: number }> };
type Scan = { running: Promise<void>; again: boolean };

/**
 * The memory backend: the index (SqliteMemoryIndex, in the gateway's database) and what keeps it current.
 * Transcripts are queued in the commit that stores them and indexed in batches shortly after (and before any
 * search, so a search sees every committed message); workspace memory files are watched, re-indexed once a change
 * settles, and checked again (a stat per file; only changed files are read) by a search that follows a change.
 * `start` opens it and indexes the workspaces once; `stop` closes the watchers, waits for indexing in flight and
 * leaves nothing running.
 */
export class MemoryBackend {
  readonly #deps: MemoryBackendDeps;
  #index: SqliteMemoryIndex | undefined;
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  /** Until the start-up scan is done, no indexing pass runs: a backfill would starve the scan's file reads. */
  #starting = false;
  #unsubscribe: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #drainAgain = false;
  #policy: Promise<void> = Promise.resolve();
  readonly #scans = new Map<string, Scan>();
  readonly #watches = new Map<string, MemoryFilesWatch>();
  readonly #changedAgents = new Set<string>();
  #filesTimer: NodeJS.Timeout | undefined;
  readonly #scanInfo = new Map<string, { skipped: number; error?: string }>();
  #indexError: string | undefined;
  readonly #stats: Record<MemorySource, CachedStats> = {
    memory: { docs: 0, docsAt: Number.NEGATIVE_INFINITY, df: new Map() },
    sessions: { docs: 0, docsAt: Number.NEGATIVE_INFINITY, df: new Map() },
  };

  constructor(deps: MemoryBackendDeps) {
    this.#deps = deps;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** Opens the index, applies the transcript policy, indexes every agent's memory files. */
  async start(config?: ConfigReloader): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#index = new SqliteMemoryIndex(this.#deps.database, this.#deps.write);
    this.#state = 'running';
    this.#starting = true;
    this.#unsubscribe.push(this.#deps.onCommit(() => this.#kick()));
    if (config)
      this.#unsubscribe.push(
        config.subscribe(({ changedPaths }) => {
          if (!changedPaths.some((path) => /^(memory|session|bindings|agents)\b/.test(path))) return;
          this.#applyPolicy();
        }),
      );
    try {
      this.#applyPolicy();
      await this.#policy;
      if (memorySettings(this.#deps.config()).enabled)
        await Promise.all(listAgents(this.#deps.config()).map((agent) => this.syncFiles(agent.id)));
    } finally {
      this.#starting = false;
    }
    this.#kick();
  }

  /** Idempotent. Waits for the indexing pass and the scans in flight; nothing of it runs afterwards. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#filesTimer);
    this.#filesTimer = undefined;
    for (const watch of this.#watches.values()) watch.close();
    this.#watches.clear();
    await Promise.allSettled([
      this.#draining,
      this.#policy,
      ...[...this.#scans.values()].map((s) => s.running),
    ]);
  }

  workspaceDir(agentId: string): string {
    return agentWorkspaceDir(this.#deps.config(), agentId, this.#deps.stateDir);
  }

  /**
   * Brings one agent's memory files into the index: new and changed files are chunked and indexed, removed ones
   * dropped. Nothing is read while the watchers have seen no change (MemoryFilesWatch). Concurrent calls share one
   * scan, and a call made while a scan runs gets one more after it, so what was on disk when it was called is in
   * the index when it resolves.
   */
  async syncFiles(agentId: string): Promise<void> {
    if (!this.#scans.has(agentId) && !this.#watchOf(agentId).dirty) {
      // A write made just before this call has its event queued already; it is delivered in this loop turn.
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.#watchOf(agentId).dirty) return;
    }
    return this.#scan(agentId);
  }

  #scan(agentId: string): Promise<void> {
    const current = this.#scans.get(agentId);
    if (current) {
      current.again = true;
      return current.running;
    }
    const scan: Scan = { running: Promise.resolve(), again: false };
    scan.running = (async () => {
      try {
        do {
          scan.again = false;
          await this.#scanOnce(agentId);
        } while (scan.again && this.running);
      } finally {
        this.#scans.delete(agentId);
      }
    })();
    this.#scans.set(agentId, scan);
    return scan.running;
  }

  /** Keyword search over the agent's corpora (see MemorySearchOptions); hits best first. */
  async search(agentId: string, query: string, options: MemorySearchOptions): Promise<MemorySearchOutcome> {
    const index = this.#running();
    const terms = queryTerms(query);
    const warnings: string[] = [];
    const sources = options.sources;
    if (sources.includes('memory')) {
      await this.syncFiles(agentId);
      const error = this.#scanInfo.get(agentId)?.error;
      if (error)
        warnings.push(`Memory files could not all be read (${error}); results may miss recent edits.`);
    }
    if (sources.includes('sessions') && index.transcriptsEnabled()) {
      // Read your writes: what is queued now was committed before this search began.
      for (let i = 0; i < SEARCH_CATCH_UP_BATCHES && index.queueNonEmpty(); i++)
        await index.indexQueued(INDEX_BATCH_MESSAGES);
      if (index.queueNonEmpty() || index.backfill()) {
        warnings.push('The transcript index is still catching up; older messages may be missing.');
        this.#kick();
      }
    }
    if (terms.length === 0) return { results: [] };
    const now = this.#deps.now();
    const ranked = new Map<string, { hit: Omit<MemoryHit, 'snippet'>; candidate: Candidate }>();
    const rank = (match: string, limit: number) => {
      for (const source of sources) {
        // A candidate found by an earlier query (the strict one, another keyword) is not ranked twice.
        const fresh = this.#candidates(index, source, agentId, match, limit).filter(
          (c) => !ranked.has(c.key),
        );
        const scores = bm25(
          terms,
          fresh.map((c) => tokenize(c.text)),
          this.#corpusStats(index, source, now),
        );
        fresh.forEach((candidate, i) => {
          const textScore = relevanceScore(scores[i]);
          const weight = candidate.at === undefined ? 1 : recencyWeight(candidate.at, now);
          ranked.set(candidate.key, {
            hit: { ...candidate.hit, score: round(textScore * weight), textScore: round(textScore) },
            candidate,
          });
        });
      }
    };
    rank(matchExpression(terms), MEMORY_SEARCH_CANDIDATES);
    if (ranked.size < options.maxResults && terms.length > 1) {
      // Natural-language queries rarely have every word in one note: OpenClaw's keyword fallback searches the
      // significant words one by one, ranked against the whole query.
      for (const term of keywordTerms(terms, FALLBACK_TERMS))
        rank(matchExpression([term]), FALLBACK_CANDIDATES);
    }
    const all = [...ranked.values()].sort(
      (a, b) => b.hit.score - a.hit.score || b.hit.textScore - a.hit.textScore,
    );
    const floor = options.minScore ?? memorySettings(this.#deps.config()).minScore;
    let kept = all.filter(({ hit }) => hit.score >= floor);
    // OpenClaw keeps keyword matches when all of them fall below the configured minimum (not an explicit one).
    if (kept.length === 0 && options.minScore === undefined) kept = all;
    // Snippets only for the hits returned, not for every candidate ranked.
    const results = kept.slice(0, options.maxResults).map(({ hit, candidate }) => ({
      ...hit,
      snippet: snippet(candidate.speaker ? `${candidate.speaker}: ${candidate.text}` : candidate.text, terms),
    }));
    if (warnings.length === 0) return { results };
    return {
      results,
      stale: true,
      warning: warnings.join(' '),
      action: 'Search again shortly; doctor.memory.status shows the index.',
    };
  }

  status(agentId: string): MemoryStatus {
    const index = this.#running();
    const scan = this.#scanInfo.get(agentId);
    const lastError = scan?.error ?? this.#indexError;
    return {
      workspaceDir: this.workspaceDir(agentId),
      transcriptsIndexed: index.transcriptsEnabled(),
      backfilling: index.backfill() !== undefined,
      counts: index.counts(agentId),
      skippedFiles: scan?.skipped ?? 0,
      ...(lastError ? { lastError } : {}),
    };
  }

  /** Resolves once every queued message is indexed (tests and the benchmark; the gateway never waits on it). */
  async flush(): Promise<void> {
    const index = this.#running();
    while (index.queueNonEmpty() || index.backfill()) {
      if (index.queueNonEmpty()) await index.indexQueued(INDEX_BATCH_MESSAGES);
      else await index.backfillStep(BACKFILL_BATCH_ROWS, this.#deps.now());
    }
  }

  #running(): SqliteMemoryIndex {
    if (this.#state !== 'running' || !this.#index) throw new Error('the memory index is not open');
    return this.#index;
  }

  /** The newest `limit` matches of `match` in one corpus (FTS5 stops there, however many rows match). */
  #candidates(
    index: SqliteMemoryIndex,
    source: MemorySource,
    agentId: string,
    match: string,
    limit: number,
  ): Candidate[] {
    if (source === 'memory') {
      return index.searchChunks(match, agentId, limit).map((chunk) => ({
        key: `memory:${chunk.path}#${chunk.startLine}`,
        hit: { path: chunk.path, startLine: chunk.startLine, endLine: chunk.endLine, source },
        text: chunk.text,
        at: datedNoteTime(chunk.path),
      }));
    }
    return index.searchMessages(match, agentId, limit).map((message) => ({
      key: `sessions:${message.id}`,
      hit: {
        path: `sessions/${agentId}/${message.sessionId}.jsonl`,
        startLine: message.seq,
        endLine: message.seq,
        source,
        sessionKey: message.sessionKey,
        sessionId: message.sessionId,
        messageId: message.id,
      },
      text: transcriptText(message.content),
      speaker: message.role === 'user' ? 'User' : 'Assistant',
      at: message.timestamp,
    }));
  }

  #corpusStats(index: SqliteMemoryIndex, source: MemorySource, now: number): CorpusStats {
    const cached = this.#stats[source];
    if (now - cached.docsAt > STATS_TTL_MS) {
      cached.docs = source === 'memory' ? index.chunkDocs() : index.messageDocs();
      cached.docsAt = now;
    }
    return {
      docs: Math.max(cached.docs, 1),
      df: (term) => {
        // A stop word is in nearly every document (an IDF of about 0), and counting its doclist is the slowest
        // lookup there is.
        if (isStopWord(term)) return cached.docs;
        const hit = cached.df.get(term);
        if (hit && now - hit.at <= DF_TTL_MS) return hit.value;
        if (cached.df.size >= STATS_MAX_TERMS) cached.df.clear();
        const value = source === 'memory' ? index.chunkDf(term) : index.messageDf(term);
        cached.df.set(term, { value, at: now });
        return value;
      },
    };
  }

  /** The agent's watch, made again when its workspace moved (a config change). */
  #watchOf(agentId: string): MemoryFilesWatch {
    const workspaceDir = this.workspaceDir(agentId);
    let watch = this.#watches.get(agentId);
    if (watch?.workspaceDir !== workspaceDir) {
      watch?.close();
      watch = new MemoryFilesWatch(workspaceDir, () => this.#filesChanged(agentId));
      if (this.running) this.#watches.set(agentId, watch);
    }
    return watch;
  }

  /** Re-indexes the changed agents' files once a burst of writes has settled, so status counts stay current. */
  #filesChanged(agentId: string): void {
    if (!this.running) return;
    this.#changedAgents.add(agentId);
    clearTimeout(this.#filesTimer);
    this.#filesTimer = setTimeout(() => {
      this.#filesTimer = undefined;
      const agents = [...this.#changedAgents];
      this.#changedAgents.clear();
      for (const id of agents) this.syncFiles(id).catch(() => undefined);
    }, FILES_DEBOUNCE_MS);
    this.#filesTimer.unref();
  }

  async #scanOnce(agentId: string): Promise<void> {
    const index = this.#index;
    if (!index || !this.running) return;
    const workspaceDir = this.workspaceDir(agentId);
    this.#watchOf(agentId).scanning();
    try {
      const listing = await listMemoryFiles(workspaceDir);
      const known = new Map(index.listFiles(agentId).map((file) => [file.path, file]));
      const listed = new Set(listing.files.map((file) => file.path));
      const upserts: Parameters<SqliteMemoryIndex['applyFileChanges']>[1]['upserts'] = [];
      const touches: { id: number; size: number; mtimeMs: number }[] = [];
      // A file whose size and mtime are as indexed is not read again.
      const changed = listing.files.filter((file) => {
        const before = known.get(file.path);
        return !before || before.size !== file.size || before.mtimeMs !== file.mtimeMs;
      });
      await forEachLimited(changed, SCAN_READS_IN_FLIGHT, async (file) => {
        const content = await readFile(file.absPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        if (!content || content.length > MEMORY_FILE_MAX_BYTES) return;
        const hash = createHash('sha256').update(content).digest('hex');
        const before = known.get(file.path);
        if (before && before.hash === hash)
          touches.push({ id: before.id, size: file.size, mtimeMs: file.mtimeMs });
        else
          upserts.push({
            path: file.path,
            size: file.size,
            mtimeMs: file.mtimeMs,
            hash,
            chunks: chunkMarkdown(content.toString('utf8')),
          });
      });
      const removals = [...known.values()].filter((file) => !listed.has(file.path)).map((file) => file.id);
      if (upserts.length + touches.length + removals.length > 0 && this.running)
        await index.applyFileChanges(agentId, { upserts, touches, removals }, this.#deps.now());
      if (upserts.length + removals.length > 0) this.#stats.memory.docsAt = Number.NEGATIVE_INFINITY;
      this.#scanInfo.set(agentId, { skipped: listing.skipped });
    } catch (error) {
      if (!this.running) return;
      const message = (error as Error).message;
      if (this.#scanInfo.get(agentId)?.error !== message)
        this.#deps.logger.warn(`memory: could not index the memory files of agent ${agentId}`, {
          workspaceDir,
          error: message,
        });
      this.#scanInfo.set(agentId, { skipped: this.#scanInfo.get(agentId)?.skipped ?? 0, error: message });
    }
  }

  /** Transcripts indexed or not per the config; the files of agents no longer configured are dropped. */
  #applyPolicy(): void {
    this.#policy = this.#policy
      .then(async () => {
        const index = this.#running();
        const config = this.#deps.config();
        const wanted = indexesTranscripts(config);
        if (wanted && index.transcriptsEnabled() && index.misattributed()) {
          this.#deps.logger.warn(
            'memory: messages were renumbered (a VACUUM?); rebuilding the transcript index',
          );
          await index.disableTranscripts();
        }
        if (wanted && !index.transcriptsEnabled()) {
          await index.enableTranscripts(this.#deps.now());
          this.#kick();
        } else if (!wanted && index.transcriptsEnabled()) await index.disableTranscripts();
        this.#stats.sessions.docsAt = Number.NEGATIVE_INFINITY;
        const agents = new Set(listAgents(config).map((agent) => agent.id));
        const gone = index.fileAgents().filter((agentId) => !agents.has(agentId));
        if (gone.length > 0) await index.dropAgentFiles(gone);
      })
      .catch((error: unknown) => {
        if (this.running)
          this.#deps.logger.error('memory: the index could not follow the config', {
            error: (error as Error).message,
          });
      });
  }

  /** Schedules an indexing pass (after INDEX_DELAY_MS), or one more after the pass in flight. */
  #kick(): void {
    if (this.#state !== 'running' || this.#starting) return;
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, INDEX_DELAY_MS);
    this.#timer.unref();
  }

  /**
   * Indexes the queue batch by batch, and queues the backfill range slice by slice once the queue is empty, with
   * the event loop running between writes. Reads decide whether to write at all: an empty write would commit, the
   * commit would call `#kick`, and the pass would never end.
   */
  #drain(): void {
    const index = this.#index;
    if (!index || this.#state !== 'running') return;
    this.#drainAgain = false;
    // The `then` runs a microtask after this assignment, even for a pass with nothing to do, so it clears this pass.
    const pass = this.#drainPass(index).then(() => {
      if (this.#draining === pass) this.#draining = undefined;
      if (this.#drainAgain) this.#kick();
    });
    this.#draining = pass;
  }

  /** One indexing pass; never rejects (a failure is logged and retried after INDEX_RETRY_MS). */
  async #drainPass(index: SqliteMemoryIndex): Promise<void> {
    try {
      while (this.running) {
        if (index.queueNonEmpty()) await index.indexQueued(INDEX_BATCH_MESSAGES);
        else if (index.backfill()) await index.backfillStep(BACKFILL_BATCH_ROWS, this.#deps.now());
        else break;
        this.#stats.sessions.docsAt = Number.NEGATIVE_INFINITY;
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.#indexError = undefined;
    } catch (error) {
      if (!this.running) return;
      this.#indexError = (error as Error).message;
      this.#deps.logger.error('memory: indexing transcripts failed; retrying', { error: this.#indexError });
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, INDEX_RETRY_MS);
      this.#timer.unref();
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function round(score: number): number {
  return Math.round(score * 10_000) / 10_000;
}
