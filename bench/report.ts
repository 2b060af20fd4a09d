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

export type Unit = 'ms' | 'MiB';

/** One row: what was measured, and (optionally) the floor it is compared with. */
export type Row = { label: string; unit: Unit; ours: Stats; floorLabel?: string; floor?: Stats };

export type Table = { title: string; description: string; rows: Row[] };

export type Target = { label: string; limit: number; unit: Unit; actual: number };

export type Report = {
  machine: MachineInfo;
  runs: number;
  tables: Table[];
  targets: Target[];
  notes: string[];
};

const fmt = (value: number, unit: Unit) =>
  Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)}${unit === 'MiB' ? ' MiB' : ' ms'}`;
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

function textTable(rows: Row[]): string {
  const cells = [HEADER, ...rows.map(rowCells)];
  const widths = HEADER.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (LEFT_ALIGNED.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function markdownTable(rows: Row[]): string {
  const align = HEADER.map((_, i) => (LEFT_ALIGNED.has(i) ? '---' : '---:'));
  const lines = [`| ${HEADER.join(' | ')} |`, `|${align.join('|')}|`];
  for (const row of rows) lines.push(`| ${rowCells(row).join(' | ')} |`);
  return lines.join('\n');
}

const passed = (t: Target) => t.actual <= t.limit;
const verdict = (t: Target) => (Number.isNaN(t.actual) ? 'n/a' : passed(t) ? 'PASS' : 'FAIL');

export function formatText(report: Report): string {
  const m = report.machine;
  const lines = [
    `clawgate bench — ${m.date}`,
    `${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB; Node ${m.node}; commit ${m.commit}; load ${m.loadAvg}`,
  ];
  for (const table of report.tables) lines.push('', `${table.title}:`, textTable(table.rows));
  lines.push('', 'Targets (medians):');
  for (const t of report.targets)
    lines.push(`  ${t.label}: ${fmt(t.actual, t.unit)} (target ≤ ${t.limit} ${t.unit}) — ${verdict(t)}`);
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
    '| target | median | limit | result |',
    '|---|---:|---:|---|',
    ...report.targets.map(
      (t) =>
        `| ${t.label} | ${fmt(t.actual, t.unit)} | ≤ ${t.limit} ${t.unit} | ${verdict(t) === 'FAIL' ? '**FAIL**' : verdict(t)} |`,
    ),
  ];
  for (const table of report.tables)
    lines.push('', `## ${table.title}`, '', table.description, '', markdownTable(table.rows));
  lines.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
