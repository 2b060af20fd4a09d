import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, SHIPPED_NODE_FLAGS, shebangFlags } from '../../bench/gateway-flags.ts';
import { summarizeProfile } from '../../bench/profile-summary.ts';

test('the gateway flags the benchmarks use are the ones on bin/clawgate.mjs shebang', () => {
  const firstLine = readFileSync(BIN, 'utf8').split('\n')[0] ?? '';
  assert.equal(firstLine, `#!/usr/bin/env -S node ${SHIPPED_NODE_FLAGS.join(' ')}`);
  assert.deepEqual(shebangFlags('#!/usr/bin/env -S node --a=1 --b\n'), ['--a=1', '--b']);
  assert.deepEqual(shebangFlags('#!/usr/bin/env -S node\n'), []);
  assert.throws(() => shebangFlags('#!/usr/bin/env node\n'), /expected a "#!\/usr\/bin\/env -S node/);
});

test('a CPU profile is summarized by self time per function and per place the code lives', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 5] },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('dispatch', 'file:///x/dist/server.impl-AB.mjs', 41) },
      { id: 4, callFrame: frame('writev', '') },
      { id: 5, callFrame: frame('parse', 'file:///x/node_modules/ws/lib/receiver.js', 9) },
    ],
    startTime: 0,
    endTime: 10_000,
    // Each sample's time is the next delta: dispatch 3 ms, idle 4 ms, writev 2 ms, ws 1 ms.
    samples: [3, 2, 4, 5, 3],
    timeDeltas: [0, 3_000, 4_000, 2_000, 1_000],
  };
  const path = join(dir, 'p.cpuprofile');
  writeFileSync(path, JSON.stringify(profile));
  const summary = summarizeProfile(path);
  assert.equal(summary.wallMs, 10);
  assert.equal(summary.busyMs, 6, 'idle time is not busy time');
  assert.deepEqual(
    summary.top.map((f) => [f.fn, f.where, f.selfMs]),
    [
      ['dispatch', 'server.impl-AB.mjs:42', 3],
      ['writev', '(native)', 2],
      ['parse', 'receiver.js:10', 1],
    ],
  );
  assert.deepEqual(
    summary.areas.map((a) => [a.area, a.selfMs, Number(a.shareOfBusy.toFixed(3))]),
    [
      ['clawgate (dist)', 3, 0.5],
      ['(native)', 2, 0.333],
      ['ws', 1, 0.167],
    ],
  );
});
