/**
 * Memory (issue 14): what the memory index costs and how fast it answers.
 *
 * - Search over 100 000 transcript messages (and a year of daily notes): the real SqliteStore and MemoryBackend in
 *   this process, a fixed mix of queries, each timed (node:sqlite is synchronous: the time is the gateway's event
 *   loop), against the straightforward FTS5 query (`ORDER BY bm25()` over every match) on the same index as the
 *   baseline; then the same queries as `memory.search` requests to a gateway on that database, next to `health`.
 * - Indexing: the backfill of those 100 000 messages (one-off, after an upgrade), per message.
 * - The commit path: one echo turn's store calls with transcript indexing on (queued by the trigger, indexed in
 *   batches shortly after) and off, in this process; then gateways running 1 000 `chat.send` turns with memory on
 *   (the default) and with `memory.search.enabled: false`, alternated so machine drift hits both alike.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBackend } from '../src/agents/memory/memory-backend.ts';
import { defaultConfig } from '../src/config/defaults.ts';
import { MEMORY_SEARCH_CANDIDATES } from '../src/config/limits.ts';
import { createLogger } from '../src/logging/logger.ts';
import { SqliteStore } from '../src/storage/sqlite-store.ts';
import { BenchClient, percentile } from './bench-client.ts';
import { NODE_FLAGS } from './chat-turns.ts';
import { gatewayNodeFlags } from './gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  readCpuMs,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
  withTimeout,
} from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';
import type { ScenarioResult } from './rpc.ts';

/** What the run gives every load scenario: the gateway to start and the token it takes. */
export type MemoryBenchOptions = { cli: string; cliLabel: string; token: string };

const MESSAGES = 100_000;
const SESSIONS = 200;
const DAILY_NOTES = 365;
const QUERIES = 1_000;
const WARMUP_QUERIES = 100;
const STORE_TURNS = 300;
const CHAT_TURNS = 1_000;
const CHAT_WARMUP = 100;
const CHAT_IN_FLIGHT = 16;
const CHAT_SESSIONS = 10;
/** Gateways per side, alternated (on, off, on, off). */
const CHAT_ROUNDS = 2;
const START_DEADLINE_MS = 20_000;
const RUN_DEADLINE_MS = 120_000;
/** A search this slow at 100 000 messages would be felt by every client of the gateway. */
const TARGET_SEARCH_P99_MS = 25;
/** Indexing must not cost the chat path more than this share of its throughput. */
const TARGET_CHAT_RATIO = 0.9;

/** A seeded generator, so every run searches the same text with the same queries. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const STOP_WORDS =
  'the a to and of i you it is that in we for this on with be was have are not can at so but do what about if ' +
  'my me just will all there like from they one get as or an no would how up out when think now know then'.split(
    ' ',
  );

/**
 * Text with the shape of chat: Zipf-distributed words (s = 1) whose most frequent ranks are English stop words,
 * then 4 000 made-up content words, and now and then an identifier (`inv 48213`).
 */
export function corpus(seed: number) {
  const next = random(seed);
  const syllables = 'ka lo mi nu re sa ti vo be da fe gi ho ju ki la mo ne pi ru so te vu wa ye zo'.split(
    ' ',
  );
  const content = new Set<string>();
  while (content.size < 4_000) {
    const parts = 2 + Math.floor(next() * 2);
    let word = '';
    for (let i = 0; i < parts; i++) word += syllables[Math.floor(next() * syllables.length)];
    if (!STOP_WORDS.includes(word)) content.add(word);
  }
  const words = [...STOP_WORDS, ...content];
  const contentWords = [...content];
  const cdf = (n: number) => {
    const out: number[] = [];
    let sum = 0;
    for (let i = 1; i <= n; i++) sum += 1 / i;
    let acc = 0;
    for (let i = 1; i <= n; i++) {
      acc += 1 / i / sum;
      out.push(acc);
    }
    return out;
  };
  const allCdf = cdf(words.length);
  const contentCdf = cdf(contentWords.length);
  const pick = (list: string[], weights: number[]) => {
    const r = next();
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (weights[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return list[lo];
  };
  return {
    next,
    sentence(min: number, max: number): string {
      const n = min + Math.floor(next() * (max - min + 1));
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(pick(words, allCdf));
      if (next() < 0.05) out.push(`inv ${10_000 + Math.floor(next() * 90_000)}`);
      return out.join(' ');
    },
    contentWord: () => pick(contentWords, contentCdf),
  };
}

/** The query mix: one or two content words, a question with stop words, an identifier, a miss. */
export function queries(count: number): { text: string; kind: string }[] {
  const gen = corpus(7);
  const out: { text: string; kind: string }[] = [];
  for (let i = 0; i < count; i++) {
    const r = gen.next();
    if (r < 0.4) out.push({ text: gen.contentWord(), kind: 'one word' });
    else if (r < 0.7) out.push({ text: `${gen.contentWord()} ${gen.contentWord()}`, kind: 'two words' });
    else if (r < 0.9)
      out.push({
        text: `what did we decide about the ${gen.contentWord()} and ${gen.contentWord()}`,
        kind: 'question',
      });
    else if (r < 0.95)
      out.push({ text: `inv ${10_000 + Math.floor(gen.next() * 90_000)}`, kind: 'identifier' });
    else out.push({ text: 'zzqx nonexistent', kind: 'miss' });
  }
  return out;
}

function sessionsOn() {
  const config = defaultConfig();
  config.memory.search.sources = ['memory', 'sessions'];
  config.memory.search.experimental.sessionMemory = true;
  return config;
}

function backendFor(store: SqliteStore, stateDir: string, config = sessionsOn()): MemoryBackend {
  return new MemoryBackend({
    database: store.database,
    write: (work) => store.write(work),
    onCommit: (listener) => store.onCommit(listener),
    config: () => config,
    stateDir,
    logger: createLogger({ level: 'error', console: null }),
    now: Date.now,
  });
}

/** 100 000 messages over 200 sessions, written with indexing off (as before an upgrade), and a year of notes. */
export async function populate(stateDir: string): Promise<void> {
  const gen = corpus(1);
  const store = SqliteStore.open(stateDir);
  try {
    const start = Date.UTC(2026, 0, 1);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const sessionKey = `agent:main:bench-${i % SESSIONS}`;
      const timestamp = start + i * 60_000;
      const text = gen.sentence(8, 40);
      writes.push(
        store.appendMessage(
          i % 2 === 0
            ? { sessionKey, role: 'user', content: text, timestamp }
            : { sessionKey, role: 'assistant', content: [{ type: 'text', text }], timestamp },
        ),
      );
      if (writes.length === 2_000) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
  } finally {
    store.close();
  }
  const memoryDir = join(stateDir, 'workspace', 'memory');
  mkdirSync(memoryDir, { recursive: true });
  writeFileSync(join(stateDir, 'workspace', 'MEMORY.md'), `# Memory\n\n${gen.sentence(200, 300)}\n`);
  for (let day = 0; day < DAILY_NOTES; day++) {
    const date = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
    const lines = Array.from({ length: 20 }, () => `- ${gen.sentence(6, 20)}`);
    writeFileSync(join(memoryDir, `${date}.md`), `# ${date}\n\n${lines.join('\n')}\n`);
  }
}

type SearchTimes = { all: number[]; byKind: Map<string, number[]>; hits: number };

async function timeSearches(run: (query: string) => Promise<number>): Promise<SearchTimes> {
  const mix = queries(WARMUP_QUERIES + QUERIES);
  for (const query of mix.slice(0, WARMUP_QUERIES)) await run(query.text);
  const times: SearchTimes = { all: [], byKind: new Map(), hits: 0 };
  for (const query of mix.slice(WARMUP_QUERIES)) {
    const started = performance.now();
    times.hits += await run(query.text);
    const ms = performance.now() - started;
    times.all.push(ms);
    const list = times.byKind.get(query.kind) ?? [];
    list.push(ms);
    times.byKind.set(query.kind, list);
  }
  return times;
}

type InProcess = {
  backfillMs: number;
  backfillCpuMs: number;
  indexed: number;
  fileScanMs: number;
  ours: SearchTimes;
  both: SearchTimes;
  naive: SearchTimes;
  dbBytes: number;
};

/** Backfill, then searches through MemoryBackend and the naive FTS5 query, in this process. */
async function measureInProcess(stateDir: string): Promise<InProcess> {
  const store = SqliteStore.open(stateDir);
  const backend = backendFor(store, stateDir);
  try {
    const fileScanStarted = performance.now();
    await backend.start();
    const fileScanMs = performance.now() - fileScanStarted;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await backend.flush();
    const backfillMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const indexed = Number(
      (store.database.prepare('SELECT count(*) AS n FROM memory_messages').get() as { n: number }).n,
    );
    const search = (sources: ('memory' | 'sessions')[]) => async (query: string) =>
      (await backend.search('main', query, { maxResults: 6, sources })).results.length;
    const ours = await timeSearches(search(['sessions']));
    const both = await timeSearches(search(['memory', 'sessions']));
    const naiveQuery = store.database.prepare(
      `SELECT m.id FROM memory_messages_fts f JOIN memory_messages d ON d.doc_id = f.rowid
         JOIN messages m ON m.id = d.message_id
       WHERE memory_messages_fts MATCH ? AND d.agent_id = 'main' ORDER BY bm25(memory_messages_fts) LIMIT 6`,
    );
    const naive = await timeSearches(async (query) => {
      const terms = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      return naiveQuery.all(terms.map((term) => `"${term}"`).join(' AND ')).length;
    });
    const { page_count: pages, page_size: size } = {
      ...(store.database.prepare('PRAGMA page_count').get() as { page_count: number }),
      ...(store.database.prepare('PRAGMA page_size').get() as { page_size: number }),
    };
    return {
      backfillMs,
      backfillCpuMs: (used.user + used.system) / 1000,
      indexed,
      fileScanMs,
      ours,
      both,
      naive,
      dbBytes: pages * size,
    };
  } finally {
    await backend.stop();
    store.close();
  }
}

type Gateway = { client: BenchClient; pid: number; stop(): Promise<void> };

async function startGatewayOn(
  options: MemoryBenchOptions,
  stateDir: string,
  config: unknown,
  label: string,
): Promise<Gateway> {
  writeFileSync(join(stateDir, 'clawgate.json'), JSON.stringify(config));
  const port = await reservePort();
  const running = spawnNode(
    [
      ...NODE_FLAGS,
      ...gatewayNodeFlags(label),
      options.cli,
      'gateway',
      'run',
      '--port',
      String(port),
      '--token',
      options.token,
    ],
    cleanEnv({ CLAWGATE_STATE_DIR: stateDir }),
    stateDir,
  );
  try {
    await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
    const ready = await withTimeout(running.readyLine, START_DEADLINE_MS, 'no ready line on stdout');
    const client = await BenchClient.connect(ready.url, options.token, 'backend');
    return {
      client,
      pid: running.child.pid!,
      stop: async () => {
        client.close();
        await stopChild(running.child);
      },
    };
  } catch (error) {
    await stopChild(running.child);
    throw error;
  }
}

/** `memory.search` and `health` over the socket, serially, on a gateway serving the 100 000-message database. */
async function measureRpc(options: MemoryBenchOptions, stateDir: string) {
  const gw = await startGatewayOn(
    options,
    stateDir,
    { memory: { search: { sources: ['memory', 'sessions'], experimental: { sessionMemory: true } } } },
    'memory-search',
  );
  try {
    const search = await timeSearches(async (query) => {
      const answer = await gw.client.request('memory.search', { query, maxResults: 6 });
      return ((answer?.results as unknown[] | undefined) ?? []).length;
    });
    const health = await timeSearches(async () => {
      await gw.client.request('health', {});
      return 0;
    });
    return { search, health };
  } finally {
    await gw.stop();
  }
}

/** One echo turn's store calls, in ChatService's order (as bench/store-cost.ts times them). */
async function storeTurn(store: SqliteStore, sessionKey: string, runId: string, text: string) {
  const now = Date.now();
  await store.ensureSession(sessionKey, 'main', now);
  await store.appendMessage(
    { sessionKey, role: 'user', content: text, timestamp: now, runId },
    { start: { agentId: 'main', startedAt: now } },
  );
  await store.getSession(sessionKey);
  await store.listMessages(sessionKey, { limit: 50 });
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
  await store.getSession(sessionKey);
}

/** ms per turn (wall, this process's CPU) with indexing off, on (commit path only), on (with the indexing). */
async function measureStoreCost() {
  const gen = corpus(3);
  const run = async (indexing: boolean) => {
    const dir = makeTempDir('clawgate-bench-memstore-');
    const store = SqliteStore.open(dir);
    const config = sessionsOn();
    if (!indexing) config.memory.search.enabled = false;
    const backend = backendFor(store, dir, config);
    try {
      await backend.start();
      const turn = (i: number) => storeTurn(store, `agent:main:s-${i % 10}`, `r-${i}`, gen.sentence(8, 30));
      for (let i = 0; i < 20; i++) await turn(-1 - i);
      await backend.flush();
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < STORE_TURNS; i++) await turn(i);
      const commitMs = performance.now() - started;
      await backend.flush();
      const totalMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return {
        commitMs: commitMs / STORE_TURNS,
        totalMs: totalMs / STORE_TURNS,
        cpuMs: (used.user + used.system) / 1000 / STORE_TURNS,
      };
    } finally {
      await backend.stop();
      store.close();
      removeTempDir(dir);
    }
  };
  // Alternated, twice each: the disk's fsync latency drifts.
  const off = [await run(false)];
  const on = [await run(true)];
  off.push(await run(false));
  on.push(await run(true));
  const mean = (
    list: { commitMs: number; totalMs: number; cpuMs: number }[],
    key: 'commitMs' | 'totalMs' | 'cpuMs',
  ) => list.reduce((sum, r) => sum + r[key], 0) / list.length;
  return {
    off: { commitMs: mean(off, 'commitMs'), totalMs: mean(off, 'totalMs'), cpuMs: mean(off, 'cpuMs') },
    on: { commitMs: mean(on, 'commitMs'), totalMs: mean(on, 'totalMs'), cpuMs: mean(on, 'cpuMs') },
  };
}

/** `chat.send` turns with a bounded number in flight, each to its `chat` final; turns/s and server CPU per turn. */
async function driveChat(gw: Gateway, prefix: string, turns: number) {
  const finals = new Map<string, () => void>();
  gw.client.onEvent = (frame) => {
    const payload = frame.payload as { runId?: string; state?: string } | undefined;
    if (frame.event === 'chat' && payload?.state === 'final' && payload.runId) finals.get(payload.runId)?.();
  };
  let next = 0;
  const worker = async () => {
    while (next < turns) {
      const i = next++;
      const runId = `${prefix}-${i}`;
      const done = new Promise<void>((resolve) => finals.set(runId, resolve));
      const sent = await gw.client.send('chat.send', {
        sessionKey: `agent:main:${prefix}-${i % CHAT_SESSIONS}`,
        message: `turn ${i} about the lighthouse budget and the migration plan`,
        idempotencyKey: runId,
      });
      if (!sent.ok) throw new Error(`chat.send failed: ${sent.error?.message}`);
      await done;
      finals.delete(runId);
    }
  };
  const cpu = readCpuMs(gw.pid);
  const started = performance.now();
  await withTimeout(
    Promise.all(Array.from({ length: CHAT_IN_FLIGHT }, worker)),
    RUN_DEADLINE_MS,
    `${turns} turns not final within ${RUN_DEADLINE_MS / 1000} s`,
  );
  const wallMs = performance.now() - started;
  return { rate: (turns / wallMs) * 1000, cpuMsPerTurn: (readCpuMs(gw.pid) - cpu) / turns };
}

async function measureChat(options: MemoryBenchOptions) {
  const sides = {
    on: { models: { echo: { wordDelayMs: 0 } } },
    off: { models: { echo: { wordDelayMs: 0 } }, memory: { search: { enabled: false } } },
  };
  type Rate = { rate: number; cpuMsPerTurn: number };
  const results: { on: Rate[]; off: Rate[] } = { on: [], off: [] };
  for (let round = 0; round < CHAT_ROUNDS; round++) {
    for (const side of ['on', 'off'] as const) {
      const dir = makeTempDir('clawgate-bench-memchat-');
      try {
        const gw = await startGatewayOn(options, dir, sides[side], `memory-chat-${side}`);
        try {
          await driveChat(gw, 'warmup', CHAT_WARMUP);
          results[side].push(await driveChat(gw, 'bench', CHAT_TURNS));
        } finally {
          await gw.stop();
        }
      } finally {
        removeTempDir(dir);
      }
    }
  }
  const mean = (list: Rate[], key: 'rate' | 'cpuMsPerTurn') =>
    list.reduce((sum, r) => sum + r[key], 0) / list.length;
  return {
    on: { rate: mean(results.on, 'rate'), cpuMsPerTurn: mean(results.on, 'cpuMsPerTurn') },
    off: { rate: mean(results.off, 'rate'), cpuMsPerTurn: mean(results.off, 'cpuMsPerTurn') },
    runs: results,
  };
}

const p = (values: number[], q: number) => percentile(values, q);

export async function measureMemory(options: MemoryBenchOptions): Promise<ScenarioResult> {
  const stateDir = makeTempDir('clawgate-bench-memory-');
  try {
    process.stderr.write(`bench: memory, writing ${MESSAGES} messages…\n`);
    await populate(stateDir);
    process.stderr.write('bench: memory, backfill and in-process searches…\n');
    const local = await measureInProcess(stateDir);
    process.stderr.write('bench: memory, memory.search over the socket…\n');
    const rpc = await measureRpc(options, stateDir);
    process.stderr.write('bench: memory, store cost with and without indexing…\n');
    const store = await measureStoreCost();
    process.stderr.write('bench: memory, chat turns with and without the index…\n');
    const chat = await measureChat(options);

    const searchRows = (label: string, ours: number[], floor?: number[]): ValueRow[] => [
      { label: `${label} p50`, unit: 'ms', ours: p(ours, 50), ...(floor ? { floor: p(floor, 50) } : {}) },
      { label: `${label} p90`, unit: 'ms', ours: p(ours, 90), ...(floor ? { floor: p(floor, 90) } : {}) },
      { label: `${label} p99`, unit: 'ms', ours: p(ours, 99), ...(floor ? { floor: p(floor, 99) } : {}) },
      { label: `${label} max`, unit: 'ms', ours: p(ours, 100), ...(floor ? { floor: p(floor, 100) } : {}) },
    ];
    const kinds = [...local.ours.byKind.keys()].sort();
    const tables: Table[] = [
      {
        title: 'Memory search over 100 000 messages',
        description: `${MESSAGES} messages (${SESSIONS} sessions, 8–40 Zipf-distributed words each, English stop words the commonest) and ${DAILY_NOTES} daily notes of 20 lines, all indexed; ${QUERIES} queries after ${WARMUP_QUERIES} unmeasured (40 % one content word, 30 % two, 20 % a question with stop words and two content words, 5 % an identifier, 5 % a miss), 6 hits each. In this process, over the transcripts: \`MemoryBackend.search\` (FTS5 match, the newest ${MEMORY_SEARCH_CANDIDATES} candidates ranked by BM25 in JavaScript, keyword fallback, recency) against the plain FTS5 query the same index allows (\`ORDER BY bm25()\` over every match, no fallback). Then the same search over memory files and transcripts together (what \`memory_search\` does with session memory on).`,
        floorLabel: 'plain FTS5 bm25()',
        values: [
          ...searchRows('transcripts', local.ours.all, local.naive.all),
          ...kinds.map(
            (kind): ValueRow => ({
              label: `  p99, ${kind}`,
              unit: 'ms',
              ours: p(local.ours.byKind.get(kind)!, 99),
              floor: p(local.naive.byKind.get(kind)!, 99),
            }),
          ),
          {
            label: 'hits returned (all queries)',
            unit: 'count',
            ours: local.ours.hits,
            floor: local.naive.hits,
          },
          ...searchRows('memory files + transcripts', local.both.all),
        ],
      },
      {
        title: 'Memory search through the gateway',
        description:
          'The same queries as `memory.search` requests (`gateway-client`/`backend`, one at a time) to a gateway on that database, next to `health` requests on the same socket: the round trip a client sees.',
        floorLabel: '`health`',
        values: searchRows('round trip', rpc.search.all, rpc.health.all),
      },
      {
        title: 'Memory indexing',
        description:
          'The one-off backfill when transcript indexing is first on (after an upgrade): every stored message queued, then indexed 256 per write; the memory files indexed at start-up.',
        values: [
          { label: 'messages indexed', unit: 'count', ours: local.indexed },
          { label: 'backfill wall time', unit: 's', ours: local.backfillMs / 1000 },
          { label: 'backfill per message', unit: 'ms', ours: local.backfillMs / local.indexed },
          { label: 'backfill CPU per message', unit: 'ms', ours: local.backfillCpuMs / local.indexed },
          {
            label: `start-up scan + index of ${DAILY_NOTES + 1} memory files`,
            unit: 'ms',
            ours: local.fileScanMs,
          },
          { label: 'database size, messages and index', unit: 'MiB', ours: local.dbBytes / 1024 / 1024 },
        ],
      },
      {
        title: 'Memory: the commit path with and without indexing',
        description: `In this process, ${STORE_TURNS} echo turns' store calls one after another (two runs each, alternated; mean), with transcript indexing on (the enqueue trigger in each commit, the indexer batching behind) and with memory off. Then gateways (${options.cliLabel}) running ${CHAT_TURNS} \`chat.send\` turns (${CHAT_IN_FLIGHT} in flight, after ${CHAT_WARMUP} unmeasured) with memory on (the default: transcripts indexed) and with \`memory.search.enabled: false\`, ${CHAT_ROUNDS} gateways each, alternated; mean.`,
        floorLabel: 'memory off',
        values: [
          {
            label: 'store time per turn, commits only',
            unit: 'ms',
            ours: store.on.commitMs,
            floor: store.off.commitMs,
          },
          {
            label: 'store time per turn, indexing included',
            unit: 'ms',
            ours: store.on.totalMs,
            floor: store.off.totalMs,
          },
          {
            label: 'store CPU per turn, indexing included',
            unit: 'ms',
            ours: store.on.cpuMs,
            floor: store.off.cpuMs,
          },
          { label: 'chat throughput', unit: 'turns/s', ours: chat.on.rate, floor: chat.off.rate },
          {
            label: 'server CPU per turn (all threads)',
            unit: 'ms',
            ours: chat.on.cpuMsPerTurn,
            floor: chat.off.cpuMsPerTurn,
          },
        ],
      },
    ];
    const targets: Target[] = [
      {
        label: 'memory search p99 over 100 000 messages (in process)',
        limit: TARGET_SEARCH_P99_MS,
        unit: 'ms',
        actual: p(local.both.all, 99),
      },
      {
        label: 'chat throughput with the memory index ÷ without',
        limit: TARGET_CHAT_RATIO,
        unit: '×',
        actual: chat.on.rate / chat.off.rate,
        atLeast: true,
      },
    ];
    const runs = (side: 'on' | 'off') => chat.runs[side].map((r) => r.rate.toFixed(0)).join(', ');
    return {
      tables,
      targets,
      correct: local.indexed === MESSAGES,
      notes: [
        `Memory: the index held ${local.indexed} of ${MESSAGES} messages after the backfill. Chat turns/s per gateway, memory on: ${runs('on')}; off: ${runs('off')}.`,
      ],
    };
  } finally {
    removeTempDir(stateDir);
  }
}
