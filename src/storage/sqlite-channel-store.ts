import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  ChannelStore,
  DeadLetterQuery,
  DeadLetterRecord,
  PairingRequestInput,
  PairingRequestOutcome,
  PairingRequestRecord,
} from './channel-store.ts';

type Write = <T>(work: () => T) => Promise<T>;

type RequestRow = {
  channel: string;
  account_id: string;
  sender_id: string;
  code: string;
  meta: string;
  created_at: number;
  last_seen_at: number;
};

type DeadLetterRow = {
  id: number;
  channel: string;
  account_id: string;
  chat_id: string;
  payload: string;
  attempts: number;
  error: string;
  created_at: number;
};

const REQUEST_COLUMNS = 'channel, account_id, sender_id, code, meta, created_at, last_seen_at';

function prepare(db: DatabaseSync) {
  return {
    getState: db.prepare('SELECT value FROM channel_state WHERE channel = ? AND account_id = ? AND key = ?'),
    setState: db.prepare(
      'INSERT INTO channel_state (channel, account_id, key, value, updated_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (channel, account_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    expireRequests: db.prepare(
      'DELETE FROM channel_pairing_requests WHERE channel = ? AND account_id = ? AND created_at <= ?',
    ),
    accountRequests: db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? AND account_id = ? ORDER BY created_at`,
    ),
    channelRequests: db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? AND created_at > ? ORDER BY created_at`,
    ),
    liveAccountRequests: db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? AND account_id = ? AND created_at > ? ORDER BY created_at`,
    ),
    getRequest: db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? AND account_id = ? AND sender_id = ?`,
    ),
    insertRequest: db.prepare(
      `INSERT INTO channel_pairing_requests (${REQUEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    touchRequest: db.prepare(
      'UPDATE channel_pairing_requests SET last_seen_at = ?, meta = ? WHERE channel = ? AND account_id = ? AND sender_id = ?',
    ),
    deleteRequest: db.prepare(
      'DELETE FROM channel_pairing_requests WHERE channel = ? AND account_id = ? AND sender_id = ?',
    ),
    allow: db.prepare(
      'INSERT INTO channel_allow_entries (channel, account_id, sender_id, approved_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (channel, account_id, sender_id) DO NOTHING',
    ),
    allowEntries: db.prepare(
      'SELECT sender_id FROM channel_allow_entries WHERE channel = ? AND account_id = ? ORDER BY approved_at',
    ),
    pruneInbound: db.prepare('DELETE FROM channel_inbound WHERE received_at < ?'),
    markInbound: db.prepare(
      'INSERT INTO channel_inbound (channel, account_id, chat_id, message_id, received_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO NOTHING',
    ),
    addDeadLetter: db.prepare(
      'INSERT INTO channel_dead_letters (channel, account_id, chat_id, payload, attempts, error, created_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    deadLetters: db.prepare('SELECT * FROM channel_dead_letters ORDER BY id DESC LIMIT ?'),
    channelDeadLetters: db.prepare(
      'SELECT * FROM channel_dead_letters WHERE channel = ? ORDER BY id DESC LIMIT ?',
    ),
    accountDeadLetters: db.prepare(
      'SELECT * FROM channel_dead_letters WHERE channel = ? AND account_id = ? ORDER BY id DESC LIMIT ?',
    ),
    countDeadLetters: db.prepare(
      'SELECT count(*) AS n FROM channel_dead_letters WHERE channel = ? AND account_id = ?',
    ),
  } satisfies Record<string, StatementSync>;
}

function toRequest(row: RequestRow): PairingRequestRecord {
  return {
    channel: row.channel,
    accountId: row.account_id,
    senderId: row.sender_id,
    code: row.code,
    meta: JSON.parse(row.meta) as Record<string, string>,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

function toDeadLetter(row: DeadLetterRow): DeadLetterRecord {
  return {
    id: row.id,
    channel: row.channel,
    accountId: row.account_id,
    chatId: row.chat_id,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempts: row.attempts,
    error: row.error,
    createdAt: row.created_at,
  };
}

/**
 * ChannelStore on the session store's SQLite connection: writes ride its group commit (`write`), so an inbound
 * burst's bookkeeping costs no fsync of its own, and each write is a transaction (a pairing request's
 * check-then-insert cannot interleave with another's).
 */
export class SqliteChannelStore implements ChannelStore {
  readonly #write: Write;
  readonly #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync, write: Write) {
    this.#write = write;
    this.#sql = prepare(db);
  }

  async getState(channel: string, accountId: string, key: string): Promise<string | undefined> {
    const row = this.#sql.getState.get(channel, accountId, key) as { value: string } | undefined;
    return row?.value;
  }

  setState(channel: string, accountId: string, key: string, value: string, now: number): Promise<void> {
    return this.#write(() => {
      this.#sql.setState.run(channel, accountId, key, value, now);
    });
  }

  requestPairing(input: PairingRequestInput): Promise<PairingRequestOutcome> {
    const { channel, accountId, senderId, now } = input;
    return this.#write((): PairingRequestOutcome => {
      this.#sql.expireRequests.run(channel, accountId, now - input.ttlMs);
      const meta = JSON.stringify(input.meta);
      const existing = this.#sql.getRequest.get(channel, accountId, senderId) as RequestRow | undefined;
      if (existing) {
        this.#sql.touchRequest.run(now, meta, channel, accountId, senderId);
        return { status: 'pending', request: toRequest({ ...existing, meta, last_seen_at: now }) };
      }
      const pending = (this.#sql.accountRequests.all(channel, accountId) as RequestRow[]).map(toRequest);
      if (pending.length >= input.maxPending) return { status: 'full' };
      const codes = new Set(pending.map((request) => request.code));
      let code = input.newCode();
      while (codes.has(code)) code = input.newCode();
      this.#sql.insertRequest.run(channel, accountId, senderId, code, meta, now, now);
      return {
        status: 'created',
        request: { channel, accountId, senderId, code, meta: input.meta, createdAt: now, lastSeenAt: now },
      };
    });
  }

  async listPairingRequests(
    channel: string,
    accountId: string | undefined,
    now: number,
    ttlMs: number,
  ): Promise<PairingRequestRecord[]> {
    const rows =
      accountId === undefined
        ? this.#sql.channelRequests.all(channel, now - ttlMs)
        : this.#sql.liveAccountRequests.all(channel, accountId, now - ttlMs);
    return (rows as RequestRow[]).map(toRequest);
  }

  approvePairing(
    channel: string,
    accountId: string,
    senderId: string,
    now: number,
  ): Promise<PairingRequestRecord | undefined> {
    return this.#write(() => {
      const row = this.#sql.getRequest.get(channel, accountId, senderId) as RequestRow | undefined;
      if (!row) return undefined;
      this.#sql.deleteRequest.run(channel, accountId, senderId);
      this.#sql.allow.run(channel, accountId, senderId, now);
      return toRequest(row);
    });
  }

  dismissPairing(
    channel: string,
    accountId: string,
    senderId: string,
  ): Promise<PairingRequestRecord | undefined> {
    return this.#write(() => {
      const row = this.#sql.getRequest.get(channel, accountId, senderId) as RequestRow | undefined;
      if (!row) return undefined;
      this.#sql.deleteRequest.run(channel, accountId, senderId);
      return toRequest(row);
    });
  }

  async listAllowEntries(channel: string, accountId: string): Promise<string[]> {
    return (this.#sql.allowEntries.all(channel, accountId) as { sender_id: string }[]).map(
      (row) => row.sender_id,
    );
  }

  markInbound(
    channel: string,
    accountId: string,
    chatId: string,
    messageId: string,
    now: number,
    keepMs: number,
  ): Promise<boolean> {
    return this.#write(() => {
      this.#sql.pruneInbound.run(now - keepMs);
      return Number(this.#sql.markInbound.run(channel, accountId, chatId, messageId, now).changes) > 0;
    });
  }

  addDeadLetter(record: Omit<DeadLetterRecord, 'id'>): Promise<number> {
    return this.#write(() =>
      Number(
        this.#sql.addDeadLetter.run(
          record.channel,
          record.accountId,
          record.chatId,
          JSON.stringify(record.payload),
          record.attempts,
          record.error,
          record.createdAt,
        ).lastInsertRowid,
      ),
    );
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterRecord[]> {
    const rows =
      query.channel === undefined
        ? this.#sql.deadLetters.all(query.limit)
        : query.accountId === undefined
          ? this.#sql.channelDeadLetters.all(query.channel, query.limit)
          : this.#sql.accountDeadLetters.all(query.channel, query.accountId, query.limit);
    return (rows as DeadLetterRow[]).map(toDeadLetter);
  }

  async countDeadLetters(channel: string, accountId: string): Promise<number> {
    return (this.#sql.countDeadLetters.get(channel, accountId) as { n: number }).n;
  }
}
