/** A pending DM access request: one per (channel, account, sender), with the code the sender was sent. */
export type PairingRequestRecord = {
  channel: string;
  accountId: string;
  senderId: string;
  code: string;
  /** The sender's name, username and chat, for the operator's review. */
  meta: Record<string, string>;
  createdAt: number;
  lastSeenAt: number;
};

export type PairingRequestInput = {
  channel: string;
  accountId: string;
  senderId: string;
  meta: Record<string, string>;
  now: number;
  /** Requests older than this are expired: dropped, and the sender may get a new code. */
  ttlMs: number;
  /** Pending requests per account at most; beyond it a new sender gets no request (and no reply). */
  maxPending: number;
  /** A fresh code; called again while it collides with a pending one. */
  newCode(): string;
};

/** `created`: a new request (the sender is sent its code); `pending`: seen again; `full`: refused by the cap. */
export type PairingRequestOutcome =
  | { status: 'created' | 'pending'; request: PairingRequestRecord }
  | { status: 'full' };

/** An outbound delivery that failed every retry. */
export type DeadLetterRecord = {
  id: number;
  channel: string;
  accountId: string;
  chatId: string;
  payload: Record<string, unknown>;
  attempts: number;
  error: string;
  createdAt: number;
};

export type DeadLetterQuery = { channel?: string; accountId?: string; limit: number };

/**
 * What the channel manager and the channels keep durably: per-account state (a poller's offset), DM pairing
 * requests and approvals, handled gateway commands, and dead letters. SQLite (sqlite-channel-store.ts) shares
 * the session store's connection and group commit; every write is committed when its promise resolves.
 */
export interface ChannelStore {
  getState(channel: string, accountId: string, key: string): Promise<string | undefined>;
  setState(channel: string, accountId: string, key: string, value: string, now: number): Promise<void>;

  /** Creates or touches the sender's request, expiring old ones and honouring the cap, in one transaction. */
  requestPairing(input: PairingRequestInput): Promise<PairingRequestOutcome>;
  /** Pending, unexpired requests of one account (every account with `accountId` undefined), oldest first. */
  listPairingRequests(
    channel: string,
    accountId: string | undefined,
    now: number,
    ttlMs: number,
  ): Promise<PairingRequestRecord[]>;
  /** Removes the request and approves its sender, together; undefined when no such request is pending. */
  approvePairing(
    channel: string,
    accountId: string,
    senderId: string,
    now: number,
  ): Promise<PairingRequestRecord | undefined>;
  dismissPairing(
    channel: string,
    accountId: string,
    senderId: string,
  ): Promise<PairingRequestRecord | undefined>;
  /** Senders approved by pairing for one account. */
  listAllowEntries(channel: string, accountId: string): Promise<string[]>;

  /**
   * Records that a message was handled; false when it already was. Records older than `keepMs` go on the way, so
   * the table holds only the window in which a network re-delivers.
   */
  markInbound(
    channel: string,
    accountId: string,
    chatId: string,
    messageId: string,
    now: number,
    keepMs: number,
  ): Promise<boolean>;

  addDeadLetter(record: Omit<DeadLetterRecord, 'id'>): Promise<number>;
  /** Newest first. */
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterRecord[]>;
  countDeadLetters(channel: string, accountId: string): Promise<number>;
}
