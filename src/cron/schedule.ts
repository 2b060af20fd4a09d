import type { Cron as CronClass } from 'croner';
import type { CronSchedule } from './types.ts';

/** Top-of-hour expressions are spread over this window unless the job sets `staggerMs` (OpenClaw's default). */
export const DEFAULT_TOP_OF_HOUR_STAGGER_MS = 5 * 60_000;

let croner: typeof CronClass | undefined;

/**
 * croner is loaded only once a `cron`-expression schedule exists: a gateway whose jobs are all `every`/`at` (the
 * heartbeat is one) never loads it.
 */
export async function loadCroner(): Promise<void> {
  croner ??= (await import('croner')).Cron;
}

export function cronerLoaded(): boolean {
  return croner !== undefined;
}

/** Thrown for a schedule that cannot run; `field` names the offending param (`schedule.expr`). */
export class ScheduleError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const OFFSET_AT_END = /(?:[zZ]|[+-]\d{2}:?\d{2})$/;

/** `at`: ISO 8601; a date-time without an offset is UTC (OpenClaw's rule), a date alone is its UTC midnight. */
export function parseAt(at: string): number {
  const text = at.trim();
  const withZone = /T\d{2}:\d{2}/.test(text) && !OFFSET_AT_END.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) {
    throw new ScheduleError('schedule.at', `schedule.at: "${at}" is not an ISO 8601 date-time`);
  }
  return ms;
}

function cronFor(expr: string, tz: string | undefined): CronClass {
  if (!croner) throw new Error('croner is not loaded: await loadCroner() before scheduling cron expressions');
  return new croner(expr, { paused: true, ...(tz ? { timezone: tz } : {}) });
}

/**
 * Zones already checked. Each check builds an ICU formatter, whose native memory outlives the JS object: ten
 * thousand `cron.add` calls grew the resident set by ~90 MiB (measured) before this cache. The set of valid
 * zones is finite, so this stays small; invalid names are never kept.
 */
const validZones = new Set<string>();

/** Checks a schedule can produce run times; the error names the field and says why. */
export async function validateSchedule(schedule: CronSchedule): Promise<void> {
  if (schedule.kind === 'at') {
    parseAt(schedule.at);
    return;
  }
  if (schedule.kind === 'every') return;
  await loadCroner();
  const fields = schedule.expr.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) {
    throw new ScheduleError(
      'schedule.expr',
      `schedule.expr: "${schedule.expr}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first)`,
    );
  }
  if (schedule.tz !== undefined && !validZones.has(schedule.tz)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: schedule.tz });
    } catch {
      throw new ScheduleError('schedule.tz', `schedule.tz: "${schedule.tz}" is not an IANA time zone`);
    }
    validZones.add(schedule.tz);
  }
  try {
    cronFor(schedule.expr, schedule.tz).nextRun();
  } catch (error) {
    throw new ScheduleError('schedule.expr', `schedule.expr: ${(error as Error).message}`);
  }
}

/** A stable per-job offset in [0, window): jobs sharing an expression do not all fire in the same millisecond. */
function staggerOffset(jobId: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  let hash = 2166136261;
  for (let i = 0; i < jobId.length; i++) hash = Math.imul(hash ^ jobId.charCodeAt(i), 16777619);
  return (hash >>> 0) % windowMs;
}

function staggerWindow(schedule: Extract<CronSchedule, { kind: 'cron' }>): number {
  if (schedule.staggerMs !== undefined) return schedule.staggerMs;
  const fields = schedule.expr.trim().split(/\s+/);
  const [minute, hour] = fields.length === 6 ? [fields[1], fields[2]] : [fields[0], fields[1]];
  const secondsZero = fields.length === 5 || fields[0] === '0';
  return secondsZero && minute === '0' && hour === '*' ? DEFAULT_TOP_OF_HOUR_STAGGER_MS : 0;
}

/**
 * The first run strictly after `afterMs`, or undefined when the schedule has none left (an `at` in the past
 * once it ran). `every` counts whole intervals from its anchor, so a gateway that was down resumes on the grid
 * instead of drifting; `cron` is evaluated in its time zone (the host's without one).
 */
export function nextRunAt(
  schedule: CronSchedule,
  jobId: string,
  afterMs: number,
  options: { ranOnce?: boolean } = {},
): number | undefined {
  switch (schedule.kind) {
    case 'at': {
      if (options.ranOnce) return undefined;
      return parseAt(schedule.at);
    }
    case 'every': {
      const anchor = schedule.anchorMs ?? afterMs;
      if (afterMs < anchor) return anchor;
      return anchor + (Math.floor((afterMs - anchor) / schedule.everyMs) + 1) * schedule.everyMs;
    }
    case 'cron': {
      const offset = staggerOffset(jobId, staggerWindow(schedule));
      // Occurrences are computed without the offset, then shifted: look from `afterMs - offset`.
      const next = cronFor(schedule.expr, schedule.tz).nextRun(new Date(afterMs - offset));
      return next ? next.getTime() + offset : undefined;
    }
  }
}
