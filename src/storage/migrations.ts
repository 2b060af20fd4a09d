/**
 * The schema of `clawgate.db`, as an ordered list of steps. `PRAGMA user_version` holds the last one applied;
 * opening the database applies the rest in one transaction. Never edit a released step: append a new one.
 */
export type Migration = { version: number; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE sessions (
        key TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        label TEXT,
        model TEXT,
        thinking_level TEXT,
        archived INTEGER NOT NULL DEFAULT 0,
        message_count INTEGER NOT NULL DEFAULT 0,
        last_message_at INTEGER,
        usage_input INTEGER NOT NULL DEFAULT 0,
        usage_output INTEGER NOT NULL DEFAULT 0,
        usage_total INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX sessions_by_updated ON sessions (updated_at DESC, key);

      -- seq numbers a key's messages across resets; content and usage are JSON text.
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        session_key TEXT NOT NULL REFERENCES sessions (key) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        run_id TEXT,
        provider TEXT,
        model TEXT,
        usage TEXT,
        stop_reason TEXT,
        error_message TEXT,
        -- Also the paging index: a transcript generation is a contiguous run of seqs, the newest one on top.
        UNIQUE (session_key, seq)
      ) STRICT;

      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        session_key TEXT NOT NULL REFERENCES sessions (key) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        error TEXT
      ) STRICT;
      CREATE INDEX runs_by_session ON runs (session_key);

      CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        method TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);
    `,
  },
  {
    // When a session was archived (OpenClaw's SessionRow.archivedAt). Sessions archived before this step have
    // no recorded time; their last update is the best one there is.
    version: 2,
    sql: `
      ALTER TABLE sessions ADD COLUMN archived_at INTEGER;
      UPDATE sessions SET archived_at = updated_at WHERE archived = 1;
    `,
  },
  {
    // Automations (cron jobs), their run history, the background-task ledger, and the leases that keep two
    // gateways on one state dir from both running the scheduler. A job is one JSON document (OpenClaw's CronJob
    // shape, runtime state included); the columns beside it are what the scheduler and the lists query by.
    version: 3,
    sql: `
      CREATE TABLE cron_jobs (
        id TEXT PRIMARY KEY,
        job TEXT NOT NULL,
        -- NULL while disabled or with nothing left to run: the scheduler's index holds only what can fire.
        next_run_at INTEGER,
        -- The gateway (boot id) running it now; NULL when idle.
        running_owner TEXT,
        declaration_key TEXT UNIQUE,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX cron_jobs_by_next_run ON cron_jobs (next_run_at) WHERE next_run_at IS NOT NULL;

      CREATE TABLE cron_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        status TEXT NOT NULL,
        entry TEXT NOT NULL
      ) STRICT;
      CREATE INDEX cron_runs_by_job ON cron_runs (job_id, ts DESC);
      CREATE INDEX cron_runs_by_ts ON cron_runs (ts DESC);

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        agent_id TEXT,
        session_key TEXT,
        source_id TEXT,
        owner TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        task TEXT NOT NULL
      ) STRICT;
      CREATE INDEX tasks_by_created ON tasks (created_at DESC, id);
      CREATE INDEX tasks_by_status ON tasks (status);

      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;

      -- Small named documents (the last heartbeat), one row each.
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    // Retention. A transcript generation replaced by a reset is recorded with the time of the reset (what
    // session.maintenance.resetArchiveRetention counts from) and its highest seq, so pruning it walks the
    // (session_key, seq) index over its own rows and never scans messages. Generations replaced before this step
    // have no recorded reset; their newest message is the best time there is.
    // runs_by_end lets finished runs be pruned by age without a scan; running runs have no end and stay out of it.
    version: 4,
    sql: `
      CREATE TABLE transcript_archives (
        session_key TEXT NOT NULL REFERENCES sessions (key) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        archived_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        -- Messages still stored, what a dry run reports without counting them.
        message_count INTEGER NOT NULL,
        PRIMARY KEY (session_key, session_id)
      ) STRICT;
      CREATE INDEX transcript_archives_by_time ON transcript_archives (archived_at);
      INSERT INTO transcript_archives (session_key, session_id, archived_at, last_seq, message_count)
        SELECT m.session_key, m.session_id, max(m.timestamp), max(m.seq), count(*)
        FROM messages m JOIN sessions s ON s.key = m.session_key
        WHERE m.session_id != s.session_id
        GROUP BY m.session_key, m.session_id;
      CREATE INDEX runs_by_end ON runs (ended_at) WHERE ended_at IS NOT NULL;
    `,
  },
  {
    // Messaging channels. channel_state: small durable values per account (Telegram's long-polling offset).
    // Pairing: pending DM access requests (OpenClaw's 8-character codes, one per sender) and the senders approved
    // from them, which widen that account's allowFrom. channel_inbound: gateway commands (/new) already handled,
    // so a re-delivered one is not applied twice (turns have their run record for that). channel_dead_letters:
    // outbound deliveries that failed every retry, kept for the operator.
    version: 5,
    sql: `
      CREATE TABLE channel_state (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, key)
      ) STRICT;

      CREATE TABLE channel_pairing_requests (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        code TEXT NOT NULL,
        -- JSON object of strings: the sender's name and username, the chat.
        meta TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, sender_id)
      ) STRICT;

      CREATE TABLE channel_allow_entries (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        approved_at INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, sender_id)
      ) STRICT;

      CREATE TABLE channel_inbound (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, chat_id, message_id)
      ) STRICT;
      CREATE INDEX channel_inbound_by_time ON channel_inbound (received_at);

      CREATE TABLE channel_dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        -- JSON: what was to be delivered (the outbound message).
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX channel_dead_letters_by_account ON channel_dead_letters (channel, account_id, id);
    `,
  },
  {
    // Memory search (src/agents/memory, docs/memory.md): FTS5 indexes over the agent workspaces' memory files and
    // over session transcripts. Everything here is derived and can be rebuilt from the files and `messages`.
    // Workspace files: one row per indexed file, its text in line-range chunks; the external-content FTS table
    // reads chunk text from memory_chunks, kept in step by the two chunk triggers (SQLite's documented recipe).
    // Transcripts: a message to index is queued by the enqueue trigger in the transaction that stores it (one
    // small insert, and only while the kv flag `memory.transcripts` is set), and the memory service moves the
    // queue into the index in batches off the commit path. The index is contentless (the text is in `messages`)
    // and keyed by the message's rowid; memory_messages keeps each indexed message's id beside it, so a VACUUM
    // renumbering `messages` (it has no INTEGER PRIMARY KEY) misattributes nothing and is seen at start-up.
    // A deleted message leaves the index in the same transaction (forget trigger), however it is deleted (a
    // session delete's cascade, retention); an edited one is taken out and queued again.
    version: 6,
    sql: `
      CREATE TABLE memory_files (
        id INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        -- Relative to the agent's workspace, '/'-separated.
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        hash TEXT NOT NULL,
        indexed_at INTEGER NOT NULL,
        UNIQUE (agent_id, path)
      ) STRICT;
      CREATE TABLE memory_chunks (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES memory_files (id) ON DELETE CASCADE,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        text TEXT NOT NULL
      ) STRICT;
      CREATE INDEX memory_chunks_by_file ON memory_chunks (file_id);
      CREATE VIRTUAL TABLE memory_chunks_fts USING fts5 (
        text, content = 'memory_chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE VIRTUAL TABLE memory_chunks_vocab USING fts5vocab (memory_chunks_fts, row);
      CREATE TRIGGER memory_chunks_indexed AFTER INSERT ON memory_chunks BEGIN
        INSERT INTO memory_chunks_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER memory_chunks_dropped AFTER DELETE ON memory_chunks BEGIN
        INSERT INTO memory_chunks_fts (memory_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;

      CREATE TABLE memory_queue (
        seq INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL
      ) STRICT;
      CREATE TABLE memory_messages (
        -- The message's rowid in messages, and the index's rowid for it.
        doc_id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        agent_id TEXT NOT NULL
      ) STRICT;
      CREATE VIRTUAL TABLE memory_messages_fts USING fts5 (
        text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE VIRTUAL TABLE memory_messages_vocab USING fts5vocab (memory_messages_fts, row);
      CREATE TRIGGER memory_enqueue AFTER INSERT ON messages
        WHEN new.role IN ('user', 'assistant') AND EXISTS (SELECT 1 FROM kv WHERE key = 'memory.transcripts')
      BEGIN
        INSERT INTO memory_queue (message_id) VALUES (new.id);
      END;
      CREATE TRIGGER memory_forget AFTER DELETE ON messages
        WHEN EXISTS (SELECT 1 FROM memory_messages WHERE doc_id = old.rowid)
      BEGIN
        DELETE FROM memory_messages_fts WHERE rowid = old.rowid;
        DELETE FROM memory_messages WHERE doc_id = old.rowid;
      END;
      CREATE TRIGGER memory_reindex AFTER UPDATE OF content, role ON messages BEGIN
        DELETE FROM memory_messages_fts
          WHERE rowid = old.rowid AND EXISTS (SELECT 1 FROM memory_messages WHERE doc_id = old.rowid);
        DELETE FROM memory_messages WHERE doc_id = old.rowid;
        INSERT INTO memory_queue (message_id)
          SELECT new.id WHERE new.role IN ('user', 'assistant')
            AND EXISTS (SELECT 1 FROM kv WHERE key = 'memory.transcripts');
      END;
    `,
  },
  {
    // Exec approvals (docs/approvals.md). The approvals document (OpenClaw's exec-approvals file: defaults,
    // per-agent policy and allowlists) is one JSON row, compared and swapped by the SHA-256 of its text. Each
    // approval prompt is a row from request to decision: pending ones are what exec.approval.list shows, resolved
    // ones are approval.history (newest resolution first, by the partial index). Standing grants are minted by
    // "Always allow" on an automation's prompt and bound to that job's definition, command and directory.
    version: 7,
    sql: `
      CREATE TABLE exec_approvals_config (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        document TEXT NOT NULL,
        hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE operator_approvals (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        decision TEXT,
        reason TEXT,
        request TEXT NOT NULL,
        agent_id TEXT,
        session_key TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        resolved_at INTEGER,
        resolver_kind TEXT,
        resolver_id TEXT,
        resolved_by TEXT,
        -- The gateway (boot id) waiting on it: a pending row of another boot lost its waiter in a restart.
        owner TEXT NOT NULL
      ) STRICT;
      CREATE INDEX operator_approvals_pending ON operator_approvals (kind, created_at) WHERE status = 'pending';
      CREATE INDEX operator_approvals_history ON operator_approvals (resolved_at DESC, id DESC)
        WHERE resolved_at IS NOT NULL;

      CREATE TABLE exec_standing_grants (
        grant_id TEXT PRIMARY KEY,
        minted_by_approval_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        cron_job_id TEXT NOT NULL,
        cron_job_name TEXT,
        -- A fingerprint of the job's substantive definition: an edit stops the grant matching.
        job_revision TEXT NOT NULL,
        command TEXT NOT NULL,
        cwd TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT,
        last_used_at INTEGER,
        use_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX exec_standing_grants_by_job ON exec_standing_grants (agent_id, cron_job_id);
      CREATE INDEX exec_standing_grants_by_created ON exec_standing_grants (created_at DESC, grant_id);
    `,
  },
  {
    // Nodes (docs/nodes.md): one row per node (its device id) holding what the gateway remembers of it as JSON: the
    // metadata it last connected with, its approved command surface, the pending surface request and the last host
    // stats. Work queued for a node while it is away (node.pending.enqueue) is a row per item until drained.
    version: 8,
    sql: `
      CREATE TABLE nodes (
        node_id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE node_pending_work (
        id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        type TEXT NOT NULL,
        priority TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX node_pending_work_by_node ON node_pending_work (node_id, created_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
