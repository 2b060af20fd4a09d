import { randomUUID } from 'node:crypto';
import { APPROVAL_HISTORY_MAX_ROWS, APPROVAL_HISTORY_RETENTION_MS } from '../../config/limits.ts';
import type { Logger } from '../../logging/logger.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { Broadcast } from '../../server/broadcast.ts';
import type {
  ApprovalDecision,
  ApprovalKind,
  ApprovalResolver,
  ApprovalSettlement,
  ApprovalStore,
  HistoryQuery,
  StoredApproval,
} from '../../storage/approval-store.ts';
import { isExecApprovalClient } from './approval-client.ts';
import { allowedDecisionsOf, requestedEvent, resolvedEvent } from './approval-record.ts';
import type { Clock, Timer } from './clock.ts';

/** Settled approvals between two prunes of the history (one small DELETE each time). */
const PRUNE_EVERY_SETTLEMENTS = 500;

type Waiter = {
  approval: StoredApproval;
  timer: Timer | undefined;
  done: Promise<StoredApproval>;
  finish(approval: StoredApproval): void;
  /** Set while its settlement is being written, so a second settler waits for it instead of racing. */
  settling?: Promise<StoredApproval | undefined>;
  detach?: () => void;
};

export type OpenOptions = {
  id?: string;
  /** Absent: `exec`. Its events are `<kind>.approval.requested` / `.resolved`. */
  kind?: ApprovalKind;
  timeoutMs: number;
  /** The requesting connection, which is not sent its own prompt (OpenClaw's rule). */
  excludeConnId?: string;
  /** Aborting it (the turn ends) cancels the prompt: `cancelled`, reason `run-aborted`. */
  signal?: AbortSignal;
  /** Shown to nobody: with no route it is denied at once (`exec.approval.request`'s `suppressDelivery`). */
  suppressDelivery?: boolean;
};

export type Opened = {
  approval: StoredApproval;
  /** False when no approval client could be shown the prompt; it is then already denied (`no-route`). */
  delivered: boolean;
  /** Resolves with the settled approval: decided, expired, cancelled or denied for want of a route. */
  done: Promise<StoredApproval>;
};

export type ResolveOutcome =
  | { kind: 'resolved'; approval: StoredApproval }
  /** It was already settled; `same` when with this decision. */
  | { kind: 'settled'; approval: StoredApproval; same: boolean }
  | { kind: 'not-found' }
  | { kind: 'unavailable'; approval: StoredApproval };

export type ApprovalServiceDeps = {
  store: ApprovalStore;
  events: Broadcast;
  logger: Logger;
  clock: Clock;
  /** This gateway's boot id: pending rows of any other boot lost their waiter. */
  owner: string;
};

const SYSTEM: ApprovalResolver = { kind: 'system' };

/**
 * The life of an approval prompt: written pending, shown to approval clients, then settled exactly once (by an
 * operator, its timeout, its run ending, or shutdown), durably and before anyone is told. A waiter lives in this
 * process; the row lives in the store, so history and decisions survive a restart while a prompt cut off by one
 * is recorded `cancelled` (`gateway-restart`) on the next start: its turn is gone, so is its authority.
 */
export class ApprovalService {
  readonly #deps: ApprovalServiceDeps;
  readonly #waiters = new Map<string, Waiter>();
  #settledSincePrune = 0;
  #stopped = false;

  constructor(deps: ApprovalServiceDeps) {
    this.#deps = deps;
  }

  /** Settles what a previous boot left pending and trims the history. */
  async start(): Promise<void> {
    this.#stopped = false;
    const orphans = await this.#deps.store.settleOrphanedApprovals(this.#deps.owner, {
      status: 'cancelled',
      reason: 'gateway-restart',
      resolvedAtMs: this.#deps.clock.now(),
      resolver: { kind: 'system', id: 'gateway-restart' },
    });
    if (orphans.length > 0) {
      this.#deps.logger.info(
        `${orphans.length} exec approval(s) pending at the last shutdown were cancelled`,
      );
    }
    await this.#prune();
  }

  /** Cancels every prompt still open (their turns are ending too) and clears its timers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(
      [...this.#waiters.keys()].map((id) =>
        this.#settle(id, {
          status: 'cancelled',
          reason: 'gateway-restart',
          resolver: { kind: 'system', id: 'gateway-restart' },
        }).catch((error: unknown) => this.#logFailure(id, 'cancel', error)),
      ),
    );
  }

  /** Writes a pending approval, arms its timeout and shows it to the approval clients. */
  async open(request: Record<string, unknown>, options: OpenOptions): Promise<Opened> {
    if (this.#stopped)
      throw new GatewayError('UNAVAILABLE', 'approvals are unavailable: the gateway is stopping');
    const id = options.id ?? randomUUID();
    if (this.#waiters.has(id) || (await this.#deps.store.getApproval(id))) {
      throw new GatewayError('INVALID_REQUEST', 'approval id already pending');
    }
    const now = this.#deps.clock.now();
    const approval: StoredApproval = {
      id,
      kind: options.kind ?? 'exec',
      status: 'pending',
      request,
      ...(typeof request.agentId === 'string' ? { agentId: request.agentId } : {}),
      ...(typeof request.sessionKey === 'string' ? { sessionKey: request.sessionKey } : {}),
      createdAtMs: now,
      expiresAtMs: now + options.timeoutMs,
      owner: this.#deps.owner,
    };
    await this.#deps.store.insertApproval(approval);
    let finish!: (approval: StoredApproval) => void;
    const done = new Promise<StoredApproval>((resolve) => {
      finish = resolve;
    });
    const waiter: Waiter = { approval, timer: undefined, done, finish };
    this.#waiters.set(id, waiter);
    waiter.timer = this.#deps.clock.setTimeout(() => this.#expire(id), options.timeoutMs);
    const { signal } = options;
    if (signal) {
      const onAbort = () => this.#cancelForAbort(id);
      signal.addEventListener('abort', onAbort, { once: true });
      waiter.detach = () => signal.removeEventListener('abort', onAbort);
      if (signal.aborted) onAbort();
    }
    const delivered =
      !options.suppressDelivery &&
      this.#deps.events.broadcast(`${approval.kind}.approval.requested`, requestedEvent(approval), {
        filter: (client) => client.connId !== options.excludeConnId && isExecApprovalClient(client),
      }) > 0;
    if (!delivered) {
      await this.#settle(id, {
        status: 'denied',
        decision: 'deny',
        reason: 'no-route',
        resolver: { kind: 'system', id: 'no-approval-route' },
      });
    }
    return { approval, delivered, done };
  }

  /** An operator's decision. The first one wins; later ones are told what was decided. */
  async resolve(
    id: string,
    decision: ApprovalDecision,
    resolver: ApprovalResolver,
    resolvedBy: string | undefined,
  ): Promise<ResolveOutcome> {
    const waiter = this.#waiters.get(id);
    if (waiter && !waiter.settling) {
      if (!allowedDecisionsOf(waiter.approval).includes(decision)) {
        return { kind: 'unavailable', approval: waiter.approval };
      }
      const settled = await this.#settle(id, {
        status: decision === 'deny' ? 'denied' : 'allowed',
        decision,
        reason: 'user',
        resolver,
        ...(resolvedBy ? { resolvedBy } : {}),
      });
      if (settled) return { kind: 'resolved', approval: settled };
    } else if (waiter?.settling) {
      await waiter.settling;
    }
    const stored = await this.#deps.store.getApproval(id);
    if (!stored || stored.status === 'pending') return { kind: 'not-found' };
    return {
      kind: 'settled',
      approval: stored,
      same: stored.decision === decision && stored.reason === 'user',
    };
  }

  /** The pending prompt's outcome, once it has one; undefined when it is not pending here. */
  waitFor(id: string): Promise<StoredApproval> | undefined {
    return this.#waiters.get(id)?.done;
  }

  /** The prompts of this kind waiting on this gateway, oldest first. */
  pending(kind: ApprovalKind = 'exec'): StoredApproval[] {
    return [...this.#waiters.values()]
      .filter((waiter) => !waiter.settling && waiter.approval.kind === kind)
      .map((waiter) => waiter.approval)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  pendingApproval(id: string): StoredApproval | undefined {
    const waiter = this.#waiters.get(id);
    return waiter && !waiter.settling ? waiter.approval : undefined;
  }

  get(id: string): Promise<StoredApproval | undefined> {
    return this.#deps.store.getApproval(id);
  }

  history(query: HistoryQuery): Promise<StoredApproval[]> {
    return this.#deps.store.approvalHistory(query);
  }

  #expire(id: string): void {
    this.#settle(id, { status: 'expired', reason: 'timeout', resolver: SYSTEM }).catch((error: unknown) =>
      this.#logFailure(id, 'expire', error),
    );
  }

  #cancelForAbort(id: string): void {
    this.#settle(id, { status: 'cancelled', reason: 'run-aborted', resolver: SYSTEM }).catch(
      (error: unknown) => this.#logFailure(id, 'cancel', error),
    );
  }

  /**
   * Writes the settlement, then releases the waiter and announces it. The row is settled only if still pending
   * (the store's check), so two settlers racing across processes cannot both win. If the write fails the waiter
   * is still released, denied, so no turn waits on a prompt that can no longer be answered.
   */
  async #settle(
    id: string,
    settlement: Omit<ApprovalSettlement, 'resolvedAtMs'>,
  ): Promise<StoredApproval | undefined> {
    const waiter = this.#waiters.get(id);
    if (!waiter || waiter.settling) return undefined;
    this.#deps.clock.clearTimeout(waiter.timer);
    waiter.detach?.();
    const full: ApprovalSettlement = { ...settlement, resolvedAtMs: this.#deps.clock.now() };
    waiter.settling = this.#deps.store.settleApproval(id, full);
    let settled: StoredApproval | undefined;
    try {
      settled = await waiter.settling;
    } catch (error) {
      this.#waiters.delete(id);
      waiter.finish({
        ...waiter.approval,
        ...full,
        status: 'denied',
        decision: 'deny',
        reason: 'storage-corrupt',
      });
      throw error;
    }
    this.#waiters.delete(id);
    const outcome = settled ?? (await this.#deps.store.getApproval(id)) ?? { ...waiter.approval, ...full };
    waiter.finish(outcome);
    if (settled) {
      this.#deps.events.broadcast(`${settled.kind}.approval.resolved`, resolvedEvent(settled), {
        filter: isExecApprovalClient,
      });
      this.#countSettlement();
    }
    return settled;
  }

  #countSettlement(): void {
    this.#settledSincePrune += 1;
    if (this.#settledSincePrune < PRUNE_EVERY_SETTLEMENTS) return;
    this.#settledSincePrune = 0;
    this.#prune().catch((error: unknown) => this.#logFailure('history', 'prune', error));
  }

  async #prune(): Promise<void> {
    const before = this.#deps.clock.now() - APPROVAL_HISTORY_RETENTION_MS;
    const deleted = await this.#deps.store.pruneApprovalHistory(APPROVAL_HISTORY_MAX_ROWS, before);
    if (deleted > 0) this.#deps.logger.info(`pruned ${deleted} resolved exec approval(s) from the history`);
  }

  #logFailure(id: string, action: string, error: unknown): void {
    this.#deps.logger.error(`exec approval ${id}: ${action} failed`, { error: (error as Error).stack });
  }
}
