import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMarkdown, formatText, missedTargets, type Report, type Target } from '../../bench/report.ts';

const machine = {
  date: '2026-01-01T00:00:00.000Z',
  cpuModel: 'test CPU',
  cores: 2,
  totalMemGiB: 1,
  kernel: 'test',
  node: 'v24',
  commit: 'abc1234',
  loadAvg: '0 / 0 / 0',
};

const met: Target = { label: 'rate ÷ floor', limit: 0.5, unit: '×', actual: 0.7, atLeast: true };
const missed: Target = { label: 'p99', limit: 50, unit: 'ms', actual: 61 };
const notRun: Target = { label: 'RSS at 10000', limit: 10, unit: 'KiB', actual: Number.NaN, notRun: true };
const noFigure: Target = { label: 'chat ÷ floor', limit: 0.5, unit: '×', actual: Number.NaN, atLeast: true };

test('a target missed, not run or without a figure is one the bench fails on; a met one is not', () => {
  assert.deepEqual(missedTargets([met, missed, notRun, noFigure]), [missed, notRun, noFigure]);
  assert.deepEqual(missedTargets([met, { ...missed, actual: 50 }]), [], 'the limit itself is met');
  assert.deepEqual(missedTargets([{ ...met, actual: 0.49 }]), [{ ...met, actual: 0.49 }]);
});

test('the Targets table marks a level that could not run NOT RUN, in bold like a FAIL', () => {
  const report: Report = { machine, runs: 1, tables: [], targets: [met, missed, notRun], notes: [] };
  const markdown = formatMarkdown(report);
  assert.match(markdown, /\| rate ÷ floor \| 0\.70× \| ≥ 0\.5× \| PASS \|/);
  assert.match(markdown, /\| p99 \| 61\.0 ms \| ≤ 50 ms \| \*\*FAIL\*\* \|/);
  assert.match(markdown, /\| RSS at 10000 \| — \| ≤ 10 KiB \| \*\*NOT RUN\*\* \|/);
  assert.match(formatText(report), /RSS at 10000: — \(target ≤ 10 KiB\) — NOT RUN/);
});
