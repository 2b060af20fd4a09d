import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATABASE_FILE_NAME } from '../../src/storage/database.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { CRASH_SESSION_KEY, crashMessage } from '../fixtures/crash-messages.ts';
import { childEnv, ROOT, tempDir } from '../helpers/cli-child.ts';

const FIXTURE = join(ROOT, 'test/fixtures/append-loop.ts');
/** Acks to wait for in each round before the kill; the child keeps appending meanwhile, so the kill lands anywhere. */
const KILL_AFTER_ACKS = [200, 263, 317, 229, 401];
const ROUND_DEADLINE_MS = 10_000;

type Round = {
  firstSeq: number;
  lastAcked: number;
  outOfOrder: number[];
  signal: NodeJS.Signals | null;
  stderr: string;
};

/** Runs the append loop until it has acked `acks` messages, SIGKILLs it, and waits for its pipes to drain. */
function killMidStream(stateDir: string, acks: number): Promise<Round> {
  const child = spawn(process.execPath, [FIXTURE, stateDir], {
    env: childEnv(stateDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let firstSeq = -1;
  let lastAcked = -1;
  let acked = 0;
  let stdout = '';
  let stderr = '';
  const outOfOrder: number[] = [];
  const deadline = setTimeout(() => child.kill('SIGKILL'), ROUND_DEADLINE_MS);
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    let newline = stdout.indexOf('\n');
    while (newline !== -1) {
      const [word, value] = stdout.slice(0, newline).split(' ');
      stdout = stdout.slice(newline + 1);
      newline = stdout.indexOf('\n');
      if (word === 'ready') firstSeq = Number(value) + 1;
      if (word !== 'acked') continue;
      const seq = Number(value);
      if (seq !== (lastAcked === -1 ? firstSeq : lastAcked + 1)) outOfOrder.push(seq);
      lastAcked = seq;
      if (++acked === acks) child.kill('SIGKILL');
    }
  });
  // 'close' (not 'exit') fires once stdout is drained, so every ack the child wrote has been counted.
  return new Promise((resolve) =>
    child.once('close', (_code, signal) => {
      clearTimeout(deadline);
      resolve({ firstSeq, lastAcked, outOfOrder, signal, stderr });
    }),
  );
}

test('every acked append survives SIGKILL at an arbitrary moment, five times over', async (t) => {
  const stateDir = tempDir(t, 'clawgate-crash-');
  const path = join(stateDir, DATABASE_FILE_NAME);
  let expectedFirst = 1;
  for (const [round, acks] of KILL_AFTER_ACKS.entries()) {
    const { firstSeq, lastAcked, outOfOrder, signal, stderr } = await killMidStream(stateDir, acks);
    assert.equal(signal, 'SIGKILL', `round ${round}: the child ended by itself: ${stderr}`);
    assert.deepEqual(outOfOrder, [], `round ${round}: acks arrive in seq order`);
    assert.equal(firstSeq, expectedFirst, `round ${round}: the child resumed after the last stored message`);
    assert.ok(lastAcked - firstSeq + 1 >= acks, `round ${round}: only acked up to ${lastAcked}`);
    // Killed mid-write, the connection never checkpointed: reopening has to recover from the WAL.
    assert.ok(existsSync(`${path}-wal`), `round ${round}: no WAL left behind`);

    const store = SqliteStore.open(stateDir);
    try {
      assert.equal(store.database.prepare('PRAGMA integrity_check').get()?.integrity_check, 'ok');
      const messages = await store.listMessages(CRASH_SESSION_KEY, { limit: 1_000_000 });
      const stored = messages.length;
      assert.ok(stored >= lastAcked, `round ${round}: acked up to seq ${lastAcked}, only ${stored} stored`);
      const session = await store.getSession(CRASH_SESSION_KEY);
      assert.ok(session);
      for (const [index, message] of messages.entries()) {
        const seq = index + 1;
        assert.deepEqual(message, { ...crashMessage(seq), sessionId: session.sessionId, seq }, `seq ${seq}`);
      }
      // The counters moved in the same transactions as the rows: no torn append.
      // Assistant messages are the even seqs 2, 4, … 2k, each with usage.input = seq.
      const k = Math.floor(stored / 2);
      const usageInput = k * (k + 1);
      assert.equal(session.messageCount, stored);
      assert.deepEqual(session.usage, { input: usageInput, output: 2 * usageInput, total: 3 * usageInput });
      t.diagnostic(`round ${round}: acked ${firstSeq}..${lastAcked}, ${stored} stored`);
      expectedFirst = stored + 1;
    } finally {
      store.close();
    }
  }
});
