import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileLimits, planFileLimit } from '../../bench/fd-limit.ts';

const shell = (command: string) =>
  execFileSync('sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

test('the open-files limits read from /proc are the ones a shell started from here reports', () => {
  const limits = fileLimits();
  assert.equal(String(limits.soft), shell('ulimit -Sn'));
  const hard = shell('ulimit -Hn');
  assert.equal(limits.hard, hard === 'unlimited' ? Infinity : Number(hard));
});

test('a process has the files it needs, or is told what to raise when even the hard limit is short', () => {
  const { soft, hard } = fileLimits();
  assert.deepEqual(planFileLimit(soft, 'the level'), { kind: 'enough', limits: { soft, hard } });
  if (hard === Infinity) return;
  let raisable = true;
  try {
    shell(`ulimit -n ${hard + 1}`);
  } catch {
    raisable = false;
  }
  const plan = planFileLimit(hard + 1, 'the level');
  if (raisable) assert.deepEqual(plan, { kind: 'reexec', command: `ulimit -n ${hard + 1}` });
  else {
    assert.equal(plan.kind, 'short');
    assert.match(
      plan.kind === 'short' ? plan.message : '',
      new RegExp(`^the level needs \`ulimit -Hn\` ≥ ${hard + 1} `),
    );
  }
});
