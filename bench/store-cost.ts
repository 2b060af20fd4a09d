/**
 * What the SQLite store alone costs per chat turn, measured in this process on the same filesystem as the
 * gateway's state dir: the store calls ChatService makes for one echo turn, run back to back on the real
 * `SqliteStore` opened as the gateway opens it (WAL, synchronous=FULL, the log synced off the event loop), and the
 * commits they make, counted in the WAL.
 * node:sqlite is synchronous, so this time, but for the wait on the log's fsync (on libuv's pool), is spent on the
 * gateway's event loop: 1000 / (ms per turn) bounds turns run one at a time; concurrent turns share group commits
 * (SqliteStore), which is how the gateway goes past it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { GATEWAY_STORE_OPTIONS, SqliteStore } from '../src/storage/sqlite-store.ts';
import { makeTempDir, removeTempDir } from './probes.ts';

const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
/** Unmeasured turns first: statement caches and the first pages of each table. */
const WARMUP_TURNS = 20;

export type StoreCost = {
  turns: number;
  msPerTurn: number;
  /** CPU this process spent per turn: the rest of `msPerTurn` is waiting on the disk. */
  cpuMsPerTurn: number;
  commitsPerTurn: number;
  /** The turn's store time divided by its commits: what one commit (and its fsync) costs, reads included. */
  msPerCommit: number;
};

/**
 * Commit frames in a WAL file: a frame whose header's second word (database size after the commit) is non-zero
 * ends a transaction. Only frames carrying the header's salts belong to the current WAL generation.
 */
export function countWalCommits(path: string): number {
  const size = statSync(path).size;
  if (size < WAL_HEADER_BYTES) return 0;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(WAL_HEADER_BYTES);
    readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
    const pageSize = header.readUInt32BE(8);
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const frame = Buffer.alloc(WAL_FRAME_HEADER_BYTES);
    let commits = 0;
    for (let at = WAL_HEADER_BYTES; at + WAL_FRAME_HEADER_BYTES + pageSize <= size; ) {
      readSync(fd, frame, 0, WAL_FRAME_HEADER_BYTES, at);
      if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
      if (frame.readUInt32BE(4) !== 0) commits += 1;
      at += WAL_FRAME_HEADER_BYTES + pageSize;
    }
    return commits;
  } finally {
    closeSync(fd);
  }
}

/**
 * The store calls of one echo turn, in ChatService's order: `send` (getRun for an earlier run under the key, the
 * session read, the user message + run start), `#execute` (the session's model, the assistant message + run
 * finish). The model's context comes from the in-memory tail (context-tail.ts), not the store, and the session
 * reads for `sessions.changed` / `session.message` happen only when a client subscribes, which none does in the
 * chat bench. Keep in step with src/chat/chat-service.ts.
 */
async function storeTurn(store: SqliteStore, sessionKey: string, runId: string, text: string): Promise<void> {
  const now = Date.now();
  await store.getRun(runId);
  const session =
    (await store.getSession(sessionKey)) ?? (await store.ensureSession(sessionKey, 'main', now));
  await store.appendMessage(
    { sessionKey: session.key, role: 'user', content: text, timestamp: now, runId },
    { start: { agentId: 'main', startedAt: now } },
  );
  await store.getSession(sessionKey);
  await store.appendMessage(
    {
      sessionKey,
      role: 'assistant',
      content: [{ type: 'text', text: `Echo: ${text}` }],
      timestamp: Date.now(),
      runId,
      provider: 'echo',
      model: 'echo',
      usage: { input: 8, output: 9, total: 17 },
      stopReason: 'stop',
    },
    { finish: { status: 'ok', endedAt: Date.now() } },
  );
}

export async function measureStoreCost(turns: number, sessions: number): Promise<StoreCost> {
  const dir = makeTempDir('clawgate-bench-store-');
  const store = SqliteStore.open(dir, GATEWAY_STORE_OPTIONS);
  try {
    // Checkpoints would rewrite the WAL from its start and lose the count; the turns here fit in it easily.
    store.database.exec('PRAGMA wal_autocheckpoint = 0');
    const walPath = `${dir}/clawgate.db-wal`;
    const turn = (name: string, i: number) =>
      storeTurn(
        store,
        `agent:main:${name}-${i % sessions}`,
        `${name}-run-${i}`,
        `bench turn ${i} says hello`,
      );
    for (let i = 0; i < WARMUP_TURNS; i++) await turn('warmup', i);
    const commitsBefore = countWalCommits(walPath);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < turns; i++) await turn('store', i);
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    const commits = countWalCommits(walPath) - commitsBefore;
    return {
      turns,
      msPerTurn: ms / turns,
      cpuMsPerTurn: (user + system) / 1000 / turns,
      commitsPerTurn: commits / turns,
      msPerCommit: commits > 0 ? ms / commits : NaN,
    };
  } finally {
    store.close();
    removeTempDir(dir);
  }
}
