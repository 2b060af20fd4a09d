/**
 * Scenario 1: a million generated frames, pipelined over post-auth admin sockets and thrown at fresh pre-auth
 * sockets. Every frame must be answered with ok or a documented error code, or its socket closed with a
 * documented close code, and none may make a handler throw; the gateway must stay up. Memory is read settled
 * (forced GC): the JS heap in use must come back to its baseline, RSS near it, and rounds of ~25 MiB frames
 * must not ratchet RSS up.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { connectAdmin, type Frame, fmt, type ScenarioResult, StressClient } from './client.ts';
import { exitDescription, type StressGateway, startGateway } from './gateway.ts';

const TOKEN = 'stress-fuzz-token-0123456789abcdef';
const DOCUMENTED_ERRORS = new Set(['INVALID_REQUEST', 'FORBIDDEN', 'UNAVAILABLE', 'NOT_PAIRED']);
const DOCUMENTED_CLOSES = new Set([1000, 1002, 1008, 1009]);
/** Writes that would reconfigure the gateway under test, or delete what the run relies on. */
const EXCLUDED_METHODS = new Set([
  'config.set',
  'config.patch',
  'config.apply',
  'sessions.delete',
  'device.pair.approve',
  'device.pair.reject',
  'device.pair.remove',
  'device.token.rotate',
  'device.token.revoke',
  'gateway.restart.request',
]);
/** Keys the core methods read, so random params reach past the first schema check more often. */
const PARAM_KEYS = [
  'sessionKey',
  'key',
  'keys',
  'message',
  'idempotencyKey',
  'agentId',
  'limit',
  'cursor',
  'maxChars',
  'maxBytes',
  'label',
  'model',
  'thinkingLevel',
  'archived',
  'archivedOnly',
  'requestId',
  'deviceId',
  'role',
  'scopes',
  'runId',
  'probe',
  'includeLastMessage',
  'includeSecrets',
  'path',
  'name',
  'text',
  'reason',
  'timeoutMs',
  'attachments',
  'queueMode',
  'lines',
  'raw',
  'baseHash',
];
const HEAVY_PARAM_METHODS = new Set(['logs.tail']);
const WINDOW = 128;
const POST_AUTH_SOCKETS = 6;
const PREAUTH_CONCURRENCY = 48;
const PREAUTH_HANDSHAKE_TIMEOUT_MS = 3_000;
/** Settled RSS after the fuzz must be within baseline × this + the slack (the allocator keeps some pages). */
const RSS_BACK_FACTOR = 1.5;
const RSS_BACK_SLACK_KIB = 32 * 1024;
/** Settled JS heap in use must come back to within this of the baseline's. */
const HEAP_BACK_SLACK_KIB = 16 * 1024;
/**
 * Rounds of the five huge frames. The allocator keeps some freed 25 MiB buffers' pages (settled RSS swings by
 * ~50 MiB between rounds, measured), so a leak shows as the last round's RSS above every earlier round's by
 * more than this.
 */
const HUGE_ROUNDS = 4;
const HUGE_ROUND_GROWTH_KIB = 32 * 1024;

type Tally = {
  frames: number;
  answeredOk: number;
  answeredError: Map<string, number>;
  undocumentedErrors: string[];
  internalErrors: string[];
  closes: Map<number, number>;
  undocumentedCloses: string[];
  lostOnClose: number;
  unanswered: number;
  preauthSockets: number;
  postauthReconnects: number;
};

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function deepArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Frames from fast-check, refilled in batches so generation cost stays visible and bounded. */
class FrameSource {
  #batch: string[] = [];
  #seed = 1;
  #arb: fc.Arbitrary<string>;
  #preauthArb: fc.Arbitrary<string>;
  #n = 0;
  generated = 0;

  constructor(methods: string[]) {
    const id = fc.oneof(
      { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
    );
    const value = fc.anything({ maxDepth: 3, maxKeys: 5, withNullPrototype: false });
    const params = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...PARAM_KEYS), value, { maxKeys: 5 }) },
      { weight: 2, arbitrary: value },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const request = fc.record(
      {
        type: fc.oneof({ weight: 9, arbitrary: fc.constant('req') }, { weight: 1, arbitrary: fc.string() }),
        id,
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom(...methods) },
          { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
        ),
        params,
        traceparent: fc.string({ maxLength: 140 }),
        extra: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: ['type', 'id', 'method'] },
    );
    this.#arb = fc.oneof(
      { weight: 12, arbitrary: request.map((frame) => JSON.stringify(frame)) },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    );
    const connectParams = fc.record(
      {
        minProtocol: fc.oneof(fc.constant(4), fc.integer()),
        maxProtocol: fc.oneof(fc.constant(4), fc.integer()),
        client: fc.oneof(
          fc.constant({ id: 'cli', version: '1', platform: 'linux', mode: 'cli' }),
          fc.anything({ maxDepth: 2 }),
        ),
        role: fc.oneof(fc.constantFrom('operator', 'node', 'worker'), fc.string()),
        scopes: fc.array(fc.string(), { maxLength: 3 }),
        auth: fc.dictionary(
          fc.constantFrom('token', 'password', 'deviceToken', 'bootstrapToken'),
          fc.string(),
        ),
        device: fc.anything({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    this.#preauthArb = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({
            type: fc.constant('req'),
            id: fc.string({ minLength: 1 }),
            method: fc.constant('connect'),
            params: connectParams,
          })
          .map((frame) => JSON.stringify(frame)),
      },
      { weight: 2, arbitrary: this.#arb },
    );
  }

  #refill(): void {
    this.#batch = fc.sample(this.#arb, { numRuns: 2_000, seed: this.#seed++ });
  }

  /** The next post-auth frame: mostly fast-check requests, plus truncations, random bytes and deep nesting. */
  next(): string | Buffer {
    this.generated++;
    const n = ++this.#n;
    if (n % 20_000 === 0) return deepArray(10_000);
    if (n % 20_000 === 10_000)
      return `{"type":"req","id":"deep${n}","method":"health","params":{"a":${deepArray(10_000)}}}`;
    if (this.#batch.length === 0) this.#refill();
    const frame = this.#batch.pop() as string;
    const roll = n % 10;
    if (roll === 7) return frame.slice(0, Math.floor(Math.random() * frame.length));
    if (roll === 8) return randomBytes(1 + Math.floor(Math.random() * 64));
    return frame;
  }

  preauth(count: number): (string | Buffer)[] {
    this.generated += count;
    const frames: (string | Buffer)[] = fc.sample(this.#preauthArb, { numRuns: count, seed: this.#seed++ });
    const roll = Math.random();
    if (roll < 0.1) frames[0] = randomBytes(1 + Math.floor(Math.random() * 200));
    else if (roll < 0.2) frames[0] = (frames[0] as string).slice(0, Math.floor(Math.random() * 40));
    else if (roll < 0.22) frames[0] = deepArray(10_000);
    else if (roll < 0.24)
      frames[0] = `{"type":"req","id":"big","method":"connect","params":"${'x'.repeat(70_000)}"}`;
    return frames;
  }
}

function record(tally: Tally, frame: Frame, context: string): void {
  if (frame.ok === true) {
    tally.answeredOk++;
    return;
  }
  const code = frame.error?.code ?? '(none)';
  bump(tally.answeredError, code);
  if (!DOCUMENTED_ERRORS.has(code) && tally.undocumentedErrors.length < 10)
    tally.undocumentedErrors.push(`${context}: ${JSON.stringify(frame.error).slice(0, 300)}`);
  if (/internal error/.test(frame.error?.message ?? '') && tally.internalErrors.length < 10)
    tally.internalErrors.push(`${context}: ${frame.error?.message}`);
  if (/internal error/.test(frame.error?.message ?? ''))
    bump(tally.answeredError, 'UNAVAILABLE(internal error)');
}

function recordClose(tally: Tally, code: number, reason: string, context: string): void {
  bump(tally.closes, code);
  if (!DOCUMENTED_CLOSES.has(code) && tally.undocumentedCloses.length < 10)
    tally.undocumentedCloses.push(`${context}: ${code} ${reason}`);
}

/** One admin socket with up to WINDOW frames in flight; reconnects if the gateway closes it. */
async function postAuthWorker(
  gw: StressGateway,
  source: FrameSource,
  tally: Tally,
  stopAt: () => boolean,
  lastSent: Map<StressClient, string>,
): Promise<void> {
  while (!stopAt()) {
    const client = await connectAdmin(gw.url, TOKEN);
    let sent = 0;
    let answered = 0;
    let wake: () => void = () => undefined;
    client.onResponse((frame) => {
      answered++;
      record(tally, frame, `post-auth after ${lastSent.get(client)?.slice(0, 200)}`);
      wake();
    });
    let harnessClosed = false;
    const closed = client.closed.then((info) => {
      if (!harnessClosed)
        recordClose(tally, info.code, info.reason, `post-auth after ${lastSent.get(client)?.slice(0, 200)}`);
      wake();
      return info;
    });
    while (!stopAt() && client.open) {
      while (sent - answered < WINDOW && !stopAt() && client.open) {
        const frame = source.next();
        client.sendRaw(frame);
        if (typeof frame === 'string') lastSent.set(client, frame);
        sent++;
        tally.frames++;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (!client.open) resolve();
      });
    }
    // Drain: every frame sent on a socket still open must be answered.
    const deadline = performance.now() + 30_000;
    while (client.open && answered < sent && performance.now() < deadline) {
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), delay(200)]);
    }
    if (client.open) {
      tally.unanswered += sent - answered;
      harnessClosed = true;
      client.terminate();
      await closed;
    } else {
      tally.lostOnClose += sent - answered;
      tally.postauthReconnects++;
    }
  }
}

/** Fresh sockets that send garbage (or random `connect` params) first, then wait to be answered or closed. */
async function preauthWorker(
  gw: StressGateway,
  source: FrameSource,
  tally: Tally,
  stopAt: () => boolean,
): Promise<void> {
  while (!stopAt()) {
    const client = new StressClient(gw.url);
    try {
      await client.challenge;
    } catch {
      client.terminate();
      continue;
    }
    tally.preauthSockets++;
    const frames = source.preauth(1 + Math.floor(Math.random() * 4));
    for (const frame of frames) client.sendRaw(frame);
    tally.frames += frames.length;
    const first = frames[0];
    const context = `pre-auth first frame ${typeof first === 'string' ? first.slice(0, 200) : `<${first.length} random bytes>`}`;
    client.onResponse((frame) => record(tally, frame, context));
    const info = await Promise.race([
      client.closed,
      delay(PREAUTH_HANDSHAKE_TIMEOUT_MS + 3_000).then(() => undefined),
    ]);
    if (info) recordClose(tally, info.code, info.reason, context);
    else {
      tally.undocumentedCloses.push(
        `${context}: still open ${PREAUTH_HANDSHAKE_TIMEOUT_MS + 3_000} ms later`,
      );
      client.terminate();
    }
  }
}

/** Frames near and over the 25 MiB post-auth limit, each on its own socket; `report` adds their outcomes. */
async function hugeFrames(
  gw: StressGateway,
  tally: Tally,
  figures: string[],
  failures: string[],
  report: boolean,
): Promise<void> {
  const limit = 25 * 1024 * 1024;
  const sizes = [limit - 1024, limit - 64 * 1024, limit - 1, limit + 1, limit + 1024 * 1024];
  const outcomes: string[] = [];
  for (const size of sizes) {
    const client = await connectAdmin(gw.url, TOKEN);
    const head = `{"type":"req","id":"huge","method":"sessions.preview","params":{"keys":["agent:main:x"],"pad":"`;
    const tail = '"}}';
    const frame = head + 'a'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
    const started = performance.now();
    client.sendRaw(frame);
    tally.frames++;
    const outcome = await Promise.race([
      new Promise<string>((resolve) =>
        client.onResponse((f) => {
          if (f.id !== 'huge') return;
          record(tally, f, `huge frame ${size} B`);
          resolve(f.ok ? 'ok' : `${f.error?.code}`);
        }),
      ),
      client.closed.then((info) => `close ${info.code} ${info.reason}`.trim()),
      delay(30_000).then(() => 'no answer in 30 s'),
    ]);
    outcomes.push(
      `${(size / 1024 / 1024).toFixed(3)} MiB → ${outcome} (${fmt(performance.now() - started)} ms)`,
    );
    const expectClose = size > limit;
    if (outcome.startsWith('close'))
      recordClose(tally, Number(outcome.split(' ')[1]), '', `huge frame ${size} B`);
    if (
      expectClose
        ? !outcome.startsWith('close 1009')
        : outcome.startsWith('close') || outcome.startsWith('no answer')
    )
      failures.push(`huge frame of ${size} B: ${outcome}`);
    client.terminate();
  }
  if (report) figures.push(`huge frames: ${outcomes.join('; ')}`);
}

export async function fuzzScenario(quick: boolean): Promise<ScenarioResult> {
  const target = quick ? 100_000 : 1_000_000;
  const budgetMs = quick ? 35_000 : 210_000;
  const figures: string[] = [];
  const failures: string[] = [];
  const gw = await startGateway({
    label: 'fuzz',
    token: TOKEN,
    config: {
      gateway: {
        limits: { maxPreauthConnectionsPerIp: 1_000, handshakeTimeoutMs: PREAUTH_HANDSHAKE_TIMEOUT_MS },
      },
      models: { echo: { wordDelayMs: 0 } },
    },
  });
  try {
    const admin = await connectAdmin(gw.url, TOKEN);
    const hello = await admin.call('health');
    if (!hello.ok) throw new Error('health failed before fuzzing');
    const helloFrame = await (async () => {
      const probe = new StressClient(gw.url);
      const frame = await probe.connect({ token: TOKEN });
      probe.terminate();
      return frame;
    })();
    const advertised = (
      (helloFrame.payload?.features as { methods?: string[] } | undefined)?.methods ?? []
    ).slice();
    const methods = advertised.filter((m) => !EXCLUDED_METHODS.has(m) && !HEAVY_PARAM_METHODS.has(m));
    figures.push(
      `methods fuzzed: ${methods.length} of ${advertised.length} advertised (excluded: ${advertised.filter((m) => !methods.includes(m)).join(', ')})`,
    );
    const rssStart = gw.rssKiB();
    const source = new FrameSource(methods);
    const tally: Tally = {
      frames: 0,
      answeredOk: 0,
      answeredError: new Map(),
      undocumentedErrors: [],
      internalErrors: [],
      closes: new Map(),
      undocumentedCloses: [],
      lostOnClose: 0,
      unanswered: 0,
      preauthSockets: 0,
      postauthReconnects: 0,
    };
    // Warm-up: a first slice of frames loads the schemas and caches, so the baseline is a working gateway's.
    const warmStop = 5_000;
    await postAuthWorker(gw, source, tally, () => tally.frames >= warmStop, new Map());
    const heapKiB = async () => {
      const res = await admin.call('status').catch(() => undefined);
      const mem = res?.payload?.processMemory as { heapUsedBytes?: number } | undefined;
      return Math.round((mem?.heapUsedBytes ?? Number.NaN) / 1024);
    };
    // Memory is read settled (forced full GC + 1 s idle): what is still held, not garbage not yet collected.
    const reading = async () => {
      await gw.settle();
      return { rss: gw.rssKiB(), heap: await heapKiB() };
    };
    const baseline = await reading();
    const started = performance.now();
    const stopAt = () => tally.frames >= target || performance.now() - started > budgetMs || !gw.alive();
    const lastSent = new Map<StressClient, string>();
    let rssPeak = baseline.rss;
    const sampler = setInterval(() => {
      if (gw.alive()) rssPeak = Math.max(rssPeak, gw.rssKiB());
    }, 500);
    await Promise.all([
      ...Array.from({ length: POST_AUTH_SOCKETS }, () => postAuthWorker(gw, source, tally, stopAt, lastSent)),
      ...Array.from({ length: PREAUTH_CONCURRENCY }, () => preauthWorker(gw, source, tally, stopAt)),
    ]);
    clearInterval(sampler);
    const elapsed = performance.now() - started;
    const afterFuzz = gw.alive() ? await reading() : { rss: Number.NaN, heap: Number.NaN };
    const huge: { rss: number; heap: number }[] = [];
    for (let round = 0; round < HUGE_ROUNDS && gw.alive(); round++) {
      await hugeFrames(gw, tally, figures, failures, round === 0);
      huge.push(await reading());
    }
    admin.terminate();

    const alive = gw.alive();
    const health = alive
      ? await fetch(`http://127.0.0.1:${gw.port}/health`)
          .then((r) => r.status)
          .catch(() => 0)
      : 0;
    figures.push(
      `frames: ${tally.frames} in ${(elapsed / 1000).toFixed(1)} s = ${Math.round(tally.frames / (elapsed / 1000))} frames/s (${tally.preauthSockets} pre-auth sockets, ${POST_AUTH_SOCKETS} pipelined admin sockets × ${WINDOW} in flight)`,
      `answers: ok ${tally.answeredOk}; errors ${[...tally.answeredError].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `closes by the gateway: ${[...tally.closes]
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k}×${v}`)
        .join(
          ', ',
        )}; frames lost with a documented close ${tally.lostOnClose}; admin reconnects ${tally.postauthReconnects}`,
      `RSS KiB: start ${rssStart}, baseline after warm-up ${baseline.rss}, peak ${rssPeak} during the fuzz, after it ${afterFuzz.rss}, after each round of five ~25 MiB frames ${huge.map((r) => r.rss).join(', ')} (all settled but the peak)`,
      `JS heap used KiB (settled): baseline ${baseline.heap}, after the fuzz ${afterFuzz.heap}, after each round of huge frames ${huge.map((r) => r.heap).join(', ')}`,
      `gateway alive: ${alive}; /health ${health}`,
    );
    if (tally.frames < target)
      failures.push(`only ${tally.frames} of ${target} frames within ${budgetMs / 1000} s`);
    if (!alive) failures.push(`gateway died: ${exitDescription(gw)}`);
    if (health !== 200) failures.push(`/health answered ${health}`);
    if (tally.unanswered > 0) failures.push(`${tally.unanswered} frames never answered on open sockets`);
    failures.push(...tally.undocumentedErrors.map((e) => `undocumented error code: ${e}`));
    failures.push(...tally.undocumentedCloses.map((e) => `undocumented close: ${e}`));
    if (alive) {
      const rssNear = baseline.rss * RSS_BACK_FACTOR + RSS_BACK_SLACK_KIB;
      if (!(afterFuzz.rss <= rssNear))
        failures.push(`RSS after the fuzz ${afterFuzz.rss} KiB not near baseline ${baseline.rss} KiB`);
      for (const [label, r] of [
        ['the fuzz', afterFuzz],
        ...huge.map((h, i) => [`huge-frame round ${i + 1}`, h] as const),
      ] as const)
        if (!(r.heap <= baseline.heap + HEAP_BACK_SLACK_KIB))
          failures.push(
            `JS heap after ${label} ${r.heap} KiB, baseline ${baseline.heap} KiB: live objects were kept`,
          );
      const last = huge.at(-1);
      const earlierMax = Math.max(...huge.slice(0, -1).map((r) => r.rss));
      if (last && huge.length > 1 && !(last.rss <= earlierMax + HUGE_ROUND_GROWTH_KIB))
        failures.push(
          `RSS after the last round of huge frames ${last.rss} KiB, above every earlier round (max ${earlierMax} KiB) by more than ${HUGE_ROUND_GROWTH_KIB} KiB: a leak per frame`,
        );
    }
    if (tally.internalErrors.length > 0) {
      failures.push(`internal errors (UNAVAILABLE, handler threw): ${tally.internalErrors.join(' | ')}`);
      const stacks = gw.logLines(/ failed"/).slice(0, 3);
      if (stacks.length > 0) figures.push(`gateway log: ${stacks.join(' | ').slice(0, 3_000)}`);
    }
  } finally {
    await gw.stop();
  }
  return { name: 'fuzz', pass: failures.length === 0, figures, failures };
}
