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
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
