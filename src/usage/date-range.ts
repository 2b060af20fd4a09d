import { GatewayError } from '../protocol/gateway-error.ts';

/**
 * The calendar OpenClaw's usage methods report in: UTC by default, the gateway's own zone (`mode: "gateway"`),
 * or `mode: "specific"` with an IANA `timeZone` (which wins) or a fixed `utcOffset` such as `UTC+5:30`.
 */
export type UsageRangeParams = {
  startDate?: string;
  endDate?: string;
  mode?: 'utc' | 'gateway' | 'specific';
  range?: '7d' | '30d' | '90d' | '1y' | 'all';
  days?: number | string;
  utcOffset?: string;
  timeZone?: string;
};

export type UsageRange = {
  startMs: number;
  endMs: number;
  /** `YYYY-MM-DD` of an instant in the requested calendar. */
  dayOf(ms: number): string;
  /** The range's first and last calendar day. */
  startDate: string;
  endDate: string;
};

const DAY_MS = 86_400_000;
const MAX_DAYS = 3_660;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

type DayParts = { year: number; month: number; day: number };

/** Minutes east of UTC at `ms` in a calendar. */
type OffsetAt = (ms: number) => number;

function parseUtcOffset(raw: string): number | undefined {
  const match = /^UTC([+-])(\d{1,2})(?::([0-5]\d))?$/.exec(raw.trim());
  if (!match) return undefined;
  const minutes = (match[1] === '+' ? 1 : -1) * (Number(match[2]) * 60 + Number(match[3] ?? '0'));
  return minutes < -720 || minutes > 840 ? undefined : minutes;
}

function zoneOffset(timeZone: string): OffsetAt | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  } catch {
    return undefined;
  }
  return (ms) => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(ms)) parts[part.type] = Number(part.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
    return Math.round((wall - Math.floor(ms / 60_000) * 60_000) / 60_000);
  };
}

function calendar(params: UsageRangeParams): OffsetAt {
  if (params.mode === 'gateway') return (ms) => -new Date(ms).getTimezoneOffset();
  if (params.mode === 'specific') {
    const fixed = params.utcOffset === undefined ? undefined : parseUtcOffset(params.utcOffset);
    if (params.timeZone !== undefined) {
      const zone = params.timeZone.trim() ? zoneOffset(params.timeZone.trim()) : undefined;
      if (zone) return zone;
      if (fixed !== undefined) return () => fixed;
      throw new GatewayError('INVALID_REQUEST', 'invalid timeZone: expected a valid IANA time zone');
    }
    if (fixed !== undefined) return () => fixed;
    if (params.utcOffset !== undefined && params.utcOffset.trim() !== '') {
      throw new GatewayError('INVALID_REQUEST', 'invalid utcOffset: expected UTC-12:00 through UTC+14:00');
    }
  }
  return () => 0;
}

function partsOf(ms: number, offsetAt: OffsetAt): DayParts {
  const shifted = new Date(ms + offsetAt(ms) * 60_000);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth(), day: shifted.getUTCDate() };
}

const format = ({ year, month, day }: DayParts) =>
  `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The first instant of a calendar day; the offset is re-read at the candidate, which settles DST edges. */
function dayStart(parts: DayParts, offsetAt: OffsetAt): number {
  const midnightUtc = Date.UTC(parts.year, parts.month, parts.day);
  let start = midnightUtc - offsetAt(midnightUtc) * 60_000;
  start = midnightUtc - offsetAt(start) * 60_000;
  return start;
}

const addDays = (parts: DayParts, days: number): DayParts => {
  const shifted = new Date(Date.UTC(parts.year, parts.month, parts.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth(), day: shifted.getUTCDate() };
};

function parseDate(field: 'startDate' | 'endDate', raw: string): DayParts {
  const match = DATE.exec(raw);
  const parts = match && { year: Number(match[1]), month: Number(match[2]) - 1, day: Number(match[3]) };
  if (!parts || format(addDays(parts, 0)) !== raw) {
    throw new GatewayError('INVALID_REQUEST', `invalid ${field}: expected a valid YYYY-MM-DD calendar date`);
  }
  return parts;
}

function rangeDays(params: UsageRangeParams): number | 'all' {
  const named = { '7d': 7, '30d': 30, '90d': 90, '1y': 365, all: 'all' as const }[params.range ?? '30d'];
  if (params.range === undefined && params.days !== undefined) {
    const days = Number(params.days);
    if (Number.isFinite(days)) return Math.min(Math.max(1, Math.floor(days)), MAX_DAYS);
  }
  return named ?? 30;
}

/** Resolves a usage method's date params (OpenClaw's rules: the last 30 days by default, end of today last). */
export function resolveUsageRange(params: UsageRangeParams, now: number): UsageRange {
  const offsetAt = calendar(params);
  const dayOf = (ms: number) => format(partsOf(ms, offsetAt));
  const endOf = (parts: DayParts) => dayStart(addDays(parts, 1), offsetAt) - 1;
  const hasStart = params.startDate !== undefined && params.startDate !== '';
  const hasEnd = params.endDate !== undefined && params.endDate !== '';
  if (hasStart !== hasEnd) {
    throw new GatewayError('INVALID_REQUEST', 'startDate and endDate must be provided together');
  }
  if (hasStart && hasEnd) {
    const start = parseDate('startDate', params.startDate as string);
    const end = parseDate('endDate', params.endDate as string);
    const startMs = dayStart(start, offsetAt);
    if (startMs > dayStart(end, offsetAt)) {
      throw new GatewayError('INVALID_REQUEST', 'startDate must not be after endDate');
    }
    return { startMs, endMs: endOf(end), dayOf, startDate: format(start), endDate: format(end) };
  }
  const today = partsOf(now, offsetAt);
  const days = rangeDays(params);
  const endMs = endOf(today);
  if (days === 'all') return { startMs: 0, endMs, dayOf, startDate: dayOf(0), endDate: format(today) };
  const first = addDays(today, -(days - 1));
  return {
    startMs: dayStart(first, offsetAt),
    endMs,
    dayOf,
    startDate: format(first),
    endDate: format(today),
  };
}

/** Every calendar day of a range, in order (for `usage.cost`'s one row per day). */
export function daysOf(range: UsageRange): string[] {
  const days: string[] = [];
  for (let ms = range.startMs; ms <= range.endMs && days.length < MAX_DAYS; ms += DAY_MS) {
    const day = range.dayOf(ms);
    if (days.at(-1) !== day) days.push(day);
  }
  const last = range.dayOf(range.endMs);
  if (days.at(-1) !== last) days.push(last);
  return days;
}
