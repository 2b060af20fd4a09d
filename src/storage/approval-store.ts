/**
 * Exec approvals' durable state: the approvals document, every approval prompt from request to decision, and the
 * standing grants automations earn. SQLite (sqlite-approval-store.ts) shares the session store's connection and
 * group commit; a networked store implements the same promises. Every write is committed when it resolves.
 */

/** `exec`: a command; `plugin`: any other tool call (an MCP tool), OpenClaw's plugin approval wire shape. */
export type ApprovalKind = 'exec' | 'plugin';
export type ApprovalStatus = 'pending' | 'allowed' | 'denied' | 'expired' | 'cancelled';
export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';
/** Who settled it (OpenClaw's resolver kinds): an operator's device or client, a channel, or the gateway itself. */
export type ApprovalResolver = { kind: 'device' | 'channel' | 'runtime' | 'system'; id?: string };

/** The approvals document as stored: its JSON text and that text's SHA-256 (the `baseHash` writers compare). */
export type StoredDocument = { text: string; hash: string; updatedAt: number };

export type StoredApproval = {
  id: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  decision?: ApprovalDecision;
  /** Why it ended: `user`, `timeout`, `no-route`, `run-aborted`, `gateway-restart` (OpenClaw's terminal reasons). */
  reason?: string;
  /** The request as clients are shown it (OpenClaw's exec approval request object). */
  request: Record<string, unknown>;
  agentId?: string;
  sessionKey?: string;
  createdAtMs: number;
  expiresAtMs: number;
  resolvedAtMs?: number;
  resolver?: ApprovalResolver;
  /** The display name events carry (`resolvedBy`). */
  resolvedBy?: string;
  /** The gateway (boot id) that waits on it. */
  owner: string;
};

export type ApprovalSettlement = {
  status: Exclude<ApprovalStatus, 'pending'>;
  decision?: ApprovalDecision;
  reason: string;
  resolvedAtMs: number;
  resolver: ApprovalResolver;
  resolvedBy?: string;
};

export type HistoryQuery = {
  /** Resolved before this one (its resolution time and id), newest first. */
  before?: { resolvedAtMs: number; id: string };
  /** Only this kind (`exec`, `plugin`); all when absent. */
  kind?: ApprovalKind;
  limit: number;
};

/** A standing grant (OpenClaw's ExecApprovalStandingGrant, plus the job fingerprint it is bound to). */
export type StandingGrant = {
  grantId: string;
  mintedByApprovalId: string;
  agentId: string;
  cronJobId: string;
  cronJobName: string | null;
  jobRevision: string;
  command: string;
  cwd: string | null;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  revokedBy: string | null;
  lastUsedAtMs: number | null;
  useCount: number;
};

/** What a later run must match, byte for byte, for a grant to let it run. */
export type GrantQuery = {
  agentId: string;
  cronJobId: string;
  jobRevision: string;
  command: string;
  cwd: string | null;
};

export type RevokeOutcome = 'revoked' | 'already-revoked' | 'not-found';

export interface ApprovalStore {
  getDocument(): Promise<StoredDocument | undefined>;
  /**
   * Replaces the document when it is still what the caller read: `expectedHash` is the stored hash, or `null` for
   * "not stored yet". Resolves undefined (nothing written) when another writer got there first.
   */
  putDocument(text: string, expectedHash: string | null, now: number): Promise<StoredDocument | undefined>;
  /**
   * Read-modify-write in one transaction (the gateway's own edits: an Always-allow entry, last-used stamps).
   * `update` gets the stored text (undefined when none) and returns the new text, or undefined to leave it.
   */
  updateDocument(
    update: (current: string | undefined) => string | undefined,
    now: number,
  ): Promise<StoredDocument | undefined>;

  insertApproval(approval: StoredApproval): Promise<void>;
  /** Settles a pending approval; undefined when it is not pending (already settled, or unknown). */
  settleApproval(id: string, settlement: ApprovalSettlement): Promise<StoredApproval | undefined>;
  getApproval(id: string): Promise<StoredApproval | undefined>;
  /** Oldest first. */
  listPendingApprovals(): Promise<StoredApproval[]>;
  /** Settled approvals, newest resolution first. */
  approvalHistory(query: HistoryQuery): Promise<StoredApproval[]>;
  /** Pending approvals of other boots (their waiter died with that process) are settled; returns them. */
  settleOrphanedApprovals(owner: string, settlement: ApprovalSettlement): Promise<StoredApproval[]>;
  /** Keeps the newest `keep` settled approvals, none resolved before `before`; returns how many were deleted. */
  pruneApprovalHistory(keep: number, before: number): Promise<number>;

  insertGrant(grant: StandingGrant): Promise<void>;
  /** Newest first. */
  listGrants(limit: number): Promise<StandingGrant[]>;
  /** An unrevoked, unexpired grant matching exactly, after which its use is counted; undefined when none. */
  useGrant(query: GrantQuery, now: number): Promise<StandingGrant | undefined>;
  revokeGrant(grantId: string, revokedBy: string, now: number): Promise<RevokeOutcome>;
}
