import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { MarkdownChunk } from './chunk-markdown.ts';
import { isIndexableTranscript, type QueuedMessage, transcriptText } from './transcript-text.ts';

/** Runs `work` inside the store's next group commit (SqliteStore.write), resolving once it is on disk. */
export type Write = <T>(work: () => T) => Promise<T>;

/** The kv row whose presence makes the enqueue trigger queue new messages (migration 6). */
const TRANSCRIPTS_FLAG = 'memory.transcripts';
/** The kv row of a backfill in progress: the rowid range of `messages` still to queue. */
const BACKFILL_KEY = 'memory.backfill';

export type Backfill = { next: number; until: number };

export type IndexedFile = { id: number; path: string; size: number; mtimeMs: number; hash: string };

export type ChunkCandidate = { path: string; startLine: number; endLine: number; text: string };
export type MessageCandidate = {
  id: string;
  sessionKey: string;
  sessionId: string;
  seq: number;
  role: string;
  content: string;
  timestamp: number;
};

export type IndexCounts = { files: number; chunks: number; messages: number; queued: number };

function prepare(db: DatabaseSync) {
  return {
    getValue: db.prepare('SELECT value FROM kv WHERE key = ?'),
    putValue: db.prepare(
      'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    deleteValue: db.prepare('DELETE FROM kv WHERE key = ?'),
    maxMessageRowid: db.prepare('SELECT coalesce(max(rowid), 0) AS n FROM messages'),
    backfillRange: db.prepare(
      `INSERT INTO memory_queue (message_id)
       SELECT id FROM messages WHERE rowid > ? AND rowid <= ? AND role IN ('user', 'assistant') ORDER BY rowid`,
    ),
    queueHead: db.prepare(
      `SELECT q.seq, q.message_id AS messageId, m.rowid AS rowid, m.session_key AS sessionKey, m.role, m.content,
         m.run_id AS runId, s.agent_id AS agentId
       FROM memory_queue q LEFT JOIN messages m ON m.id = q.message_id LEFT JOIN sessions s ON s.key = m.session_key
       ORDER BY q.seq LIMIT ?`,
    ),
    queueNonEmpty: db.prepare('SELECT EXISTS (SELECT 1 FROM memory_queue) AS found'),
    queueCount: db.prepare('SELECT count(*) AS n FROM memory_queue'),
    dequeue: db.prepare('DELETE FROM memory_queue WHERE seq <= ?'),
    insertDoc: db.prepare(
      'INSERT INTO memory_messages (doc_id, message_id, agent_id) VALUES (?, ?, ?) ON CONFLICT (doc_id) DO NOTHING',
    ),
    insertMessageText: db.prepare('INSERT INTO memory_messages_fts (rowid, text) VALUES (?, ?)'),
    clearQueue: db.prepare('DELETE FROM memory_queue'),
    clearDocs: db.prepare('DELETE FROM memory_messages'),
    clearMessageText: db.prepare(
      "INSERT INTO memory_messages_fts (memory_messages_fts) VALUES ('delete-all')",
    ),
    countDocs: db.prepare('SELECT count(*) AS n FROM memory_messages'),
    countAgentDocs: db.prepare('SELECT count(*) AS n FROM memory_messages WHERE agent_id = ?'),
    // Newest matches first: FTS5 walks its rowids in order and the LIMIT stops it, however many rows match.
    searchMessages: db.prepare(
      `SELECT m.id, m.session_key AS sessionKey, m.session_id AS sessionId, m.seq, m.role, m.content, m.timestamp
       FROM memory_messages_fts f
         JOIN memory_messages d ON d.doc_id = f.rowid
         JOIN messages m ON m.rowid = f.rowid
       WHERE memory_messages_fts MATCH ? AND d.agent_id = ? AND m.id = d.message_id
       ORDER BY f.rowid DESC LIMIT ?`,
    ),
    messageDf: db.prepare('SELECT doc FROM memory_messages_vocab WHERE term = ?'),
    // The newest and oldest indexed messages whose rowid no longer names them (a VACUUM renumbered messages).
    misattributed: db.prepare(
      `SELECT count(*) AS n FROM (
         SELECT * FROM (SELECT doc_id, message_id FROM memory_messages ORDER BY doc_id DESC LIMIT 64)
         UNION SELECT * FROM (SELECT doc_id, message_id FROM memory_messages ORDER BY doc_id LIMIT 64)
       ) d LEFT JOIN messages m ON m.rowid = d.doc_id WHERE m.id IS NOT d.message_id`,
    ),

    listFiles: db.prepare(
      'SELECT id, path, size, mtime_ms AS mtimeMs, hash FROM memory_files WHERE agent_id = ? ORDER BY path',
    ),
    fileAgents: db.prepare('SELECT DISTINCT agent_id AS agentId FROM memory_files'),
    upsertFile: db.prepare(
      `INSERT INTO memory_files (agent_id, path, size, mtime_ms, hash, indexed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
         hash = excluded.hash, indexed_at = excluded.indexed_at
       RETURNING id`,
    ),
    touchFile: db.prepare('UPDATE memory_files SET size = ?, mtime_ms = ? WHERE id = ?'),
    deleteFile: db.prepare('DELETE FROM memory_files WHERE id = ?'),
    deleteAgentFiles: db.prepare('DELETE FROM memory_files WHERE agent_id = ?'),
    deleteChunks: db.prepare('DELETE FROM memory_chunks WHERE file_id = ?'),
    insertChunk: db.prepare(
      'INSERT INTO memory_chunks (file_id, start_line, end_line, text) VALUES (?, ?, ?, ?)',
    ),
    countChunks: db.prepare('SELECT count(*) AS n FROM memory_chunks'),
    countAgentFiles: db.prepare(
      'SELECT count(DISTINCT f.id) AS files, count(c.id) AS chunks FROM memory_files f ' +
        'LEFT JOIN memory_chunks c ON c.file_id = f.id WHERE f.agent_id = ?',
    ),
    searchChunks: db.prepare(
      `SELECT f.path, c.start_line AS startLine, c.end_line AS endLine, c.text
       FROM memory_chunks_fts x
         JOIN memory_chunks c ON c.id = x.rowid
         JOIN memory_files f ON f.id = c.file_id
       WHERE memory_chunks_fts MATCH ? AND f.agent_id = ?
       ORDER BY x.rowid DESC LIMIT ?`,
    ),
    chunkDf: db.prepare('SELECT doc FROM memory_chunks_vocab WHERE term = ?'),
  } satisfies Record<string, StatementSync>;
}

type QueueRow = QueuedMessage & {
  seq: number;
  messageId: string;
  rowid: number | null;
  agentId: string | null;
};

/**
 * The memory index's tables (migration 6) on the gateway's own SQLite connection: reads run at once, writes go
 * through the store's group commit (`write`), so they share its fsyncs and its "resolved means on disk".
 */
export class SqliteMemoryIndex {
  readonly #sql: ReturnType<typeof prepare>;
  readonly #write: Write;

  constructor(db: DatabaseSync, write: Write) {
    this.#sql = prepare(db);
    this.#write = write;
  }

  transcriptsEnabled(): boolean {
    return this.#sql.getValue.get(TRANSCRIPTS_FLAG) !== undefined;
  }

  backfill(): Backfill | undefined {
    const row = this.#sql.getValue.get(BACKFILL_KEY) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Backfill) : undefined;
  }

  /**
   * Turns transcript indexing on: from this commit every new message is queued by the trigger, and the messages
   * already stored (up to the newest rowid now) are to be queued by `backfillStep`.
   */
  enableTranscripts(now: number): Promise<void> {
    return this.#write(() => {
      if (this.transcriptsEnabled()) return;
      this.#sql.putValue.run(TRANSCRIPTS_FLAG, '1', now);
      const until = Number((this.#sql.maxMessageRowid.get() as { n: number }).n);
      if (until > 0) this.#sql.putValue.run(BACKFILL_KEY, JSON.stringify({ next: 0, until }), now);
    });
  }

  /** Turns it off and empties it: nothing is queued any more, and a later enable backfills from scratch. */
  disableTranscripts(): Promise<void> {
    return this.#write(() => {
      this.#sql.deleteValue.run(TRANSCRIPTS_FLAG);
      this.#sql.deleteValue.run(BACKFILL_KEY);
      this.#sql.clearQueue.run();
      this.#sql.clearDocs.run();
      this.#sql.clearMessageText.run();
    });
  }

  /** Queues the next `rows` rowids of the backfill range; false once it is done. */
  backfillStep(rows: number, now: number): Promise<boolean> {
    return this.#write(() => {
      const state = this.backfill();
      if (!state) return false;
      const end = Math.min(state.next + rows, state.until);
      this.#sql.backfillRange.run(state.next, end);
      if (end >= state.until) {
        this.#sql.deleteValue.run(BACKFILL_KEY);
        return false;
      }
      this.#sql.putValue.run(BACKFILL_KEY, JSON.stringify({ next: end, until: state.until }), now);
      return true;
    });
  }

  queueNonEmpty(): boolean {
    return (this.#sql.queueNonEmpty.get() as { found: number }).found === 1;
  }

  /**
   * Indexes up to `limit` queued messages in one write and takes them off the queue; resolves with how many
   * entries it consumed (0: the queue is empty). Deleted, excluded and text-less messages are dropped, and a
   * message indexed already (queued twice by an edit racing a backfill) is not indexed again.
   */
  indexQueued(limit: number): Promise<number> {
    return this.#write(() => {
      const rows = this.#sql.queueHead.all(limit) as QueueRow[];
      if (rows.length === 0) return 0;
      for (const row of rows) {
        if (row.rowid === null || !row.content || !row.agentId || !isIndexableTranscript(row)) continue;
        const text = transcriptText(row.content);
        if (text.trim() === '') continue;
        if (this.#sql.insertDoc.run(row.rowid, row.messageId, row.agentId).changes > 0)
          this.#sql.insertMessageText.run(row.rowid, text);
      }
      this.#sql.dequeue.run(rows[rows.length - 1].seq);
      return rows.length;
    });
  }

  /** Whether sampled index entries no longer match their messages' rowids: then the index must be rebuilt. */
  misattributed(): boolean {
    return Number((this.#sql.misattributed.get() as { n: number }).n) > 0;
  }

  searchMessages(match: string, agentId: string, limit: number): MessageCandidate[] {
    return this.#sql.searchMessages.all(match, agentId, limit) as MessageCandidate[];
  }

  messageDf(term: string): number {
    return Number((this.#sql.messageDf.get(term) as { doc: number } | undefined)?.doc ?? 0);
  }

  messageDocs(): number {
    return Number((this.#sql.countDocs.get() as { n: number }).n);
  }

  listFiles(agentId: string): IndexedFile[] {
    return this.#sql.listFiles.all(agentId) as IndexedFile[];
  }

  fileAgents(): string[] {
    return (this.#sql.fileAgents.all() as { agentId: string }[]).map((row) => row.agentId);
  }

  /** Applies one workspace scan: files to (re)index with their chunks, files whose stat changed only, removals. */
  applyFileChanges(
    agentId: string,
    changes: {
      upserts: { path: string; size: number; mtimeMs: number; hash: string; chunks: MarkdownChunk[] }[];
      touches: { id: number; size: number; mtimeMs: number }[];
      removals: number[];
    },
    now: number,
  ): Promise<void> {
    return this.#write(() => {
      for (const id of changes.removals) this.#sql.deleteFile.run(id);
      for (const touch of changes.touches) this.#sql.touchFile.run(touch.size, touch.mtimeMs, touch.id);
      for (const file of changes.upserts) {
        const { id } = this.#sql.upsertFile.get(
          agentId,
          file.path,
          file.size,
          file.mtimeMs,
          file.hash,
          now,
        ) as { id: number };
        this.#sql.deleteChunks.run(id);
        for (const chunk of file.chunks)
          this.#sql.insertChunk.run(id, chunk.startLine, chunk.endLine, chunk.text);
      }
    });
  }

  /** Forgets the files of agents no longer configured (their transcripts stay, like their sessions). */
  dropAgentFiles(agentIds: readonly string[]): Promise<void> {
    return this.#write(() => {
      for (const agentId of agentIds) this.#sql.deleteAgentFiles.run(agentId);
    });
  }

  searchChunks(match: string, agentId: string, limit: number): ChunkCandidate[] {
    return this.#sql.searchChunks.all(match, agentId, limit) as ChunkCandidate[];
  }

  chunkDf(term: string): number {
    return Number((this.#sql.chunkDf.get(term) as { doc: number } | undefined)?.doc ?? 0);
  }

  chunkDocs(): number {
    return Number((this.#sql.countChunks.get() as { n: number }).n);
  }

  counts(agentId: string): IndexCounts {
    const files = this.#sql.countAgentFiles.get(agentId) as { files: number; chunks: number };
    return {
      files: Number(files.files),
      chunks: Number(files.chunks),
      messages: Number((this.#sql.countAgentDocs.get(agentId) as { n: number }).n),
      queued: Number((this.#sql.queueCount.get() as { n: number }).n),
    };
  }
}
