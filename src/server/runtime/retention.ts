import { anyChanged } from '../../config/diff.ts';
import { MAINTENANCE_FIRST_PASS_DELAY_MS } from '../../config/limits.ts';
import type { GatewayConfig, MaintenanceMode } from '../../config/types.ts';
import { pruneLogArchives } from '../../logging/log-retention.ts';
import type { Logger } from '../../logging/logger.ts';
import type { GatewayStore, PruneReport, RetentionPolicy } from '../../storage/store.ts';
import type { ServiceDefinition } from '../registry.ts';

/** Every maintenance setting: a change stops the pass under way, so nothing is pruned by the old ones after it. */
const MAINTENANCE_KEYS = ['gateway.maintenance', 'session.maintenance'];

export type MaintenanceReport = PruneReport & {
  mode: MaintenanceMode;
  /** Rotated log archives removed (or, in warn mode, that would be). */
  logArchives: number;
  /** False when the pass was stopped (shutdown, maintenance turned off) before it ended. */
  complete: boolean;
  durationMs: number;
};

export type PassOutcome = { report: MaintenanceReport } | { error: Error };

export type RetentionDeps = {
  store: Pick<GatewayStore, 'prune' | 'checkpoint'>;
  logger: Logger;
  /** The live config, read at each pass and each re-arm. */
  config: () => GatewayConfig;
  /** The live log file, whose rotated archives are pruned; none when logging only to the console. */
  logFile: string | undefined;
  now: () => number;
  /** Told of each pass once it has ended and the next is armed (tests await passes through it). */
  onPass?: (outcome: PassOutcome) => void;
};

/**
 * The retention pass: prunes the store by the configured policy, removes old log archives, then checkpoints the
 * database. One `unref`ed timer, armed again only when a pass has ended, so passes never overlap; a failing pass
 * is logged and the next one is still armed.
 */
export class RetentionTask {
  readonly #deps: RetentionDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stopped = false;

  constructor(deps: RetentionDeps) {
    this.#deps = deps;
  }

  /** The first pass comes shortly after start-up, off its path: start-up work and reconnecting clients go first. */
  start(): void {
    this.#arm(Math.min(MAINTENANCE_FIRST_PASS_DELAY_MS, this.#settings().intervalMs));
  }

  /**
   * The settings changed: a pass under way stops after its current batch (a switch to warn mode, or to a longer
   * retention, deletes nothing more by the old settings), and the next pass is one (new) interval away.
   */
  reschedule(): void {
    this.#abort?.abort();
    this.#arm(this.#settings().intervalMs);
  }

  /** Idempotent. Clears the timer, stops a running pass after its current batch and waits for it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    await this.#running;
  }

  #settings(): GatewayConfig['gateway']['maintenance'] {
    return this.#deps.config().gateway.maintenance;
  }

  #arm(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A running pass arms the next one itself when it ends, with the settings in force then.
    if (this.#stopped || this.#running || !this.#settings().enabled) return;
    this.#timer = setTimeout(() => this.#run(), delayMs);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    const abort = new AbortController();
    this.#abort = abort;
    // The pass begins a microtask later, so #running is set before any of its code (and a config change that
    // code might trigger) runs: nothing can arm a second pass while this one is under way.
    this.#running = Promise.resolve()
      .then(() => this.#pass(abort.signal))
      .then(
        (report) => this.#ended({ report }),
        (error: unknown) => this.#ended({ error: error instanceof Error ? error : new Error(String(error)) }),
      );
  }

  #ended(outcome: PassOutcome): void {
    this.#running = undefined;
    this.#abort = undefined;
    if ('error' in outcome) {
      this.#deps.logger.error('maintenance pass failed; the next one is scheduled', {
        error: outcome.error.message,
      });
    } else {
      this.#log(outcome.report);
    }
    this.#arm(this.#settings().intervalMs);
    this.#deps.onPass?.(outcome);
  }

  async #pass(signal: AbortSignal): Promise<MaintenanceReport> {
    const started = performance.now();
    const config = this.#deps.config();
    const { mode, resetArchiveRetention } = config.session.maintenance;
    const { runRetention, logRetention, cronRunRetention, cronRunsPerJob, taskRetention } =
      config.gateway.maintenance;
    const dryRun = mode === 'warn';
    const now = this.#deps.now();
    const policy: RetentionPolicy = {
      runs: runRetention,
      resetArchives: resetArchiveRetention,
      cronRuns: cronRunRetention,
      cronRunsPerJob,
      tasks: taskRetention,
    };
    const pruned = await this.#deps.store.prune(policy, now, { dryRun, signal });
    const { logFile } = this.#deps;
    let logArchives = 0;
    if (!signal.aborted && logFile && logRetention !== false) {
      logArchives = pruneLogArchives(logFile, now - logRetention, dryRun);
    }
    // Deletes nothing, so warn mode checkpoints too: the -wal file stays small either way.
    if (!signal.aborted) await this.#deps.store.checkpoint();
    return {
      ...pruned,
      mode,
      logArchives,
      complete: !signal.aborted,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /** One line per pass: info when it pruned something, warn when warn mode found something, else debug. */
  #log(report: MaintenanceReport): void {
    const { idempotency, runs, resetArchives, cronRuns, tasks, logArchives, batches, durationMs, complete } =
      report;
    const fields = {
      idempotency,
      runs,
      resetArchives,
      cronRuns,
      tasks,
      logArchives,
      batches,
      durationMs,
      complete,
    };
    const found = describe(report);
    const { logger } = this.#deps;
    if (found === '') logger.debug('maintenance: nothing to prune', fields);
    else if (report.mode === 'warn') logger.warn(`maintenance (warn mode) would prune ${found}`, fields);
    else logger.info(`maintenance pruned ${found}`, fields);
  }
}

/** `3 idempotency records, 1 log archive`: the kinds with something to prune. */
function describe(report: MaintenanceReport): string {
  const kinds: [number, string, string][] = [
    [report.idempotency, 'idempotency record', 'idempotency records'],
    [report.runs, 'run record', 'run records'],
    [report.resetArchives, 'message of reset transcripts', 'messages of reset transcripts'],
    [report.cronRuns, 'automation run-history entry', 'automation run-history entries'],
    [report.tasks, 'task', 'tasks'],
    [report.logArchives, 'log archive', 'log archives'],
  ];
  return kinds
    .filter(([count]) => count > 0)
    .map(([count, one, many]) => `${count} ${count === 1 ? one : many}`)
    .join(', ');
}

/**
 * The retention service, started after the gateway is attached. A factory: each gateway gets its own timer, and
 * `onPass` is a seam for tests.
 */
export function retentionService(
  options: { onPass?: (outcome: PassOutcome) => void } = {},
): ServiceDefinition {
  let task: RetentionTask | undefined;
  let unsubscribe: (() => void) | undefined;
  return {
    name: 'retention',
    phase: 'post-attach',
    start(ctx) {
      const current = new RetentionTask({
        store: ctx.store,
        logger: ctx.logger,
        config: () => ctx.configState.config,
        logFile: ctx.logger.file,
        now: ctx.now,
        onPass: options.onPass,
      });
      task = current;
      unsubscribe = ctx.config.subscribe((change) => {
        if (anyChanged(change.before, change.after, MAINTENANCE_KEYS)) current.reschedule();
      });
      current.start();
    },
    async stop() {
      unsubscribe?.();
      await task?.stop();
    },
  };
}
