import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import type { CronStore, JobMutation } from '../storage/cron-store.ts';
import { MinHeap } from './min-heap.ts';
import { loadCroner, nextRunAt } from './schedule.ts';
import { endedTask, runningTask, summarize } from './task-ledger.ts';
import type {
  CronDeliveryTrace,
  CronJob,
  CronRunEntry,
  DeliveryStatus,
  RunStatus,
  TaskSummary,
} from './types.ts';

/** The longest wait armed at once: a wall-clock step (NTP, suspend) is noticed within it. */
const MAX_TIMER_MS = 60_000;
/** The scheduler lease: held by one gateway per database, renewed well before it lapses. */
export const LEASE_NAME = 'cron.scheduler';
export const LEASE_TTL_MS = 30_000;
export const LEASE_RENEW_MS = 10_000;

export type Timer = { unref?(): unknown };
export type CronClock = {
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
};

export const REAL_CLOCK: CronClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

export type RunResult = {
  status: RunStatus;
  error?: string;
  summary?: string;
  sessionKey?: string;
  deliveryStatus?: DeliveryStatus;
  deliveryError?: string;
  deliverySuppressionReason?: string;
  delivery?: CronDeliveryTrace;
  /** A required announcement failed: the run itself succeeded, its completion did not (OpenClaw's rule). */
  completionFailed?: boolean;
};

export type RunContext = { runId: string; signal: AbortSignal; manual: boolean };
export type JobRunner = (job: CronJob, run: RunContext) => Promise<RunResult>;

export type CronEvent = 'cron' | 'task';

export type CronServiceDeps = {
  store: CronStore;
  /** This gateway's boot id: the lease owner and the `running_owner` of what it runs. */
  owner: string;
  clock?: CronClock;
  runJob: JobRunner;
  emit(event: CronEvent, payload: Record<string, unknown>): void;
  logger: Logger;
  /** `cron.enabled`: false keeps every job stored and runs none. */
  enabled(): boolean;
  leaseTtlMs?: number;
  leaseRenewMs?: number;
};

export type ManualRunMode = 'force' | 'due' | 'if-enabled';
export type ManualRunResult =
  | { ok: true; enqueued: true; runId: string }
  | { ok: true; ran: false; reason: 'not-due' | 'disabled' | 'already-running' };

type ActiveRun = { controller: AbortController; done: Promise<void>; taskId: string; jobId: string };

/**
 * A revision of what a client can edit (everything but the runtime state): the Control UI sends it back as
 * `cron.update`'s `expectedConfigRevision`, so an edit made on a stale copy is refused instead of undoing another.
 */
export function configRevision(job: CronJob): string {
  const { state: _state, updatedAtMs: _updated, ...definition } = job;
  return `sha256:${createHash('sha256').update(JSON.stringify(definition)).digest('base64url')}`;
}

/** The wire job: state mirrored at the top level as OpenClaw's lists carry it. */
export function wireJob(job: CronJob): Record<string, unknown> {
  const { state } = job;
  return {
    ...job,
    configRevision: configRevision(job),
    ...(state.nextRunAtMs === undefined ? {} : { nextRunAtMs: state.nextRunAtMs }),
    ...(state.lastRunAtMs === undefined ? {} : { lastRunAtMs: state.lastRunAtMs }),
    ...(state.lastRunStatus === undefined ? {} : { lastRunStatus: state.lastRunStatus }),
    ...(state.lastError === undefined ? {} : { lastRunError: state.lastError }),
    ...(state.lastDeliveryStatus === undefined ? {} : { lastDeliveryStatus: state.lastDeliveryStatus }),
  };
}

/**
 * The scheduler. Jobs live in the store; in memory it keeps only a min-heap of (next run, id) and one timer for
 * the earliest, so ten thousand idle jobs cost a heap of small entries and no work between fires. Due jobs are
 * claimed in one store transaction (a compare-and-set on their state), which also advances their next run from
 * now: a job that was due while the gateway was down runs once, not once per missed tick. Only the holder of the
 * store's scheduler lease fires anything, so two gateways on one state dir never both run a job; the other
 * stands by and takes over when the lease lapses. A run's failure is recorded on the job and in its history and
 * never stops the scheduler.
 */
export class CronService {
  readonly #deps: CronServiceDeps;
  readonly #clock: CronClock;
  readonly #heap = new MinHeap();
  /** id → the next run the heap entry must match (lazy deletion). */
  readonly #index = new Map<string, number>();
  readonly #runs = new Map<string, ActiveRun>();
  #timer: Timer | undefined;
  #armedAt: number | undefined;
  #leaseTimer: Timer | undefined;
  #leader = false;
  #started = false;
  #firing = false;
  /** `count:maxUpdatedAt` of the job table at the last load: a change by another gateway shows as a new value. */
  #fingerprint = '';

  constructor(deps: CronServiceDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? REAL_CLOCK;
  }

  get leader(): boolean {
    return this.#leader;
  }

  /** The earliest armed run, for `cron.status`. */
  nextWakeAtMs(): number | undefined {
    this.#dropStale();
    return this.#heap.peek()?.at;
  }

  runningJobIds(): string[] {
    return [...this.#runs.values()].map((run) => run.jobId);
  }

  async start(): Promise<void> {
    this.#started = true;
    await this.#tryLead();
    this.#scheduleLease();
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#leaseTimer);
    this.#timer = undefined;
    this.#leaseTimer = undefined;
    const runs = [...this.#runs.values()];
    for (const run of runs) run.controller.abort(new Error('the gateway is stopping'));
    await Promise.all(runs.map((run) => run.done));
    if (this.#leader) {
      this.#leader = false;
      await this.#deps.store.releaseLease(LEASE_NAME, this.#deps.owner).catch(() => undefined);
    }
  }

  /** A job was stored or changed by this gateway: index its next run. */
  track(job: CronJob): void {
    const next = job.enabled ? job.state.nextRunAtMs : undefined;
    if (next === undefined) this.#index.delete(job.id);
    else {
      this.#index.set(job.id, next);
      this.#heap.push({ id: job.id, at: next });
    }
    this.#arm();
  }

  untrack(id: string): void {
    this.#index.delete(id);
    this.#arm();
  }

  /** The next run a job would have from `afterMs` on (none while disabled). */
  computeNext(job: CronJob, afterMs: number, ranOnce = false): number | undefined {
    if (!job.enabled) return undefined;
    return nextRunAt(job.schedule, job.id, afterMs, { ranOnce });
  }

  /** `cron.run`: claims the job (unless it is running) and starts it now; the run reports through events. */
  async runNow(id: string, mode: ManualRunMode): Promise<ManualRunResult | undefined> {
    const now = this.#clock.now();
    let outcome: ManualRunResult | undefined;
    const runId = `manual:${id}:${now}:${randomUUID().slice(0, 8)}`;
    const jobs = await this.#deps.store.mutateJobs(
      [id],
      (job) => {
        if (job.state.runningAtMs !== undefined) {
          outcome = { ok: true, ran: false, reason: 'already-running' };
          return undefined;
        }
        if (mode !== 'force' && !job.enabled) {
          outcome = { ok: true, ran: false, reason: 'disabled' };
          return undefined;
        }
        if (mode === 'due' && (job.state.nextRunAtMs === undefined || job.state.nextRunAtMs > now)) {
          outcome = { ok: true, ran: false, reason: 'not-due' };
          return undefined;
        }
        outcome = { ok: true, enqueued: true, runId };
        // A due run taken early moves the schedule on, as the timer would have.
        const nextRunAtMs = mode === 'due' ? this.computeNext(job, now, true) : job.state.nextRunAtMs;
        return { ...job, state: { ...job.state, runningAtMs: now, nextRunAtMs } };
      },
      { owner: this.#deps.owner, running: true },
    );
    const job = jobs.get(id);
    if (!job) return undefined;
    if (outcome && 'enqueued' in outcome) {
      this.track(job);
      this.#launch(job, runId, now, true);
    }
    return outcome;
  }

  /** Cancels a running job's run (`tasks.cancel`); false if it is not running here. */
  cancel(taskId: string, reason: string): boolean {
    for (const run of this.#runs.values()) {
      if (run.taskId !== taskId) continue;
      run.controller.abort(new Error(reason));
      return true;
    }
    return false;
  }

  /** Waits for every run in flight (tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.#runs.size > 0) await Promise.all([...this.#runs.values()].map((run) => run.done));
  }

  async #tryLead(): Promise<void> {
    const { store, owner } = this.#deps;
    const ttl = this.#deps.leaseTtlMs ?? LEASE_TTL_MS;
    const now = this.#clock.now();
    let held: boolean;
    try {
      held = await store.acquireLease(LEASE_NAME, owner, now, ttl);
    } catch (error) {
      this.#deps.logger.warn('cron: the scheduler lease could not be renewed', {
        error: (error as Error).message,
      });
      held = false;
    }
    if (!this.#started) return;
    if (held && !this.#leader) {
      this.#leader = true;
      await this.#recoverInterrupted(now);
      await this.#load();
      this.#deps.logger.info(`cron: scheduler armed (${this.#index.size} job(s) scheduled)`);
    } else if (!held && this.#leader) {
      // Another gateway took the lease (this one stalled past it): stop firing at once.
      this.#leader = false;
      this.#heap.clear();
      this.#index.clear();
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#deps.logger.warn('cron: scheduler lease lost to another gateway; standing by');
    } else if (held && (await this.#changedElsewhere())) {
      await this.#load();
    }
  }

  #scheduleLease(): void {
    if (!this.#started) return;
    this.#leaseTimer = this.#clock.setTimeout(() => {
      this.#tryLead()
        .catch((error: unknown) =>
          this.#deps.logger.error('cron: lease check failed', { error: (error as Error).message }),
        )
        .finally(() => this.#scheduleLease());
    }, this.#deps.leaseRenewMs ?? LEASE_RENEW_MS);
  }

  async #changedElsewhere(): Promise<boolean> {
    return (await this.#deps.store.fingerprint()) !== this.#fingerprint;
  }

  /** Jobs a previous process (or a gateway that lost the lease) left running: their runs are recorded as lost. */
  async #recoverInterrupted(now: number): Promise<void> {
    const { store, owner } = this.#deps;
    const error = 'the run was interrupted by a gateway restart';
    const released = await store.releaseRunning(owner, (job) => {
      const { runningAtMs: _, ...state } = job.state;
      return { ...job, state: { ...state, lastRunStatus: 'error', lastStatus: 'error', lastError: error } };
    });
    for (const job of released) {
      const entry: CronRunEntry = {
        ts: now,
        jobId: job.id,
        action: 'finished',
        status: 'error',
        completionStatus: 'failed',
        error,
        runId: `interrupted:${job.id}:${now}`,
        runAtMs: job.state.lastRunAtMs ?? now,
        durationMs: 0,
        deliveryStatus: 'unknown',
      };
      await store.finishRun(job.id, () => undefined, entry);
    }
    const tasks = await store.failInterruptedTasks(owner, now, error);
    for (const task of tasks) this.#deps.emit('task', { action: 'upserted', task });
    if (released.length > 0) this.#deps.logger.warn(`cron: ${released.length} interrupted run(s) recorded`);
  }

  async #load(): Promise<void> {
    const { store } = this.#deps;
    // The index needs only (id, next run): no job document is read or parsed to arm the scheduler.
    if (await store.hasCronExpressions()) await loadCroner();
    this.#heap.clear();
    this.#index.clear();
    for (const { id, nextRunAtMs } of await store.scheduledJobs()) {
      this.#index.set(id, nextRunAtMs);
      this.#heap.push({ id, at: nextRunAtMs });
    }
    this.#fingerprint = await store.fingerprint();
    this.#arm();
  }

  #dropStale(): void {
    for (let top = this.#heap.peek(); top && this.#index.get(top.id) !== top.at; top = this.#heap.peek()) {
      this.#heap.pop();
    }
  }

  #arm(): void {
    if (!this.#leader || !this.#started) return;
    this.#dropStale();
    const top = this.#heap.peek();
    if (!top) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = undefined;
      return;
    }
    if (this.#timer && this.#armedAt !== undefined && this.#armedAt <= top.at) return;
    this.#clock.clearTimeout(this.#timer);
    const delay = Math.min(Math.max(0, top.at - this.#clock.now()), MAX_TIMER_MS);
    this.#armedAt = this.#clock.now() + delay;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#armedAt = undefined;
      this.#fire().catch((error: unknown) =>
        this.#deps.logger.error('cron: firing due jobs failed', { error: (error as Error).stack }),
      );
    }, delay);
  }

  async #fire(): Promise<void> {
    if (this.#firing) return;
    this.#firing = true;
    try {
      const now = this.#clock.now();
      const due: string[] = [];
      this.#dropStale();
      for (let top = this.#heap.peek(); top && top.at <= now; top = this.#heap.peek()) {
        this.#heap.pop();
        if (this.#index.get(top.id) !== top.at) continue;
        this.#index.delete(top.id);
        due.push(top.id);
      }
      if (due.length > 0 && this.#deps.enabled()) await this.#claimAndRun(due, now);
      else if (due.length > 0) {
        // Paused by cron.enabled: keep the schedule, look again when the next slot comes.
        for (const id of due) {
          const job = await this.#deps.store.getJob(id);
          if (job) this.#reindex(job, now);
        }
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  /** A job whose turn was skipped (paused, or changed elsewhere) is indexed at its next slot after now. */
  #reindex(job: CronJob, now: number): void {
    const next = job.state.nextRunAtMs;
    if (!job.enabled || next === undefined) return;
    const at = next > now ? next : this.computeNext(job, now);
    if (at === undefined) return;
    this.#index.set(job.id, at);
    this.#heap.push({ id: job.id, at });
  }

  async #claimAndRun(due: string[], now: number): Promise<void> {
    const claimed = new Set<string>();
    const claim: JobMutation = (job) => {
      const next = job.state.nextRunAtMs;
      if (!job.enabled || next === undefined || next > now || job.state.runningAtMs !== undefined) {
        return undefined;
      }
      claimed.add(job.id);
      let nextRunAtMs: number | undefined;
      try {
        nextRunAtMs = this.computeNext(job, now, true);
      } catch (error) {
        this.#deps.logger.error(`cron: job ${job.id} has no next run`, { error: (error as Error).message });
      }
      return { ...job, state: { ...job.state, runningAtMs: now, nextRunAtMs } };
    };
    const jobs = await this.#deps.store.mutateJobs(due, claim, { owner: this.#deps.owner, running: true });
    for (const [id, job] of jobs) {
      if (!claimed.has(id)) {
        if (job.state.runningAtMs === undefined) this.#reindex(job, now);
        continue;
      }
      this.track(job);
      this.#launch(job, `cron:${id}:${now}`, now, false);
    }
  }

  #launch(job: CronJob, runId: string, startedAt: number, manual: boolean): void {
    const controller = new AbortController();
    const taskId = randomUUID();
    const run: ActiveRun = { controller, taskId, jobId: job.id, done: Promise.resolve() };
    this.#runs.set(runId, run);
    run.done = this.#execute(job, runId, taskId, startedAt, controller.signal, manual)
      .catch((error: unknown) =>
        this.#deps.logger.error(`cron: recording run ${runId} failed`, { error: (error as Error).stack }),
      )
      .finally(() => this.#runs.delete(runId));
  }

  async #execute(
    job: CronJob,
    runId: string,
    taskId: string,
    startedAt: number,
    signal: AbortSignal,
    manual: boolean,
  ): Promise<void> {
    const { store, emit } = this.#deps;
    emit('cron', { jobId: job.id, action: 'started', job: wireJob(job), runAtMs: startedAt });
    // The heartbeat is a main-session turn, not detached work: it has no task (OpenClaw's rule).
    const task: TaskSummary | undefined =
      job.payload.kind === 'heartbeat'
        ? undefined
        : {
            ...runningTask(
              {
                runtime: 'cron',
                title: job.displayName ?? job.name,
                ...(job.agentId ? { agentId: job.agentId } : {}),
                runId,
                sourceId: job.id,
                progressSummary: 'Running automation.',
                deliveryStatus: 'not_applicable',
              },
              startedAt,
            ),
            // tasks.cancel finds the run by this id.
            id: taskId,
            taskId,
          };
    if (task) {
      await store.putTask(task, this.#deps.owner);
      emit('task', { action: 'upserted', task });
    }
    let result: RunResult;
    try {
      result = await this.#deps.runJob(job, { runId, signal, manual });
    } catch (error) {
      result = { status: 'error', error: (error as Error).message };
    }
    if (signal.aborted && result.status === 'ok') {
      result = { status: 'error', error: (signal.reason as Error | undefined)?.message ?? 'cancelled' };
    }
    const endedAt = this.#clock.now();
    const durationMs = Math.max(0, endedAt - startedAt);
    const deliveryStatus = result.deliveryStatus ?? 'not-requested';
    let deleted = false;
    const finish: JobMutation = (current) => {
      const { runningAtMs: _, ...state } = current.state;
      const failed = result.status === 'error';
      const next: CronJob = {
        ...current,
        // A one-shot that is kept stays disabled for inspection; it has nothing left to run.
        enabled: current.schedule.kind === 'at' && !manual ? false : current.enabled,
        updatedAtMs: endedAt,
        state: {
          ...state,
          lastRunAtMs: startedAt,
          lastRunStatus: result.status,
          lastStatus: result.status,
          lastDurationMs: durationMs,
          lastDeliveryStatus: deliveryStatus,
          consecutiveErrors: failed ? (state.consecutiveErrors ?? 0) + 1 : 0,
          consecutiveSkipped: result.status === 'skipped' ? (state.consecutiveSkipped ?? 0) + 1 : 0,
        },
      };
      if (result.error === undefined) delete next.state.lastError;
      else next.state.lastError = result.error;
      if (!next.enabled) delete next.state.nextRunAtMs;
      if (current.deleteAfterRun && result.status === 'ok') {
        deleted = true;
        return 'delete';
      }
      return next;
    };
    const entry: CronRunEntry = {
      ts: endedAt,
      jobId: job.id,
      action: 'finished',
      status: result.status,
      completionStatus: result.status === 'ok' && !result.completionFailed ? 'succeeded' : 'failed',
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.summary === undefined ? {} : { summary: summarize(result.summary) }),
      runId,
      ...(result.sessionKey ? { sessionKey: result.sessionKey } : {}),
      runAtMs: startedAt,
      durationMs,
      deliveryStatus,
      ...(result.delivery ? { delivered: result.delivery.delivered, delivery: result.delivery } : {}),
      ...(result.deliveryError === undefined ? {} : { deliveryError: result.deliveryError }),
      ...(result.deliverySuppressionReason === undefined
        ? {}
        : { deliverySuppressionReason: result.deliverySuppressionReason }),
    };
    const finalTask: TaskSummary | undefined =
      task &&
      endedTask(task, {
        status: signal.aborted ? 'cancelled' : result.status === 'error' ? 'failed' : 'completed',
        endedAt,
        ...(result.sessionKey ? { sessionKey: result.sessionKey } : {}),
        ...(result.summary === undefined ? {} : { summary: result.summary }),
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(result.delivery ? { deliveryStatus: result.delivery.delivered ? 'delivered' : 'failed' } : {}),
      });
    const after = await store.finishRun(job.id, finish, entry, finalTask);
    if (after) entry.nextRunAtMs = after.state.nextRunAtMs;
    if (after) this.track(after);
    else this.untrack(job.id);
    emit('cron', {
      ...entry,
      ...(after ? { job: wireJob(after) } : {}),
      ...(after?.state.nextRunAtMs === undefined ? {} : { nextRunAtMs: after.state.nextRunAtMs }),
    });
    if (finalTask) emit('task', { action: 'upserted', task: finalTask });
    if (deleted) emit('cron', { jobId: job.id, action: 'removed', job: wireJob(job) });
    if (result.status === 'error') {
      this.#deps.logger.warn(`cron: job "${job.name}" (${job.id}) failed: ${result.error ?? 'error'}`);
    }
  }
}
