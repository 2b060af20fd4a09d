import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { PruneOptions, PruneReport, RetentionPolicy } from './store.ts';

type Write = <T>(work: () => T) => Promise<T>;
type Cutoff = { ts: number; seq: number };

const ACTIVE_TASKS = "('running', 'queued')";
/** Jobs whose history length one batch checks: each check walks up to `cronRunsPerJob` index entries. */
const CAP_JOBS_PER_BATCH = 20;

function prepare(db: DatabaseSync) {
  return {
    // Age: through cron_runs_by_ts, the oldest first.
    pruneRuns: db.prepare(
      'DELETE FROM cron_runs WHERE seq IN (SELECT seq FROM cron_runs WHERE ts < ? ORDER BY ts LIMIT ?)',
    ),
    countRuns: db.prepare('SELECT count(*) AS n FROM cron_runs WHERE ts < ?'),
    // The per-job cap: job ids walked in order through cron_runs_by_job, one index seek each.
    nextJob: db.prepare('SELECT job_id FROM cron_runs WHERE job_id > ? ORDER BY job_id LIMIT 1'),
    // The newest entry past the cap: it and everything after it in the index's order (older) go. The order is
    // the index's own (ts DESC, then seq ascending), so the OFFSET walks the index and sorts nothing.
    cutoff: db.prepare(
      'SELECT ts, seq FROM cron_runs WHERE job_id = ? ORDER BY ts DESC, seq ASC LIMIT 1 OFFSET ?',
    ),
    entry: db.prepare('SELECT entry FROM cron_runs WHERE seq = ?'),
    pruneJobRuns: db.prepare(
      `DELETE FROM cron_runs WHERE seq IN (
         SELECT seq FROM cron_runs WHERE job_id = ? AND (ts < ? OR (ts = ? AND seq >= ?)) LIMIT ?)`,
    ),
    // A cron run's task opens when the run starts (created_at = the entry's runAtMs) and names its job.
    pruneJobTasks: db.prepare(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE source_id = ? AND created_at <= ? AND status NOT IN ${ACTIVE_TASKS}
           AND task ->> '$.runtime' = 'cron' LIMIT ?)`,
    ),
    countOverCap: db.prepare(
      `SELECT coalesce(sum(n - ?), 0) AS n FROM (
         SELECT count(*) AS n FROM cron_runs WHERE ts >= ? GROUP BY job_id HAVING count(*) > ?)`,
    ),
    // Tasks by age, through tasks_by_created: updated_at >= created_at, so the range holds every match.
    pruneTasks: db.prepare(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE created_at < ? AND updated_at < ? AND status NOT IN ${ACTIVE_TASKS} LIMIT ?)`,
    ),
    countTasks: db.prepare(
      `SELECT count(*) AS n FROM tasks WHERE created_at < ? AND updated_at < ? AND status NOT IN ${ACTIVE_TASKS}`,
    ),
  } satisfies Record<string, StatementSync>;
}

const count = (statement: StatementSync, ...args: (number | string)[]) =>
  Number((statement.get(...args) as { n: number | bigint }).n);

/**
 * Retention of the automation tables (migration 3's cron_runs and tasks), run by SqliteStore.prune in the same
 * pass as the session tables: cron run history older than `cronRuns`, each job's history beyond its newest
 * `cronRunsPerJob` entries (with those runs' tasks), and finished tasks older than `tasks`. Every batch is one
 * bounded write, so the gateway runs between them.
 */
export class SqliteCronPrune {
  readonly #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  /** Warn mode: what an enforcing pass would delete (entries past both limits counted once). */
  count(policy: RetentionPolicy, now: number, report: PruneReport): void {
    const { cronRuns, cronRunsPerJob, tasks } = policy;
    const ageCutoff = cronRuns === undefined || cronRuns === false ? 0 : now - cronRuns;
    if (ageCutoff > 0) report.cronRuns += count(this.#sql.countRuns, ageCutoff);
    if (cronRunsPerJob !== undefined && cronRunsPerJob !== false) {
      report.cronRuns += count(this.#sql.countOverCap, cronRunsPerJob, ageCutoff, cronRunsPerJob);
    }
    if (tasks !== undefined && tasks !== false)
      report.tasks += count(this.#sql.countTasks, now - tasks, now - tasks);
  }

  /** Deletes in batches through `write` (one commit each), counting into `report`; stops between batches on abort. */
  async prune(
    policy: RetentionPolicy,
    now: number,
    options: PruneOptions,
    report: PruneReport,
    write: Write,
    batchRows: number,
  ): Promise<void> {
    const { cronRuns, cronRunsPerJob, tasks } = policy;
    const aborted = () => options.signal?.aborted === true;
    if (cronRuns !== undefined && cronRuns !== false) {
      for (let more = true; more && !aborted(); ) {
        const deleted = await write(() => Number(this.#sql.pruneRuns.run(now - cronRuns, batchRows).changes));
        report.batches += 1;
        report.cronRuns += deleted;
        more = deleted === batchRows;
      }
    }
    if (cronRunsPerJob !== undefined && cronRunsPerJob !== false) {
      for (let cursor: string | undefined = ''; cursor !== undefined && !aborted(); ) {
        const from: string = cursor;
        const step = await write(() => this.#capBatch(from, cronRunsPerJob, batchRows));
        report.batches += 1;
        report.cronRuns += step.runs;
        report.tasks += step.tasks;
        cursor = step.cursor;
      }
    }
    if (tasks !== undefined && tasks !== false) {
      for (let more = true; more && !aborted(); ) {
        const before = now - tasks;
        const deleted = await write(() =>
          Number(this.#sql.pruneTasks.run(before, before, batchRows).changes),
        );
        report.batches += 1;
        report.tasks += deleted;
        more = deleted === batchRows;
      }
    }
  }

  /**
   * Up to CAP_JOBS_PER_BATCH jobs after `cursor` (job ids in order), and at most `batchRows` entries and tasks:
   * each job's history past its newest `cap` entries goes. Returns where the next batch starts (undefined when
   * every job was seen); a job with more left to delete is visited again.
   */
  #capBatch(cursor: string, cap: number, batchRows: number) {
    let runs = 0;
    let tasks = 0;
    let at = cursor;
    for (let visited = 0; visited < CAP_JOBS_PER_BATCH; visited++) {
      const next = this.#sql.nextJob.get(at) as { job_id: string } | undefined;
      if (!next) return { runs, tasks, cursor: undefined };
      const jobId = next.job_id;
      const cutoff = this.#sql.cutoff.get(jobId, cap) as Cutoff | undefined;
      if (cutoff) {
        // Read before the delete takes it: the cut-off run's start bounds its job's tasks.
        const { entry } = this.#sql.entry.get(cutoff.seq) as { entry: string };
        const taskCutoff = (JSON.parse(entry) as { runAtMs?: number }).runAtMs ?? cutoff.ts;
        const budget = batchRows - Math.max(runs, tasks);
        const { ts, seq } = cutoff;
        runs += Number(this.#sql.pruneJobRuns.run(jobId, ts, ts, seq, budget).changes);
        tasks += Number(this.#sql.pruneJobTasks.run(jobId, taskCutoff, budget).changes);
        // This job may have more past the cap than one batch takes: the next batch starts with it again.
        if (runs >= batchRows || tasks >= batchRows) return { runs, tasks, cursor: at };
      }
      at = jobId;
    }
    return { runs, tasks, cursor: at };
  }
}
