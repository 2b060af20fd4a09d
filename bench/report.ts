import type { MachineInfo } from './machine.ts';

export type Stats = { median: number; p90: number; min: number; max: number; n: number };

export function stats(values: number[]): Stats {
  if (values.length === 0) return { median: NaN, p90: NaN, min: NaN, max: NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  // Nearest-rank p90: with 10 runs, the 9th fastest.
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1];
  return { median, p90, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export type Unit =
  | 'ms'
  | 'MiB'
  | 'KiB'
  | 's'
  | 'turns/s'
  | 'req/s'
  | 'frames/s'
  | 'conn/s'
  | '×'
  | '%'
  | 'count';

/** One row: what was measured, and (optionally) the floor it is compared with. */
export type Row = { label: string; unit: Unit; ours: Stats; floorLabel?: string; floor?: Stats };

/** One row of a single-run table: a figure (or a verdict as text) next to its floor's. */
export type ValueRow = { label: string; unit: Unit; ours: number | string; floor?: number | string };

/** Repeated measurements (median, p90, min) or one run's figures against a floor run (`floorLabel`). */
export type Table =
  | { title: string; description: string; rows: Row[] }
  | { title: string; description: string; floorLabel?: string; values: ValueRow[] };

/**
 * Met when `actual ≤ limit`, or `actual ≥ limit` with `atLeast`. `notRun`: the measurement could not be made here
 * (the reason is in the notes); like a miss, it fails the bench.
 */
export type Target = {
  label: string;
  limit: number;
  unit: Unit;
  actual: number;
  atLeast?: boolean;
  notRun?: boolean;
};

export type Report = {
  machine: MachineInfo;
  runs: number;
  tables: Table[];
  targets: Target[];
  notes: string[];
};

const SUFFIX: Record<Unit, string> = {
  ms: ' ms',
  MiB: ' MiB',
  KiB: ' KiB',
  s: ' s',
  'turns/s': ' turns/s',
  'req/s': ' req/s',
  'frames/s': ' frames/s',
  'conn/s': ' conn/s',
  '×': '×',
  '%': ' %',
  count: '',
};

function fmt(value: number, unit: Unit): string {
  if (Number.isNaN(value)) return 'n/a';
  // Sub-unit figures (a 0.4 ms commit) keep two decimals; rates are whole turns.
  const digits =
    unit === 'turns/s' || unit === 'req/s' || unit === 'frames/s' || unit === 'conn/s'
      ? 0
      : Math.abs(value) < 1 && value !== 0
        ? 2
        : 1;
  return `${value.toFixed(digits)}${SUFFIX[unit]}`;
}
const ratio = (ours: number, floor: number | undefined) =>
  floor === undefined || !(floor > 0) ? '' : `${(ours / floor).toFixed(2)}×`;

function rowCells(row: Row): string[] {
  return [
    row.label,
    fmt(row.ours.median, row.unit),
    fmt(row.ours.p90, row.unit),
    fmt(row.ours.min, row.unit),
    row.floor ? `${fmt(row.floor.median, row.unit)} (${row.floorLabel})` : '',
    ratio(row.ours.median, row.floor?.median),
  ];
}

const HEADER = ['metric', 'median', 'p90', 'min', 'floor median', 'ratio'];
const LEFT_ALIGNED = new Set([0, 4]);
const VALUE_LEFT_ALIGNED = new Set([0]);

const cellOf = (value: number | string | undefined, unit: Unit) =>
  value === undefined ? '' : typeof value === 'string' ? value : fmt(value, unit);

function valueCells(row: ValueRow): string[] {
  return [
    row.label,
    cellOf(row.ours, row.unit),
    cellOf(row.floor, row.unit),
    typeof row.ours === 'number' && typeof row.floor === 'number' ? ratio(row.ours, row.floor) : '',
  ];
}

/** Header and cells of either kind of table, with the columns to left-align. */
function tableCells(table: Table): { header: string[]; rows: string[][]; left: Set<number> } {
  if ('rows' in table) return { header: HEADER, rows: table.rows.map(rowCells), left: LEFT_ALIGNED };
  const header = ['metric', 'clawgate', ...(table.floorLabel ? [table.floorLabel, 'ratio'] : [])];
  const rows = table.values.map((row) => valueCells(row).slice(0, header.length));
  return { header, rows, left: VALUE_LEFT_ALIGNED };
}

function textTable(table: Table): string {
  const { header, rows, left } = tableCells(table);
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function markdownTable(table: Table): string {
  const { header, rows, left } = tableCells(table);
  const align = header.map((_, i) => (left.has(i) ? '---' : '---:'));
  const lines = [`| ${header.join(' | ')} |`, `|${align.join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const passed = (t: Target) => (t.atLeast ? t.actual >= t.limit : t.actual <= t.limit);
const bound = (t: Target) => `${t.atLeast ? '≥' : '≤'} ${t.limit}${t.unit === '×' ? '' : ' '}${t.unit}`;
const verdict = (t: Target) =>
  t.notRun ? 'NOT RUN' : Number.isNaN(t.actual) ? 'n/a' : passed(t) ? 'PASS' : 'FAIL';
const figure = (t: Target) => (t.notRun ? '—' : fmt(t.actual, t.unit));

/** The targets not shown to be met: missed, not run, or without a figure (n/a). Any of them fails the bench. */
export function missedTargets(targets: Target[]): Target[] {
  return targets.filter((t) => verdict(t) !== 'PASS');
}

export function formatText(report: Report): string {
  const m = report.machine;
  const lines = [
    `clawgate bench — ${m.date}`,
    `${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB; Node ${m.node}; commit ${m.commit}; load ${m.loadAvg}`,
  ];
  for (const table of report.tables) lines.push('', `${table.title}:`, textTable(table));
  lines.push('', 'Targets (medians, or the figure named):');
  for (const t of report.targets)
    lines.push(`  ${t.label}: ${figure(t)} (target ${bound(t)}) — ${verdict(t)}`);
  lines.push('', ...report.notes.map((n) => `note: ${n}`), '');
  return lines.join('\n');
}

export function formatMarkdown(report: Report): string {
  const m = report.machine;
  const lines = [
    '# clawgate benchmark results',
    '',
    'Written by `npm run bench` (`bench/run.ts`); each run overwrites this file.',
    '',
    '## Machine',
    '',
    `- Date: ${m.date}`,
    `- CPU: ${m.cpuModel}, ${m.cores} cores`,
    `- Memory: ${m.totalMemGiB} GiB`,
    `- Kernel: ${m.kernel}`,
    `- Node: ${m.node}`,
    `- Commit: ${m.commit}`,
    `- Load average (1/5/15 min) at start: ${m.loadAvg}`,
    `- Runs: ${report.runs} per measurement`,
    '',
    '## Targets',
    '',
    '| target | figure | limit | result |',
    '|---|---:|---:|---|',
    ...report.targets.map(
      (t) =>
        `| ${t.label} | ${figure(t)} | ${bound(t)} | ${verdict(t) === 'PASS' ? 'PASS' : `**${verdict(t)}**`} |`,
    ),
  ];
  for (const table of report.tables)
    lines.push('', `## ${table.title}`, '', table.description, '', markdownTable(table));
  lines.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
