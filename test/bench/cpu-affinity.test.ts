import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ownCpus,
  parseCpuList,
  pinProcess,
  tasksetMissing,
  threadCpus,
  threadsOff,
} from '../../stress/cpu-affinity.ts';

test('CPU lists parse as taskset and /proc write them, and a process is checked against one', () => {
  assert.deepEqual(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
  assert.deepEqual(parseCpuList('1'), [1]);
  const own = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  assert.deepEqual(ownCpus(), parseCpuList(own));
  assert.deepEqual(threadsOff(process.pid, ownCpus().join(',')), []);
  if (ownCpus().length > 1) assert.ok(threadsOff(process.pid, String(ownCpus()[0])).length > 0);
});

test('a process pinned with taskset has every thread on that CPU alone', async (t) => {
  if (tasksetMissing() || ownCpus().length < 2) {
    t.skip('needs taskset and two CPUs');
    return;
  }
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const cpu = String(ownCpus().at(-1));
  assert.ok(threadsOff(child.pid!, cpu).length > 0, 'not pinned yet');
  pinProcess(child.pid!, cpu);
  assert.deepEqual(threadsOff(child.pid!, cpu), []);
  assert.ok(threadCpus(child.pid!).every((list) => list === cpu));
});
