import { createHash } from 'node:crypto';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type {
  ApprovalSettlement,
  ApprovalStore,
  GrantQuery,
  HistoryQuery,
  RevokeOutcome,
  StandingGrant,
  StoredApproval,
  StoredDocument,
} from './approval-store.ts';

type Write = <T>(work: () => T) => Promise<T>;

type ApprovalRow = {
  id: string;
  kind: StoredApproval['kind'];
  status: StoredApproval['status'];
  decision: StoredApproval['decision'] | null;
  reason: string | null;
  request: string;
  agent_id: string | null;
  session_key: string | null;
  created_at: number;
  expires_at: number;
  resolved_at: number | null;
  resolver_kind: NonNullable<StoredApproval['resolver']>['kind'] | null;
  resolver_id: string | null;
  resolved_by: string | null;
  owner: string;
};

type GrantRow = {
  grant_id: string;
  minted_by_approval_id: string;
  agent_id: string;
  cron_job_id: string;
  cron_job_name: string | null;
  job_revision: string;
  command: string;
  cwd: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
  last_used_at: number | null;
  use_count: number;
};

const APPROVAL_COLUMNS =
  'id, kind, status, decision, reason, request, agent_id, session_key, created_at, expires_at, resolved_at, ' +
  'resolver_kind, resolver_id, resolved_by, owner';
const GRANT_COLUMNS =
  'grant_id, minted_by_approval_id, agent_id, cron_job_id, cron_job_name, job_revision, command, cwd, ' +
  'created_at, expires_at, revoked_at, revoked_by, last_used_at, use_count';

function prepare(db: DatabaseSync) {
  return {
    getDocument: db.prepare('SELECT document, hash, updated_at FROM exec_approvals_config WHERE id = 1'),
    putDocument: db.prepare(
      'INSERT INTO exec_approvals_config (id, document, hash, updated_at) VALUES (1, ?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET document = excluded.document, hash = excluded.hash, ' +
        'updated_at = excluded.updated_at',
    ),
    insertApproval: db.prepare(
      `INSERT INTO operator_approvals (${APPROVAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getApproval: db.prepare(`SELECT ${APPROVAL_COLUMNS} FROM operator_approvals WHERE id = ?`),
    settleApproval: db.prepare(
      `UPDATE operator_approvals SET status = ?, decision = ?, reason = ?, resolved_at = ?, resolver_kind = ?,
         resolver_id = ?, resolved_by = ?
       WHERE id = ? AND status = 'pending'`,
    ),
    listPending: db.prepare(
      `SELECT ${APPROVAL_COLUMNS} FROM operator_approvals WHERE status = 'pending' ORDER BY created_at, id`,
    ),
    orphaned: db.prepare(
      `SELECT ${APPROVAL_COLUMNS} FROM operator_approvals WHERE status = 'pending' AND owner != ?`,
    ),
    history: db.prepare(
      `SELECT ${APPROVAL_COLUMNS} FROM operator_approvals
       WHERE resolved_at IS NOT NULL
         AND (:kind IS NULL OR kind = :kind)
         AND (:beforeAt IS NULL OR resolved_at < :beforeAt OR (resolved_at = :beforeAt AND id < :beforeId))
       ORDER BY resolved_at DESC, id DESC
       LIMIT :limit`,
    ),
    // The row that ends the newest `keep`: everything resolved before it goes.
    historyBoundary: db.prepare(
      `SELECT resolved_at, id FROM operator_approvals WHERE resolved_at IS NOT NULL
       ORDER BY resolved_at DESC, id DESC LIMIT 1 OFFSET ?`,
    ),
    oldestResolved: db.prepare(
      'SELECT min(resolved_at) AS at FROM operator_approvals WHERE resolved_at IS NOT NULL',
    ),
    pruneExpiredHistory: db.prepare(
      'DELETE FROM operator_approvals WHERE resolved_at IS NOT NULL AND resolved_at < ?',
    ),
    pruneHistory: db.prepare(
      `DELETE FROM operator_approvals WHERE resolved_at IS NOT NULL
         AND (resolved_at < :at OR (resolved_at = :at AND id <= :id))`,
    ),
    insertGrant: db.prepare(
      `INSERT INTO exec_standing_grants (${GRANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listGrants: db.prepare(
      `SELECT ${GRANT_COLUMNS} FROM exec_standing_grants ORDER BY created_at DESC, grant_id LIMIT ?`,
    ),
    getGrant: db.prepare(`SELECT ${GRANT_COLUMNS} FROM exec_standing_grants WHERE grant_id = ?`),
    findGrant: db.prepare(
      `SELECT ${GRANT_COLUMNS} FROM exec_standing_grants
       WHERE agent_id = :agentId AND cron_job_id = :jobId AND job_revision = :revision AND command = :command
         AND cwd IS :cwd AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
       ORDER BY created_at LIMIT 1`,
    ),
    useGrant: db.prepare(
      'UPDATE exec_standing_grants SET use_count = use_count + 1, last_used_at = ? WHERE grant_id = ?',
    ),
    revokeGrant: db.prepare(
      'UPDATE exec_standing_grants SET revoked_at = ?, revoked_by = ? WHERE grant_id = ? AND revoked_at IS NULL',
    ),
  } satisfies Record<string, StatementSync>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * ApprovalStore on the session store's SQLite connection; writes go through its group commit (`write`), each one a
 * transaction under SQLite's write lock, so a compare-and-swap of the document or the settling of a pending
 * approval cannot interleave with another writer's.
 */
export class SqliteApprovalStore implements ApprovalStore {
  readonly #write: Write;
  readonly #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync, write: Write) {
    this.#write = write;
    this.#sql = prepare(db);
  }

  async getDocument(): Promise<StoredDocument | undefined> {
    return this.#readDocument();
  }

  putDocument(text: string, expectedHash: string | null, now: number): Promise<StoredDocument | undefined> {
    return this.#write(() => {
      const current = this.#readDocument();
      if ((current?.hash ?? null) !== expectedHash) return undefined;
      return this.#storeDocument(text, now);
    });
  }

  updateDocument(
    update: (current: string | undefined) => string | undefined,
    now: number,
  ): Promise<StoredDocument | undefined> {
    return this.#write(() => {
      const current = this.#readDocument();
      const next = update(current?.text);
      if (next === undefined || next === current?.text) return current;
      return this.#storeDocument(next, now);
    });
  }

  insertApproval(approval: StoredApproval): Promise<void> {
    return this.#write(() => {
      this.#sql.insertApproval.run(
        approval.id,
        approval.kind,
        approval.status,
        ...nullable(approval.decision, approval.reason),
        JSON.stringify(approval.request),
        ...nullable(approval.agentId, approval.sessionKey),
        approval.createdAtMs,
        approval.expiresAtMs,
        approval.resolvedAtMs ?? null,
        ...nullable(approval.resolver?.kind, approval.resolver?.id, approval.resolvedBy),
        approval.owner,
      );
    });
  }

  settleApproval(id: string, settlement: ApprovalSettlement): Promise<StoredApproval | undefined> {
    return this.#write(() => this.#settle(id, settlement));
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    const row = this.#sql.getApproval.get(id) as ApprovalRow | undefined;
    return row && toApproval(row);
  }

  async listPendingApprovals(): Promise<StoredApproval[]> {
    return (this.#sql.listPending.all() as ApprovalRow[]).map(toApproval);
  }

  async approvalHistory(query: HistoryQuery): Promise<StoredApproval[]> {
    const rows = this.#sql.history.all({
      beforeAt: query.before?.resolvedAtMs ?? null,
      beforeId: query.before?.id ?? null,
      kind: query.kind ?? null,
      limit: query.limit,
    }) as ApprovalRow[];
    return rows.map(toApproval);
  }

  async settleOrphanedApprovals(owner: string, settlement: ApprovalSettlement): Promise<StoredApproval[]> {
    // Read first: at an ordinary start there is nothing to settle, and no commit (an fsync) is paid for it.
    if ((this.#sql.orphaned.all(owner) as ApprovalRow[]).length === 0) return [];
    return this.#write(() => {
      const settled: StoredApproval[] = [];
      for (const row of this.#sql.orphaned.all(owner) as ApprovalRow[]) {
        const approval = this.#settle(row.id, settlement);
        if (approval) settled.push(approval);
      }
      return settled;
    });
  }

  async pruneApprovalHistory(keep: number, before: number): Promise<number> {
    const due = this.#sql.oldestResolved.get() as { at: number | null };
    if ((due.at === null || due.at >= before) && !this.#sql.historyBoundary.get(keep)) return 0;
    return this.#write(() => {
      let deleted = Number(this.#sql.pruneExpiredHistory.run(before).changes);
      const boundary = this.#sql.historyBoundary.get(keep) as { resolved_at: number; id: string } | undefined;
      if (boundary)
        deleted += Number(this.#sql.pruneHistory.run({ at: boundary.resolved_at, id: boundary.id }).changes);
      return deleted;
    });
  }

  insertGrant(grant: StandingGrant): Promise<void> {
    return this.#write(() => {
      this.#sql.insertGrant.run(
        grant.grantId,
        grant.mintedByApprovalId,
        grant.agentId,
        grant.cronJobId,
        grant.cronJobName,
        grant.jobRevision,
        grant.command,
        grant.cwd,
        grant.createdAtMs,
        grant.expiresAtMs,
        grant.revokedAtMs,
        grant.revokedBy,
        grant.lastUsedAtMs,
        grant.useCount,
      );
    });
  }

  async listGrants(limit: number): Promise<StandingGrant[]> {
    return (this.#sql.listGrants.all(limit) as GrantRow[]).map(toGrant);
  }

  useGrant(query: GrantQuery, now: number): Promise<StandingGrant | undefined> {
    return this.#write(() => {
      const row = this.#sql.findGrant.get({
        agentId: query.agentId,
        jobId: query.cronJobId,
        revision: query.jobRevision,
        command: query.command,
        cwd: query.cwd,
        now,
      }) as GrantRow | undefined;
      if (!row) return undefined;
      this.#sql.useGrant.run(now, row.grant_id);
      return toGrant({ ...row, use_count: row.use_count + 1, last_used_at: now });
    });
  }

  revokeGrant(grantId: string, revokedBy: string, now: number): Promise<RevokeOutcome> {
    return this.#write(() => {
      if (Number(this.#sql.revokeGrant.run(now, revokedBy, grantId).changes) === 1) return 'revoked';
      return this.#sql.getGrant.get(grantId) ? 'already-revoked' : 'not-found';
    });
  }

  #readDocument(): StoredDocument | undefined {
    const row = this.#sql.getDocument.get() as
      | { document: string; hash: string; updated_at: number }
      | undefined;
    return row && { text: row.document, hash: row.hash, updatedAt: row.updated_at };
  }

  #storeDocument(text: string, now: number): StoredDocument {
    const hash = sha256(text);
    this.#sql.putDocument.run(text, hash, now);
    return { text, hash, updatedAt: now };
  }

  #settle(id: string, settlement: ApprovalSettlement): StoredApproval | undefined {
    const changed = this.#sql.settleApproval.run(
      settlement.status,
      ...nullable(settlement.decision, settlement.reason),
      settlement.resolvedAtMs,
      ...nullable(settlement.resolver.kind, settlement.resolver.id, settlement.resolvedBy),
      id,
    ).changes;
    if (Number(changed) !== 1) return undefined;
    return toApproval(this.#sql.getApproval.get(id) as ApprovalRow);
  }
}

function nullable(...values: (string | undefined)[]): SQLInputValue[] {
  return values.map((value) => value ?? null);
}

function toApproval(row: ApprovalRow): StoredApproval {
  const approval: StoredApproval = {
    id: row.id,
    kind: row.kind,
    status: row.status,
    request: JSON.parse(row.request) as Record<string, unknown>,
    createdAtMs: row.created_at,
    expiresAtMs: row.expires_at,
    owner: row.owner,
  };
  if (row.decision !== null) approval.decision = row.decision;
  if (row.reason !== null) approval.reason = row.reason;
  if (row.agent_id !== null) approval.agentId = row.agent_id;
  if (row.session_key !== null) approval.sessionKey = row.session_key;
  if (row.resolved_at !== null) approval.resolvedAtMs = row.resolved_at;
  if (row.resolver_kind !== null) {
    approval.resolver = { kind: row.resolver_kind };
    if (row.resolver_id !== null) approval.resolver.id = row.resolver_id;
  }
  if (row.resolved_by !== null) approval.resolvedBy = row.resolved_by;
  return approval;
}

function toGrant(row: GrantRow): StandingGrant {
  return {
    grantId: row.grant_id,
    mintedByApprovalId: row.minted_by_approval_id,
    agentId: row.agent_id,
    cronJobId: row.cron_job_id,
    cronJobName: row.cron_job_name,
    jobRevision: row.job_revision,
    command: row.command,
    cwd: row.cwd,
    createdAtMs: row.created_at,
    expiresAtMs: row.expires_at,
    revokedAtMs: row.revoked_at,
    revokedBy: row.revoked_by,
    lastUsedAtMs: row.last_used_at,
    useCount: row.use_count,
  };
}
