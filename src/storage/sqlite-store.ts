import { randomUUID } from 'node:crypto';
import { fdatasync } from 'node:fs';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS, openDatabase } from './database.ts';
import { SqliteCronPrune } from './sqlite-cron-prune.ts';
import type {
  GatewayStore,
  IdempotencyRecord,
  ListMessagesOptions,
  ListSessionsOptions,
  NewMessage,
  PruneOptions,
  PruneReport,
  RetentionPolicy,
  RunChange,
  RunRecord,
  RunStatus,
  SessionPatch,
  SessionRecord,
  StoredMessage,
  Usage,
  UsageBucket,
  UsageQuery,
} from './store.ts';
import { WalSync } from './wal-sync.ts';

/** Expired idempotency records are swept at most this often (by the caller's clock), not on every lookup. */
export const IDEMPOTENCY_SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_AGENT_ID = 'main';
/** Writes one group commit takes at most, so a backlog is committed in bounded steps between I/O. */
export const MAX_WRITES_PER_COMMIT = 256;
/**
 * Rows one retention statement deletes at most; each batch is its own write, so a backlog of expired rows is
 * deleted in steps with the event loop (and other writers' commits) running between them.
 */
export const PRUNE_BATCH_ROWS = 1_000;

type PendingWrite = { work: () => unknown; resolve(value: unknown): void; reject(error: unknown): void };
type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };
/** A group commit whose writes wait for the fsync of the log that makes it durable. */
type Unsynced = { batch: PendingWrite[]; outcomes: WriteOutcome[] };
export type SqliteStoreOptions = {
  /**
   * Set (the gateway: `fs.fdatasync`, which runs on libuv's thread pool): a group commit's COMMIT runs at
   * `synchronous=NORMAL` and the store syncs the log with it (WalSync) before the group's writes settle, so the
   * event loop runs while the disk works. Unset: SQLite syncs inside the COMMIT (FULL), blocking the event loop,
   * and writes settle in the loop turn they were committed in; cheaper for one write at a time (a test, a tool).
   */
  syncLog?: typeof fdatasync;
};
/** How the gateway opens its store (and the bench times it): the log synced on libuv's pool. */
export const GATEWAY_STORE_OPTIONS: SqliteStoreOptions = { syncLog: fdatasync };
/** One retention batch: rows deleted, and whether more may be due. */
type PruneBatch = { deleted: number; more: boolean };
type ArchiveRow = { session_key: string; session_id: string; last_seq: number };
type AppendTarget = { sessionId: string; seq: number };

type SessionRow = {
  key: string;
  agent_id: string;
  session_id: string;
  created_at: number;
  updated_at: number;
  label: string | null;
  model: string | null;
  thinking_level: string | null;
  archived: number;
  archived_at: number | null;
  message_count: number;
  last_message_at: number | null;
  usage_input: number;
  usage_output: number;
  usage_total: number;
};

type MessageRow = {
  id: string;
  session_key: string;
  session_id: string;
  seq: number;
  role: StoredMessage['role'];
  content: string;
  timestamp: number;
  run_id: string | null;
  provider: string | null;
  model: string | null;
  usage: string | null;
  stop_reason: string | null;
  error_message: string | null;
};

type RunRow = {
  run_id: string;
  session_key: string;
  session_id: string;
  agent_id: string;
  status: RunStatus;
  started_at: number;
  ended_at: number | null;
  error: string | null;
};

type IdempotencyRow = {
  key: string;
  method: string;
  status: IdempotencyRecord['status'];
  result: string | null;
  expires_at: number;
};

const SESSION_COLUMNS =
  'key, agent_id, session_id, created_at, updated_at, label, model, thinking_level, archived, archived_at, message_count, ' +
  'last_message_at, usage_input, usage_output, usage_total';
const MESSAGE_COLUMNS =
  'id, session_key, session_id, seq, role, content, timestamp, run_id, provider, model, usage, stop_reason, ' +
  'error_message';

/** Every statement the store runs, prepared once at open. */
function prepareStatements(db: DatabaseSync) {
  return {
    // The group commit's own fsync is done off the event loop (#commitPending); any other write keeps FULL.
    syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
    syncFull: db.prepare('PRAGMA synchronous = FULL'),
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT write'),
    release: db.prepare('RELEASE write'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO write'),
    insertSession: db.prepare(
      'INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO NOTHING',
    ),
    getSession: db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE key = ?`),
    listSessions: db.prepare(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE (:agentId IS NULL OR agent_id = :agentId)
         AND (:includeArchived OR archived = 0)
         AND (:pattern IS NULL OR key LIKE :pattern ESCAPE '\\' OR label LIKE :pattern ESCAPE '\\')
       ORDER BY updated_at DESC, key
       LIMIT :limit`,
    ),
    patchSession: db.prepare(
      'UPDATE sessions SET label = ?, model = ?, thinking_level = ?, archived = ?, archived_at = ?, updated_at = ? ' +
        'WHERE key = ?',
    ),
    // The generation a reset replaces, for resetArchiveRetention; an empty one has nothing to prune.
    archiveTranscript: db.prepare(
      `INSERT INTO transcript_archives (session_key, session_id, archived_at, last_seq, message_count)
       SELECT s.key, s.session_id, ?, (SELECT coalesce(max(m.seq), 0) FROM messages m WHERE m.session_key = s.key),
         s.message_count
       FROM sessions s WHERE s.key = ? AND s.message_count > 0
       ON CONFLICT DO NOTHING`,
    ),
    resetSession: db.prepare(
      'UPDATE sessions SET session_id = ?, updated_at = ?, message_count = 0, last_message_at = NULL, ' +
        'usage_input = 0, usage_output = 0, usage_total = 0 WHERE key = ?',
    ),
    // Messages and runs go with it (ON DELETE CASCADE).
    deleteSession: db.prepare('DELETE FROM sessions WHERE key = ?'),
    // Where the next message of a session goes: its transcript generation and seq (no row: no such session).
    appendTarget: db.prepare(
      `SELECT s.session_id AS sessionId,
         (SELECT coalesce(max(m.seq), 0) + 1 FROM messages m WHERE m.session_key = s.key) AS seq
       FROM sessions s WHERE s.key = ?`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    countMessage: db.prepare(
      'UPDATE sessions SET message_count = message_count + 1, last_message_at = ?, updated_at = max(updated_at, ?), ' +
        'usage_input = usage_input + ?, usage_output = usage_output + ?, usage_total = usage_total + ? ' +
        'WHERE key = ?',
    ),
    // The newest `limit` rows of the range, newest first; the caller reverses them.
    listMessages: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
       WHERE session_key = ? AND session_id = ? AND seq > ? AND seq < ?
       ORDER BY seq DESC LIMIT ?`,
    ),
    usageBuckets: db.prepare(
      `SELECT m.session_key AS sessionKey, s.agent_id AS agentId, (m.timestamp / 900000) * 900000 AS bucketMs,
         min(m.timestamp) AS firstMs, max(m.timestamp) AS lastMs, m.role, m.provider, m.model,
         count(*) AS messages, sum(coalesce(m.stop_reason IN ('error', 'aborted', 'timeout'), 0)) AS errors,
         sum(coalesce(m.usage ->> '$.input', 0)) AS input, sum(coalesce(m.usage ->> '$.output', 0)) AS output,
         sum(coalesce(m.usage ->> '$.total', 0)) AS total
       FROM messages m JOIN sessions s ON s.key = m.session_key
       WHERE m.timestamp BETWEEN :startMs AND :endMs
         AND (:agentId IS NULL OR s.agent_id = :agentId) AND (:sessionKey IS NULL OR m.session_key = :sessionKey)
       GROUP BY m.session_key, bucketMs, m.role, m.provider, m.model
       ORDER BY bucketMs`,
    ),
    insertRun: db.prepare(
      'INSERT INTO runs (run_id, session_key, session_id, agent_id, status, started_at) ' +
        "VALUES (?, ?, ?, ?, 'running', ?)",
    ),
    finishRun: db.prepare('UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE run_id = ?'),
    runningRuns: db.prepare(
      "SELECT run_id, session_key, session_id, agent_id, status, started_at, ended_at, error FROM runs WHERE status = 'running'",
    ),
    failInterrupted: db.prepare(
      "UPDATE runs SET status = 'error', ended_at = ?, error = ? WHERE status = 'running'",
    ),
    getRun: db.prepare(
      'SELECT run_id, session_key, session_id, agent_id, status, started_at, ended_at, error FROM runs ' +
        'WHERE run_id = ?',
    ),
    getIdempotency: db.prepare(
      'SELECT key, method, status, result, expires_at FROM idempotency WHERE key = ?',
    ),
    putIdempotency: db.prepare(
      'INSERT INTO idempotency (key, method, status, result, expires_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET method = excluded.method, status = excluded.status, ' +
        'result = excluded.result, expires_at = excluded.expires_at',
    ),
    sweepIdempotency: db.prepare('DELETE FROM idempotency WHERE expires_at <= ?'),
    // Retention (prune): each DELETE takes at most LIMIT rows, found through an index (expiry, end, seq).
    pruneIdempotency: db.prepare(
      `DELETE FROM idempotency WHERE rowid IN (
         SELECT rowid FROM idempotency WHERE expires_at <= ? AND status != 'running' LIMIT ?)`,
    ),
    countIdempotency: db.prepare(
      "SELECT count(*) AS n FROM idempotency WHERE expires_at <= ? AND status != 'running'",
    ),
    pruneRuns: db.prepare(
      `DELETE FROM runs WHERE rowid IN (
         SELECT rowid FROM runs WHERE ended_at < ? AND status != 'running' LIMIT ?)`,
    ),
    countRuns: db.prepare("SELECT count(*) AS n FROM runs WHERE ended_at < ? AND status != 'running'"),
    expiredArchives: db.prepare(
      `SELECT session_key, session_id, last_seq FROM transcript_archives WHERE archived_at < ?
       ORDER BY archived_at LIMIT ?`,
    ),
    // seq <= last_seq keeps the walk on the archived generation's own stretch of the (session_key, seq) index;
    // the session_id test means a row of the current transcript can never match.
    pruneArchivedMessages: db.prepare(
      `DELETE FROM messages WHERE rowid IN (
         SELECT rowid FROM messages WHERE session_key = ? AND seq <= ? AND session_id = ? LIMIT ?)`,
    ),
    shrinkArchive: db.prepare(
      'UPDATE transcript_archives SET message_count = max(message_count - ?, 0) WHERE session_key = ? AND session_id = ?',
    ),
    dropArchive: db.prepare('DELETE FROM transcript_archives WHERE session_key = ? AND session_id = ?'),
    countArchivedMessages: db.prepare(
      'SELECT coalesce(sum(message_count), 0) AS n FROM transcript_archives WHERE archived_at < ?',
    ),
    checkpoint: db.prepare('PRAGMA wal_checkpoint(TRUNCATE)'),
  } satisfies Record<string, StatementSync>;
}

/**
 * GatewayStore on one SQLite file (see database.ts for the pragmas). Reads run at once. Writes are group-committed:
 * those requested in the same event-loop turn run in one transaction, each in its own savepoint (one failing rolls
 * back alone), and share its COMMIT and fsync. A write's promise settles only after that fsync, so "resolved"
 * still means "on disk", at a fraction of the fsyncs when many turns run at once.
 *
 * node:sqlite is synchronous, and with `synchronous=FULL` the COMMIT's fsync blocks the event loop (0.3 ms to several
 * ms each, most of it waiting on the disk). With `syncLog` (the gateway's store) a group commit runs at `NORMAL`,
 * which in WAL mode is FULL without that one fsync (checkpoints and the log header after a restart are still
 * synced by SQLite), and the store then syncs the log file itself off the event loop: the same fsync at the same
 * point, before any of the group's writes settles. Writes requested while that sync runs wait for it and then
 * share the next group commit: under load there are fewer, larger commits and fsyncs. A committed group is
 * visible to reads from its COMMIT on, before its sync has finished, as with NORMAL (only a power cut or kernel
 * panic in that window could lose what such a read saw; its writer has not been answered yet). Without a WAL file
 * to sync (an in-memory database) commits stay FULL.
 */
export class SqliteStore implements GatewayStore {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;
  readonly #cronPrune: SqliteCronPrune;
  #lastSweepAt = Number.NEGATIVE_INFINITY;
  #pending: PendingWrite[] = [];
  #flush: NodeJS.Immediate | undefined;
  readonly #commitListeners = new Set<() => void>();
  /** Syncs the log after each group commit; undefined: commits fsync inside SQLite (FULL). */
  #wal: WalSync | undefined;
  /** The group commit whose log sync is in flight; no other commit starts until it is done. */
  #syncing: Unsynced | undefined;
  /**
   * Set once a log sync failed. Its group stays committed (and visible), and every later commit's frames follow
   * its frames in the log, so after a power cut they could go with them: no write is acknowledged again (each is
   * refused with this) until the store is reopened, as PostgreSQL stops at a failed WAL fsync.
   */
  #syncFailure: Error | undefined;

  constructor(db: DatabaseSync, options: SqliteStoreOptions = {}) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#cronPrune = new SqliteCronPrune(db);
    this.#wal = options.syncLog && walSync(db, options.syncLog);
  }

  /** Opens `<stateDir>/clawgate.db`; throws StorageError (database.ts) for a file it must not touch. */
  static open(stateDir: string, options?: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(openDatabase(stateDir), options);
  }

  /** The underlying connection, for diagnostics and tests. */
  get database(): DatabaseSync {
    return this.#db;
  }

  async ensureSession(key: string, agentId: string, now: number): Promise<SessionRecord> {
    return this.#write(() => this.#ensureSession(key, agentId, now));
  }

  async getSession(key: string): Promise<SessionRecord | undefined> {
    const row = this.#sql.getSession.get(key) as SessionRow | undefined;
    return row && toSession(row);
  }

  async listSessions(options: ListSessionsOptions): Promise<SessionRecord[]> {
    const rows = this.#sql.listSessions.all({
      agentId: options.agentId ?? null,
      includeArchived: options.includeArchived ? 1 : 0,
      pattern: options.search ? `%${escapeLike(options.search)}%` : null,
      // LIMIT -1 is SQLite for "no limit".
      limit: options.limit ?? -1,
    }) as SessionRow[];
    return rows.map(toSession);
  }

  /** A field present in `patch` with the value `undefined` is cleared; an absent field is left as it is. */
  async patchSession(key: string, patch: SessionPatch, now: number): Promise<SessionRecord | undefined> {
    return this.#write(() => {
      const row = this.#sql.getSession.get(key) as SessionRow | undefined;
      if (!row) return undefined;
      const pick = <K extends keyof SessionPatch>(field: K, current: SessionPatch[K]) =>
        Object.hasOwn(patch, field) ? patch[field] : current;
      const archived = pick('archived', row.archived === 1) === true;
      this.#sql.patchSession.run(
        pick('label', row.label ?? undefined) ?? null,
        pick('model', row.model ?? undefined) ?? null,
        pick('thinkingLevel', row.thinking_level ?? undefined) ?? null,
        archived ? 1 : 0,
        // Archiving again keeps the first time; unarchiving clears it.
        archived ? (row.archived_at ?? now) : null,
        now,
        key,
      );
      return toSession(this.#sql.getSession.get(key) as SessionRow);
    });
  }

  async resetSession(key: string, now: number): Promise<SessionRecord | undefined> {
    return this.#write(() => {
      this.#sql.archiveTranscript.run(now, key);
      if (this.#sql.resetSession.run(randomUUID(), now, key).changes === 0) return undefined;
      return toSession(this.#sql.getSession.get(key) as SessionRow);
    });
  }

  async deleteSession(key: string): Promise<boolean> {
    return this.#write(() => this.#sql.deleteSession.run(key).changes > 0);
  }

  async appendMessage(message: NewMessage, run?: RunChange): Promise<StoredMessage> {
    if (run && !message.runId) throw new Error('appendMessage: a run change needs message.runId');
    return this.#write(() => {
      // The session nearly always exists: one read then, and a new sessionId only for the one created here.
      let target = this.#sql.appendTarget.get(message.sessionKey) as AppendTarget | undefined;
      if (!target) {
        const { sessionKey } = message;
        this.#sql.insertSession.run(
          sessionKey,
          agentIdOf(sessionKey),
          randomUUID(),
          message.timestamp,
          message.timestamp,
        );
        target = this.#sql.appendTarget.get(sessionKey) as AppendTarget;
      }
      const { sessionId, seq } = target;
      const stored = toStored(message, sessionId, seq);
      this.#sql.insertMessage.run(
        stored.id,
        stored.sessionKey,
        stored.sessionId,
        seq,
        stored.role,
        encodeContent(stored),
        stored.timestamp,
        ...optional(stored.runId, stored.provider, stored.model),
        stored.usage ? JSON.stringify(stored.usage) : null,
        ...optional(stored.stopReason, stored.errorMessage),
      );
      const usage = stored.usage;
      this.#sql.countMessage.run(
        stored.timestamp,
        stored.timestamp,
        usage?.input ?? 0,
        usage?.output ?? 0,
        usage?.total ?? 0,
        stored.sessionKey,
      );
      if (run && 'start' in run) {
        this.#sql.insertRun.run(
          stored.runId as string,
          stored.sessionKey,
          stored.sessionId,
          run.start.agentId,
          run.start.startedAt,
        );
      } else if (run) {
        this.#sql.finishRun.run(
          run.finish.status,
          run.finish.endedAt,
          run.finish.error ?? null,
          stored.runId as string,
        );
      }
      return stored;
    });
  }

  async listMessages(sessionKey: string, options: ListMessagesOptions): Promise<StoredMessage[]> {
    if (options.limit <= 0) return [];
    let sessionId = options.sessionId;
    if (sessionId === undefined) {
      const session = this.#sql.getSession.get(sessionKey) as SessionRow | undefined;
      if (!session) return [];
      sessionId = session.session_id;
    }
    const rows = this.#sql.listMessages.all(
      sessionKey,
      sessionId,
      options.afterSeq ?? 0,
      options.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      options.limit,
    ) as MessageRow[];
    return rows.reverse().map(toMessage);
  }

  async usageBuckets(query: UsageQuery): Promise<UsageBucket[]> {
    const rows = this.#sql.usageBuckets.all({
      startMs: query.startMs,
      endMs: query.endMs,
      agentId: query.agentId ?? null,
      sessionKey: query.sessionKey ?? null,
    }) as (Omit<UsageBucket, 'provider' | 'model'> & { provider: string | null; model: string | null })[];
    return rows.map(({ provider, model, ...row }) => ({
      ...row,
      ...(provider === null ? {} : { provider }),
      ...(model === null ? {} : { model }),
    }));
  }

  /** Creates the session row if the run's session was deleted meanwhile, so the run is never orphaned. */
  async startRun(run: Omit<RunRecord, 'status' | 'endedAt' | 'error'>): Promise<void> {
    return this.#write(() => {
      this.#sql.insertSession.run(run.sessionKey, run.agentId, run.sessionId, run.startedAt, run.startedAt);
      this.#sql.insertRun.run(run.runId, run.sessionKey, run.sessionId, run.agentId, run.startedAt);
    });
  }

  async finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    endedAt: number,
    error?: string,
  ): Promise<void> {
    return this.#write(() => {
      this.#sql.finishRun.run(status, endedAt, error ?? null, runId);
    });
  }

  async listRunningRuns(): Promise<RunRecord[]> {
    return (this.#sql.runningRuns.all() as RunRow[]).map(toRun);
  }

  async failInterruptedRuns(endedAt: number, error: string): Promise<number> {
    return this.#write(() => Number(this.#sql.failInterrupted.run(endedAt, error).changes));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.#sql.getRun.get(runId) as RunRow | undefined;
    return row && toRun(row);
  }

  async getIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    // Records are only ever looked up by key, so without a sweep every expired one would stay forever.
    if (now - this.#lastSweepAt >= IDEMPOTENCY_SWEEP_INTERVAL_MS) await this.#sweepIdempotency(now);
    const row = this.#sql.getIdempotency.get(key) as IdempotencyRow | undefined;
    if (!row) return undefined;
    if (row.expires_at <= now) {
      await this.#sweepIdempotency(now);
      return undefined;
    }
    return toIdempotency(row);
  }

  async putIdempotency(record: IdempotencyRecord): Promise<void> {
    return this.#write(() => {
      this.#sql.putIdempotency.run(
        record.key,
        record.method,
        record.status,
        record.result === undefined ? null : JSON.stringify(record.result),
        record.expiresAt,
      );
    });
  }

  /**
   * Calls `listener` after each group commit (synchronously, before the writes' promises settle), until the
   * returned function removes it: the memory index learns there may be new messages to index without a timer.
   * A listener must not throw and should only schedule work.
   */
  onCommit(listener: () => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  /**
   * Runs `work` inside the next group commit, for the sibling stores that share this connection (cron): their
   * writes then cost no fsync of their own and keep the same "resolved means on disk" promise.
   */
  write<T>(work: () => T): Promise<T> {
    return this.#write(work);
  }

  async prune(policy: RetentionPolicy, now: number, options: PruneOptions = {}): Promise<PruneReport> {
    const report: PruneReport = {
      idempotency: 0,
      runs: 0,
      resetArchives: 0,
      cronRuns: 0,
      tasks: 0,
      batches: 0,
    };
    if (options.dryRun) {
      report.idempotency = count(this.#sql.countIdempotency, now);
      if (policy.runs !== false) report.runs = count(this.#sql.countRuns, now - policy.runs);
      if (policy.resetArchives !== false)
        report.resetArchives = count(this.#sql.countArchivedMessages, now - policy.resetArchives);
      this.#cronPrune.count(policy, now, report);
      return report;
    }
    const kinds: [Exclude<keyof PruneReport, 'batches'>, () => PruneBatch][] = [
      ['idempotency', () => fullBatch(this.#sql.pruneIdempotency.run(now, PRUNE_BATCH_ROWS).changes)],
    ];
    const { runs, resetArchives } = policy;
    if (runs !== false)
      kinds.push(['runs', () => fullBatch(this.#sql.pruneRuns.run(now - runs, PRUNE_BATCH_ROWS).changes)]);
    if (resetArchives !== false)
      kinds.push(['resetArchives', () => this.#pruneArchives(now - resetArchives)]);
    for (const [kind, batch] of kinds) {
      for (let more = true; more; ) {
        if (options.signal?.aborted) return report;
        const result = await this.#write(batch);
        report.batches += 1;
        report[kind] += result.deleted;
        more = result.more;
      }
    }
    await this.#cronPrune.prune(policy, now, options, report, (work) => this.#write(work), PRUNE_BATCH_ROWS);
    return report;
  }

  async checkpoint(): Promise<void> {
    // Writes already queued are committed first, so the log folded back holds them too.
    await this.#write(() => undefined);
    // No transaction is open here: a group commit runs BEGIN … COMMIT within one synchronous call, so code that
    // runs between awaits never sees one half-done. When another connection is busy, TRUNCATE checkpoints what
    // it can without waiting (as PASSIVE does) and leaves the log for the next pass. Without busy_timeout 0 it
    // would block the event loop for up to BUSY_TIMEOUT_MS (measured: 5 s behind one open read transaction).
    // exec, not a statement prepared at open: SQLite applies `busy_timeout = N` when the statement is compiled.
    this.#db.exec('PRAGMA busy_timeout = 0');
    try {
      this.#sql.checkpoint.get();
    } finally {
      this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /**
   * Idempotent. Commits the writes still waiting for their group commit first, and finishes the log sync in flight
   * synchronously, so every write made before close() has settled (as committed and synced) when it returns.
   */
  close(): void {
    if (!this.#db.isOpen) return;
    clearImmediate(this.#flush);
    this.#flush = undefined;
    const wal = this.#wal;
    // From here on commits fsync inside SQLite (FULL) and settle at once.
    this.#wal = undefined;
    const syncing = this.#syncing;
    this.#syncing = undefined;
    if (syncing && wal) {
      let error: unknown;
      try {
        wal.syncNow();
      } catch (syncError) {
        error = syncError;
      }
      settle(syncing, error);
    }
    while (this.#pending.length > 0) this.#commitPending();
    this.#db.close();
    // A sync still running on the pool keeps the log's descriptor until it returns (#synced closes it then).
    if (wal && !syncing) wal.close();
  }

  /** Expired records are only ever looked up by key, so without a sweep every one would stay forever. */
  async #sweepIdempotency(now: number): Promise<void> {
    this.#lastSweepAt = now;
    await this.#write(() => this.#sql.sweepIdempotency.run(now));
  }

  #write<T>(work: () => T): Promise<T> {
    if (!this.#db.isOpen) return Promise.reject(new Error('the store is closed'));
    if (this.#syncFailure) return Promise.reject(this.#syncFailure);
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduleDrain();
    });
  }

  /** The next group commit, in this event-loop turn's check phase; while a log sync runs, once it is done. */
  #scheduleDrain(): void {
    if (this.#flush || this.#syncing || this.#pending.length === 0) return;
    this.#flush = setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#flush = undefined;
    this.#commitPending();
    this.#scheduleDrain();
  }

  /**
   * One group commit of up to MAX_WRITES_PER_COMMIT waiting writes, then their promises settle. BEGIN IMMEDIATE
   * takes the write lock up front, so a read-then-write cannot fail half-way on SQLITE_BUSY.
   */
  #commitPending(): void {
    const batch = this.#pending.splice(0, MAX_WRITES_PER_COMMIT);
    const outcomes: WriteOutcome[] = [];
    const wal = this.#wal;
    try {
      // Outside the transaction: SQLite refuses to change the safety level inside one.
      if (wal) this.#sql.syncNormal.run();
      this.#sql.begin.run();
      for (const write of batch) {
        this.#sql.savepoint.run();
        try {
          outcomes.push({ ok: true, value: write.work() });
          this.#sql.release.run();
        } catch (error) {
          this.#sql.rollbackToSavepoint.run();
          this.#sql.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.#sql.commit.run();
    } catch (error) {
      // The transaction itself failed (BEGIN or COMMIT: disk full, I/O error): nothing of it is on disk.
      if (this.#db.isTransaction) this.#sql.rollback.run();
      for (const write of batch) write.reject(error);
      return;
    } finally {
      if (wal) this.#sql.syncFull.run();
    }
    for (const listener of this.#commitListeners) listener();
    const committed: Unsynced = { batch, outcomes };
    if (!wal) {
      settle(committed, undefined);
      return;
    }
    this.#syncing = committed;
    wal.sync().then(
      () => this.#synced(committed, wal, undefined),
      (error: unknown) => this.#synced(committed, wal, error),
    );
  }

  /** The log sync of `committed` is done: its writes settle, and the writes that waited for it commit next. */
  #synced(committed: Unsynced, wal: WalSync, error: unknown): void {
    // close() already synced and settled it.
    if (this.#syncing !== committed) {
      if (!this.#db.isOpen) wal.close();
      return;
    }
    this.#syncing = undefined;
    if (error === undefined) {
      settle(committed, undefined);
      this.#scheduleDrain();
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    this.#syncFailure = new Error(
      `the store's log could not be synced to disk (${reason}): no write is accepted until the gateway restarts`,
      { cause: error },
    );
    settle(committed, this.#syncFailure);
    for (const write of this.#pending.splice(0)) write.reject(this.#syncFailure);
  }

  /**
   * Up to PRUNE_BATCH_ROWS messages of generations archived before `before`, oldest archive first; an archive
   * whose messages are all gone is dropped.
   */
  #pruneArchives(before: number): PruneBatch {
    const archives = this.#sql.expiredArchives.all(before, PRUNE_BATCH_ROWS) as ArchiveRow[];
    let budget = PRUNE_BATCH_ROWS;
    for (const archive of archives) {
      const { session_key: key, session_id: sessionId, last_seq: lastSeq } = archive;
      const deleted = Number(this.#sql.pruneArchivedMessages.run(key, lastSeq, sessionId, budget).changes);
      budget -= deleted;
      if (budget === 0) {
        this.#sql.shrinkArchive.run(deleted, key, sessionId);
        return { deleted: PRUNE_BATCH_ROWS, more: true };
      }
      this.#sql.dropArchive.run(key, sessionId);
    }
    return { deleted: PRUNE_BATCH_ROWS - budget, more: archives.length === PRUNE_BATCH_ROWS };
  }

  #ensureSession(key: string, agentId: string, now: number): SessionRecord {
    this.#sql.insertSession.run(key, agentId, randomUUID(), now, now);
    return toSession(this.#sql.getSession.get(key) as SessionRow);
  }
}

/**
 * The sync of the connection's write-ahead log, for the store's own fdatasync after each group commit; undefined
 * when there is none to sync (an in-memory database, another journal mode). SQLite never replaces the log while a
 * connection is open (it is deleted only when the last one closes), so the file WalSync opens stays the log.
 */
function walSync(db: DatabaseSync, syncLog: typeof fdatasync): WalSync | undefined {
  const path = db.location();
  const mode = (db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode;
  return path !== null && mode === 'wal' ? new WalSync(path, syncLog) : undefined;
}

/** The writes of a group commit settle: each with its own outcome, or all with the error of their log sync. */
function settle({ batch, outcomes }: Unsynced, syncError: unknown): void {
  batch.forEach((write, i) => {
    const outcome = outcomes[i] as WriteOutcome;
    if (syncError !== undefined) write.reject(syncError);
    else if (outcome.ok) write.resolve(outcome.value);
    else write.reject(outcome.error);
  });
}

/** `agent:<id>:<rest>` → `<id>`; any other key belongs to the default agent. */
function agentIdOf(sessionKey: string): string {
  const match = /^agent:([^:]+):/.exec(sessionKey);
  return match ? match[1] : DEFAULT_AGENT_ID;
}

function count(statement: StatementSync, ...params: SQLInputValue[]): number {
  return Number((statement.get(...params) as { n: number | bigint }).n);
}

/** A batch that deleted its full quota may have left more behind. */
function fullBatch(changes: number | bigint): PruneBatch {
  const deleted = Number(changes);
  return { deleted, more: deleted === PRUNE_BATCH_ROWS };
}

/** `text` as a literal inside a `LIKE … ESCAPE '\\'` pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function optional(...values: (string | undefined)[]): SQLInputValue[] {
  return values.map((value) => value ?? null);
}

function toSession(row: SessionRow): SessionRecord {
  const session: SessionRecord = {
    key: row.key,
    agentId: row.agent_id,
    sessionId: row.session_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archived: row.archived === 1,
    messageCount: row.message_count,
    usage: { input: row.usage_input, output: row.usage_output, total: row.usage_total },
  };
  if (row.label !== null) session.label = row.label;
  if (row.model !== null) session.model = row.model;
  if (row.thinking_level !== null) session.thinkingLevel = row.thinking_level;
  if (row.last_message_at !== null) session.lastMessageAt = row.last_message_at;
  if (row.archived && row.archived_at !== null) session.archivedAt = row.archived_at;
  return session;
}

/** The stored shape of a new message: only the interface's fields, and no key whose value is undefined. */
function toStored(message: NewMessage, sessionId: string, seq: number): StoredMessage {
  const stored: StoredMessage = {
    id: message.id ?? randomUUID(),
    sessionKey: message.sessionKey,
    sessionId,
    seq,
    role: message.role,
    content: message.content,
    timestamp: message.timestamp,
  };
  if (message.runId !== undefined) stored.runId = message.runId;
  if (message.provider !== undefined) stored.provider = message.provider;
  if (message.model !== undefined) stored.model = message.model;
  if (message.usage !== undefined) stored.usage = message.usage;
  if (message.stopReason !== undefined) stored.stopReason = message.stopReason;
  if (message.errorMessage !== undefined) stored.errorMessage = message.errorMessage;
  if (message.toolCallId !== undefined) stored.toolCallId = message.toolCallId;
  if (message.toolName !== undefined) stored.toolName = message.toolName;
  if (message.isError !== undefined) stored.isError = message.isError;
  if (message.details !== undefined) stored.details = message.details;
  return stored;
}

type ToolFields = Pick<StoredMessage, 'toolCallId' | 'toolName' | 'isError' | 'details'>;

/**
 * The `content` column holds the content as JSON. A tool result's call id, tool name, error flag and details have
 * no columns of their own (no schema change for them): they travel with its content as one JSON object,
 * `{"content": [...], "toolCallId": …}`, which only a `toolResult` row ever holds.
 */
function encodeContent(message: StoredMessage): string {
  if (message.role !== 'toolResult') return JSON.stringify(message.content);
  const { toolCallId, toolName, isError, details } = message;
  return JSON.stringify({ content: message.content, toolCallId, toolName, isError, details });
}

function decodeContent(message: StoredMessage, text: string): void {
  const parsed = JSON.parse(text) as unknown;
  if (
    message.role !== 'toolResult' ||
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed)
  ) {
    message.content = parsed as StoredMessage['content'];
    return;
  }
  const fields = parsed as ToolFields & { content: StoredMessage['content'] };
  message.content = fields.content;
  if (fields.toolCallId !== undefined) message.toolCallId = fields.toolCallId;
  if (fields.toolName !== undefined) message.toolName = fields.toolName;
  if (fields.isError !== undefined) message.isError = fields.isError;
  if (fields.details !== undefined) message.details = fields.details;
}

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    sessionKey: row.session_key,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role,
    content: '',
    timestamp: row.timestamp,
  };
  decodeContent(message, row.content);
  if (row.run_id !== null) message.runId = row.run_id;
  if (row.provider !== null) message.provider = row.provider;
  if (row.model !== null) message.model = row.model;
  if (row.usage !== null) message.usage = JSON.parse(row.usage) as Usage;
  if (row.stop_reason !== null) message.stopReason = row.stop_reason;
  if (row.error_message !== null) message.errorMessage = row.error_message;
  return message;
}

function toRun(row: RunRow): RunRecord {
  const run: RunRecord = {
    runId: row.run_id,
    sessionKey: row.session_key,
    sessionId: row.session_id,
    agentId: row.agent_id,
    status: row.status,
    startedAt: row.started_at,
  };
  if (row.ended_at !== null) run.endedAt = row.ended_at;
  if (row.error !== null) run.error = row.error;
  return run;
}

function toIdempotency(row: IdempotencyRow): IdempotencyRecord {
  const record: IdempotencyRecord = {
    key: row.key,
    method: row.method,
    status: row.status,
    expiresAt: row.expires_at,
  };
  if (row.result !== null) record.result = JSON.parse(row.result);
  return record;
}
