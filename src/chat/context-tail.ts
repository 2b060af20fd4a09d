import type {
  ContentBlock,
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
  UsageBucket,
  UsageQuery,
} from '../storage/store.ts';

/** Messages of context sent to the model: the newest this many of the current transcript. */
export const MAX_CONTEXT_MESSAGES = 50;
/** Sessions whose tail is kept in memory at most; past it the least recently used tail goes. */
export const CONTEXT_TAIL_MAX_SESSIONS = 1_000;
/** Estimated bytes all tails together hold at most (see approximateBytes); past it the least recently used go. */
export const CONTEXT_TAIL_MAX_BYTES = 8 * 1024 * 1024;
/** What a message costs beyond its strings' characters: the object, its fields, its array slot (an estimate). */
const MESSAGE_OVERHEAD_BYTES = 256;

export type ContextTailLimits = {
  /** Messages one tail holds: the most a `recent` read can be served from memory. */
  messages: number;
  sessions: number;
  bytes: number;
};

/** The newest messages of one session's current transcript (never empty), ascending by seq. */
type Tail = { sessionId: string; messages: StoredMessage[]; bytes: number };
/** A session key with reads from the store in flight: the writes to it noted since they began. */
type Fill = { writes: number; readers: number };

/**
 * The gateway store with, in front of it, the newest messages of each recently used session in memory: the
 * model's context for a chat turn (`recent`) without a store read per turn. Everything else goes to the store.
 *
 * A tail is only ever the store's committed state. It is filled from the store on first use, a message goes in
 * only after the store's `appendMessage` has resolved (committed: a failed or rolled-back write never shows), and
 * a reset or delete of the session drops it (the next read fills it again). A tail is also dropped when a message
 * does not follow on from it (another transcript generation, a gap in seq), so a missed write costs a store read,
 * never a wrong context. Durability is the store's own: nothing is acknowledged from here.
 *
 * It sees only the writes made through it: every writer of messages in the process must use this one instance
 * (the gateway's `ctx.store`), and a new GatewayStore method that rewrites a transcript must drop the tail here
 * (implementing the interface, this class will not compile until the method exists here too). Another process
 * writing messages to the same database while the gateway runs is not supported.
 *
 * Memory is bounded: at most `limits.messages` messages per session, `limits.sessions` sessions and an estimated
 * `limits.bytes` in all (by default 50 messages, 1 000 sessions, 8 MiB), the least recently used session's tail
 * going first; a session whose tail alone exceeds the byte budget is served from the store.
 *
 * The messages handed out are shared with the tail: a caller must not mutate them (the arrays are its own).
 */
export class ContextTailStore implements GatewayStore {
  readonly #store: GatewayStore;
  readonly #limits: ContextTailLimits;
  /** Map order is recency: the first entry is the least recently used. */
  readonly #tails = new Map<string, Tail>();
  #bytes = 0;
  readonly #fills = new Map<string, Fill>();

  constructor(store: GatewayStore, limits: Partial<ContextTailLimits> = {}) {
    this.#store = store;
    this.#limits = {
      messages: limits.messages ?? MAX_CONTEXT_MESSAGES,
      sessions: limits.sessions ?? CONTEXT_TAIL_MAX_SESSIONS,
      bytes: limits.bytes ?? CONTEXT_TAIL_MAX_BYTES,
    };
  }

  /**
   * The newest `limit` messages of the session's current transcript, ascending by seq, as
   * `listMessages(sessionKey, { limit })` returns them: from memory when the session's tail is held, else read
   * from the store (and kept). A limit beyond `limits.messages` always reads the store.
   */
  async recent(sessionKey: string, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    if (limit > this.#limits.messages) return this.#store.listMessages(sessionKey, { limit });
    const tail = this.#tails.get(sessionKey);
    if (tail) {
      this.#touch(sessionKey, tail);
      return tail.messages.slice(-limit);
    }
    return (await this.#fill(sessionKey)).slice(-limit);
  }

  /** What the tails hold now (for diagnostics and tests). */
  tailStats(): { sessions: number; messages: number; bytes: number } {
    let messages = 0;
    for (const tail of this.#tails.values()) messages += tail.messages.length;
    return { sessions: this.#tails.size, messages, bytes: this.#bytes };
  }

  async appendMessage(message: NewMessage, run?: RunChange): Promise<StoredMessage> {
    const stored = await this.#store.appendMessage(message, run);
    this.#appended(stored);
    return stored;
  }

  async resetSession(key: string, now: number): Promise<SessionRecord | undefined> {
    try {
      return await this.#store.resetSession(key, now);
    } finally {
      this.#rewritten(key);
    }
  }

  async deleteSession(key: string): Promise<boolean> {
    try {
      return await this.#store.deleteSession(key);
    } finally {
      this.#rewritten(key);
    }
  }

  close(): void {
    this.#tails.clear();
    this.#bytes = 0;
    this.#store.close();
  }

  // None of these touches a transcript.

  ensureSession(key: string, agentId: string, now: number): Promise<SessionRecord> {
    return this.#store.ensureSession(key, agentId, now);
  }

  getSession(key: string): Promise<SessionRecord | undefined> {
    return this.#store.getSession(key);
  }

  listSessions(options: ListSessionsOptions): Promise<SessionRecord[]> {
    return this.#store.listSessions(options);
  }

  patchSession(key: string, patch: SessionPatch, now: number): Promise<SessionRecord | undefined> {
    return this.#store.patchSession(key, patch, now);
  }

  listMessages(sessionKey: string, options: ListMessagesOptions): Promise<StoredMessage[]> {
    return this.#store.listMessages(sessionKey, options);
  }

  usageBuckets(query: UsageQuery): Promise<UsageBucket[]> {
    return this.#store.usageBuckets(query);
  }

  startRun(run: Omit<RunRecord, 'status' | 'endedAt' | 'error'>): Promise<void> {
    return this.#store.startRun(run);
  }

  finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    endedAt: number,
    error?: string,
  ): Promise<void> {
    return this.#store.finishRun(runId, status, endedAt, error);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#store.getRun(runId);
  }

  listRunningRuns(): Promise<RunRecord[]> {
    return this.#store.listRunningRuns();
  }

  failInterruptedRuns(endedAt: number, error: string): Promise<number> {
    return this.#store.failInterruptedRuns(endedAt, error);
  }

  getIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return this.#store.getIdempotency(key, now);
  }

  putIdempotency(record: IdempotencyRecord): Promise<void> {
    return this.#store.putIdempotency(record);
  }

  /** Deletes only replaced transcript generations' messages, never the current one a tail holds. */
  prune(policy: RetentionPolicy, now: number, options?: PruneOptions): Promise<PruneReport> {
    return this.#store.prune(policy, now, options);
  }

  checkpoint(): Promise<void> {
    return this.#store.checkpoint();
  }

  /**
   * Reads the tail from the store and keeps it, unless a write to the session was noted while the read was in
   * flight (its result may then predate that write; the next read tries again). An empty transcript is not kept.
   */
  async #fill(sessionKey: string): Promise<StoredMessage[]> {
    let fill = this.#fills.get(sessionKey);
    if (!fill) {
      fill = { writes: 0, readers: 0 };
      this.#fills.set(sessionKey, fill);
    }
    fill.readers += 1;
    const writesBefore = fill.writes;
    try {
      const messages = await this.#store.listMessages(sessionKey, { limit: this.#limits.messages });
      const first = messages[0];
      if (first && fill.writes === writesBefore && !this.#tails.has(sessionKey)) {
        this.#keep(sessionKey, { sessionId: first.sessionId, messages, bytes: sumBytes(messages) });
      }
      return messages;
    } finally {
      fill.readers -= 1;
      if (fill.readers === 0) this.#fills.delete(sessionKey);
    }
  }

  /** A committed message: onto its session's tail if it follows on from it, else the tail goes. */
  #appended(message: StoredMessage): void {
    const key = message.sessionKey;
    this.#noteWrite(key);
    const tail = this.#tails.get(key);
    if (!tail) return;
    const last = tail.messages[tail.messages.length - 1] as StoredMessage;
    const sameTranscript = message.sessionId === tail.sessionId;
    // Committed before a fill read the tail, and noted only after: it is in already.
    if (sameTranscript && message.seq <= last.seq) return;
    if (!sameTranscript || message.seq !== last.seq + 1) {
      this.#drop(key);
      return;
    }
    tail.messages.push(message);
    const bytes = approximateBytes(message);
    tail.bytes += bytes;
    this.#bytes += bytes;
    while (tail.messages.length > this.#limits.messages) {
      const gone = approximateBytes(tail.messages.shift() as StoredMessage);
      tail.bytes -= gone;
      this.#bytes -= gone;
    }
    this.#touch(key, tail);
    this.#evict();
  }

  /** The session's transcript was replaced or removed (or the attempt failed): its tail is read again. */
  #rewritten(key: string): void {
    this.#noteWrite(key);
    this.#drop(key);
  }

  #noteWrite(key: string): void {
    const fill = this.#fills.get(key);
    if (fill) fill.writes += 1;
  }

  #keep(key: string, tail: Tail): void {
    this.#tails.set(key, tail);
    this.#bytes += tail.bytes;
    this.#evict();
  }

  #drop(key: string): void {
    const tail = this.#tails.get(key);
    if (!tail) return;
    this.#tails.delete(key);
    this.#bytes -= tail.bytes;
  }

  /** Most recently used last. */
  #touch(key: string, tail: Tail): void {
    this.#tails.delete(key);
    this.#tails.set(key, tail);
  }

  /** Least recently used first, until within both limits (the tail just used goes too if it alone is over). */
  #evict(): void {
    for (const key of this.#tails.keys()) {
      if (this.#tails.size <= this.#limits.sessions && this.#bytes <= this.#limits.bytes) return;
      this.#drop(key);
    }
  }
}

/** Errs high: every character counted as two bytes (V8 stores most strings in one), plus a fixed overhead. */
function approximateBytes(message: StoredMessage): number {
  let chars = message.id.length + message.sessionKey.length + message.sessionId.length;
  if (typeof message.content === 'string') chars += message.content.length;
  else for (const block of message.content) chars += blockChars(block);
  // Tool fields are small next to their content, but details can be large: counted by their JSON.
  if (message.toolCallId) chars += message.toolCallId.length + (message.toolName?.length ?? 0);
  if (message.details !== undefined) chars += JSON.stringify(message.details)?.length ?? 0;
  for (const text of [
    message.runId,
    message.provider,
    message.model,
    message.stopReason,
    message.errorMessage,
  ]) {
    chars += text?.length ?? 0;
  }
  return MESSAGE_OVERHEAD_BYTES + 2 * chars;
}

function blockChars(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return block.type.length + block.text.length;
    case 'toolCall':
      return block.id.length + block.name.length + (JSON.stringify(block.arguments)?.length ?? 0);
    case 'image':
      return block.data.length + block.mimeType.length;
  }
}

function sumBytes(messages: StoredMessage[]): number {
  let bytes = 0;
  for (const message of messages) bytes += approximateBytes(message);
  return bytes;
}
