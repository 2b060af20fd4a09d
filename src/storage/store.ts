/**
 * The store interface handlers and the runner use. SQLite (src/storage/sqlite-store.ts) is the default; the
 * methods return promises so a networked store (PostgreSQL) can implement the same interface unchanged.
 * Every write is durable (committed) when its promise resolves.
 */

export type Usage = { input: number; output: number; total: number };
export type TextBlock = { type: 'text'; text: string };
/** A tool call the model made (OpenClaw's transcript block): `arguments` as parsed from the model's JSON. */
export type ToolCallBlock = {
  type: 'toolCall';
  id: string;
  name: string;
  arguments: Record<string, unknown>;
};
export type ImageBlock = { type: 'image'; data: string; mimeType: string };
export type ContentBlock = TextBlock | ToolCallBlock | ImageBlock;
/** `toolResult`: one tool's answer to one tool call of the assistant message before it. */
export type MessageRole = 'user' | 'assistant' | 'system' | 'toolResult';

export type StoredMessage = {
  id: string;
  sessionKey: string;
  /** The transcript generation: `sessions.reset` starts a new one under the same key. */
  sessionId: string;
  /** 1, 2, 3… within the session key, across resets; the cursor `chat.history` pages by. */
  seq: number;
  role: MessageRole;
  /**
   * User messages keep the text as sent; assistant messages are content blocks (text and tool calls), tool results
   * text or image blocks (OpenClaw's shapes).
   */
  content: string | ContentBlock[];
  timestamp: number;
  runId?: string;
  provider?: string;
  model?: string;
  usage?: Usage;
  /** `stop`, `length`, `aborted`, `error`, … */
  stopReason?: string;
  errorMessage?: string;
  /** A `toolResult` message: the call it answers, the tool's name, whether it failed, and its structured result. */
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  /** For clients only (tool cards); never replayed to the model. Bounded when stored. */
  details?: unknown;
};

export type NewMessage = Omit<StoredMessage, 'id' | 'seq' | 'sessionId'> & { id?: string };

export type SessionRecord = {
  key: string;
  agentId: string;
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  label?: string;
  model?: string;
  thinkingLevel?: string;
  archived: boolean;
  /** When it was archived; absent while it is not. */
  archivedAt?: number;
  /** Messages in the current sessionId. */
  messageCount: number;
  lastMessageAt?: number;
  usage: Usage;
};

export type SessionPatch = Partial<Pick<SessionRecord, 'label' | 'model' | 'thinkingLevel' | 'archived'>>;

export type RunStatus = 'running' | 'ok' | 'error' | 'aborted';
export type RunRecord = {
  runId: string;
  sessionKey: string;
  sessionId: string;
  agentId: string;
  status: RunStatus;
  startedAt: number;
  endedAt?: number;
  error?: string;
};

/** A run transition committed together with a message. */
export type RunChange =
  | { start: { agentId: string; startedAt: number } }
  | { finish: { status: Exclude<RunStatus, 'running'>; endedAt: number; error?: string } };

export type IdempotencyRecord = {
  key: string;
  method: string;
  status: 'running' | 'done';
  result?: unknown;
  expiresAt: number;
};

export type ListSessionsOptions = {
  agentId?: string;
  limit?: number;
  includeArchived?: boolean;
  search?: string;
};
export type ListMessagesOptions = {
  limit: number;
  beforeSeq?: number;
  afterSeq?: number;
  sessionId?: string;
};

/** Which messages `usageBuckets` sums: a time range, optionally one agent's sessions or one session. */
export type UsageQuery = { startMs: number; endMs: number; agentId?: string; sessionKey?: string };

/** Messages of one session, role, provider and model within one UTC quarter hour, summed. */
export type UsageBucket = {
  sessionKey: string;
  agentId: string;
  /** Start of the quarter hour (ms): every real time zone's days begin on one, so days can be drawn from it. */
  bucketMs: number;
  firstMs: number;
  lastMs: number;
  role: MessageRole;
  provider?: string;
  model?: string;
  messages: number;
  /** Messages that ended in error, abort or timeout. */
  errors: number;
  input: number;
  output: number;
  total: number;
};

/**
 * What a retention pass may delete, one named field per kind of row; `false` keeps that kind. Expired idempotency
 * records carry their own expiry and need no setting. A new kind (cron run history, …) adds a field here and a
 * count to PruneReport, and each store implements it inside `prune`, so one pass covers every table.
 */
export type RetentionPolicy = {
  /** Finished run records (status other than `running`) whose end is older than this many ms. */
  runs: number | false;
  /** Messages of transcript generations replaced by `resetSession` longer ago than this many ms. */
  resetArchives: number | false;
  /** Cron run-history entries that ended longer ago than this many ms (absent: kept). */
  cronRuns?: number | false;
  /** Each job's newest this many run-history entries are kept; older ones go, with their runs' tasks. */
  cronRunsPerJob?: number | false;
  /** Tasks that ended (neither running nor queued) and were last updated longer ago than this many ms. */
  tasks?: number | false;
};

export type PruneOptions = {
  /** Count what would be deleted, delete nothing (`session.maintenance.mode: "warn"`). */
  dryRun?: boolean;
  /** Checked between batches: an aborted pass stops after the batch in flight and reports what it did. */
  signal?: AbortSignal;
};

/** Rows deleted (or, in a dry run, that would be) by kind, and the batches (commits) that took. */
export type PruneReport = {
  idempotency: number;
  runs: number;
  /** Messages of replaced transcript generations. */
  resetArchives: number;
  /** Cron run-history entries (by age and by the per-job cap). */
  cronRuns: number;
  tasks: number;
  batches: number;
};

export interface GatewayStore {
  /** The session under `key`, created (with a new sessionId) if absent. */
  ensureSession(key: string, agentId: string, now: number): Promise<SessionRecord>;
  getSession(key: string): Promise<SessionRecord | undefined>;
  /** Most recently updated first. */
  listSessions(options: ListSessionsOptions): Promise<SessionRecord[]>;
  patchSession(key: string, patch: SessionPatch, now: number): Promise<SessionRecord | undefined>;
  /** A new sessionId under the same key: the transcript starts empty, the old messages are kept. */
  resetSession(key: string, now: number): Promise<SessionRecord | undefined>;
  /** Removes the session and all its messages and runs. */
  deleteSession(key: string): Promise<boolean>;

  /**
   * Appends to the session's current transcript; committed when it resolves. Updates counts and usage. With
   * `run`, the message's run (`message.runId`) is started or finished in the same transaction: a turn then costs
   * two commits, not four.
   */
  appendMessage(message: NewMessage, run?: RunChange): Promise<StoredMessage>;
  /** Messages of the current sessionId (or `sessionId`), ascending by seq; `limit` newest within the range. */
  listMessages(sessionKey: string, options: ListMessagesOptions): Promise<StoredMessage[]>;

  /** Message counts and token usage in quarter-hour buckets, over every transcript generation of a key. */
  usageBuckets(query: UsageQuery): Promise<UsageBucket[]>;

  startRun(run: Omit<RunRecord, 'status' | 'endedAt' | 'error'>): Promise<void>;
  finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    endedAt: number,
    error?: string,
  ): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs still `running`: at start-up, the ones a crash cut off (read before `failInterruptedRuns` closes them). */
  listRunningRuns(): Promise<RunRecord[]>;
  /** At start-up: runs still `running` were cut off by a crash; they become `error` with this reason. */
  failInterruptedRuns(endedAt: number, error: string): Promise<number>;

  getIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined>;
  putIdempotency(record: IdempotencyRecord): Promise<void>;

  /**
   * Retention: deletes expired idempotency records (never one still `running`), finished runs and replaced
   * transcript generations past the policy's ages at `now`. Works in bounded batches, each its own commit, so the
   * rest of the gateway runs between them however much is due; the current transcript of a session is never
   * touched.
   */
  prune(policy: RetentionPolicy, now: number, options?: PruneOptions): Promise<PruneReport>;
  /** Folds the write-ahead log back into the database and shrinks it, without waiting on other readers. */
  checkpoint(): Promise<void>;

  close(): void;
}
