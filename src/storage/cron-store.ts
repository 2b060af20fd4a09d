import type { CronJob, CronRunEntry, RunStatus, TaskStatus, TaskSummary } from '../cron/types.ts';

/** What the scheduler keeps in memory per job: enough to arm one timer, nothing of the job itself. */
export type ScheduledJob = { id: string; nextRunAtMs: number };

/** A job mutation: the new job, `undefined` to leave it as it is, or `'delete'`. */
export type JobMutation = (job: CronJob) => CronJob | undefined | 'delete';

export type RunQuery = {
  jobId?: string;
  statuses?: RunStatus[];
  query?: string;
  limit: number;
  offset: number;
  sortDir: 'asc' | 'desc';
};

export type TaskQuery = {
  statuses?: TaskStatus[];
  agentId?: string;
  sessionKey?: string;
  limit: number;
  /** Tasks created before this one (its `createdAt`/id pair), newest first. */
  cursor?: { createdAt: number; id: string };
};

/**
 * Automations, their run history and the task ledger: the store interface the cron service uses. SQLite
 * (sqlite-cron-store.ts) shares the session store's connection and group commit; a networked store implements
 * the same promises. Each method is one transaction: a read-modify-write of a job cannot interleave with another
 * gateway's on the same database.
 */
export interface CronStore {
  listJobs(): Promise<CronJob[]>;
  getJob(id: string): Promise<CronJob | undefined>;
  getJobByDeclaration(declarationKey: string): Promise<CronJob | undefined>;
  /** Jobs whose `declarationKey` starts with `prefix` (the system-owned `heartbeat:` jobs). */
  jobsByDeclarationPrefix(prefix: string): Promise<CronJob[]>;
  /** The enabled jobs with a next run, for the scheduler's index. */
  scheduledJobs(): Promise<ScheduledJob[]>;
  /** Whether any job has a `cron`-expression schedule (the scheduler then needs croner). */
  hasCronExpressions(): Promise<boolean>;
  countJobs(): Promise<number>;
  /**
   * A value that changes whenever another gateway on the same database adds, removes or reschedules a job: how a
   * scheduler notices what it did not do itself, without reading the jobs. It may change for this gateway's own
   * changes too (a needless reload, never a missed one).
   */
  fingerprint(): Promise<string>;
  insertJob(job: CronJob): Promise<void>;
  /** Applies `mutate` to each job that exists, in one transaction; returns the jobs as they are now (absent if deleted). */
  mutateJobs(ids: readonly string[], mutate: JobMutation, owner?: RunOwner): Promise<Map<string, CronJob>>;
  deleteJob(id: string): Promise<CronJob | undefined>;
  /** Records a finished run: the job's new state (or its removal) and the history entry commit together. */
  finishRun(
    id: string,
    mutate: JobMutation,
    entry: CronRunEntry,
    task?: TaskSummary,
  ): Promise<CronJob | undefined>;
  /** Jobs a gateway that is gone was running: their `runningAtMs` is cleared and the job returned. */
  releaseRunning(exceptOwner: string, mutate: JobMutation): Promise<CronJob[]>;
  listRuns(query: RunQuery): Promise<{ entries: CronRunEntry[]; total: number }>;

  /** `owner`: the gateway (boot id) running it, so a restart can tell its own live tasks from a dead one's. */
  putTask(task: TaskSummary, owner?: string): Promise<void>;
  getTask(id: string): Promise<TaskSummary | undefined>;
  listTasks(query: TaskQuery): Promise<TaskSummary[]>;
  /** Tasks a gateway that is gone left `running`/`queued` become `failed` with `error`. */
  failInterruptedTasks(exceptOwner: string, now: number, error: string): Promise<TaskSummary[]>;

  /**
   * Takes or renews the named lease for `owner` until `now + ttlMs`; false while another owner holds it, unless
   * `holderGone` says that owner no longer exists (its lease is then taken at once, in the same transaction).
   */
  acquireLease(
    name: string,
    owner: string,
    now: number,
    ttlMs: number,
    holderGone?: (holder: string) => boolean,
  ): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;

  getValue<T>(key: string): Promise<T | undefined>;
  putValue(key: string, value: unknown, now: number): Promise<void>;
}

/** Marks the mutated jobs as run by `owner` (`running: true`) or idle. */
export type RunOwner = { owner: string; running: boolean };
