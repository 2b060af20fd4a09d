/**
 * The tool loop (issue 14). Two measurements, each against a gateway child:
 *
 * - Overhead per tool step: the fake OpenAI-compatible server (test/helpers/fake-provider.ts, real streaming
 *   wire format, on loopback in this process) scripts turns of 5 `read` tool steps and a final answer, and turns
 *   with no tools. A step's cost is the difference per step between the two kinds of turn; its overhead is that
 *   minus a bare round trip of the same provider (the SDK provider called in this process, no gateway). What a step
 *   adds: the assistant step's commit, the tool run, the result's commit, its events, the next request's bigger body.
 * - 100 concurrent turns of 5 tool steps each on the offline echo model (`@tool` directives, no word delay), one
 *   per session, sent at once: wall time, turn latency and tool steps per second, every answer checked.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAiCompletionsProvider } from '../src/agents/providers/openai.ts';
import { type FakeProvider, startFakeProvider } from '../test/helpers/fake-provider.ts';
import { BenchClient, type Frame, startGateway } from './bench-client.ts';
import { makeTempDir, removeTempDir } from './probes.ts';
import { type Row, stats, type Table, type Target } from './report.ts';

export type ToolsBenchOptions = { cli: string; cliLabel: string; token: string };
export type ToolsBenchResult = { tables: Table[]; notes: string[]; targets: Target[]; correct: boolean };

const STEPS = 5;
const BARE_ROUND_TRIPS = 200;
const SEQUENTIAL_TURNS = 40;
const WARMUP_TURNS = 10;
const CONCURRENT_TURNS = 100;
const FILE_TEXT = 'bench file: the tool read this';
const FINAL_TEXT = 'done';
const TURN_DEADLINE_MS = 120_000;

/** Each run's terminal chat event, by runId. */
function finals(client: BenchClient) {
  const waiting = new Map<string, (frame: Frame) => void>();
  client.onEvent = (frame) => {
    if (frame.event !== 'chat') return;
    const payload = frame.payload as { runId: string; state: string };
    if (!['final', 'error', 'aborted'].includes(payload.state)) return;
    waiting.get(payload.runId)?.(frame);
    waiting.delete(payload.runId);
  };
  return (runId: string) =>
    new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${runId}: no final`)), TURN_DEADLINE_MS);
      waiting.set(runId, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
}

function finalText(frame: Frame): string {
  const payload = frame.payload as {
    state: string;
    message?: { content: { text?: string }[] };
    errorMessage?: string;
  };
  if (payload.state !== 'final')
    throw new Error(`turn ended ${payload.state}: ${payload.errorMessage ?? ''}`);
  return payload.message?.content.map((block) => block.text ?? '').join('') ?? '';
}

async function bareRoundTrips(fake: FakeProvider): Promise<number[]> {
  const provider = new OpenAiCompletionsProvider({
    id: 'fake',
    baseUrl: fake.openaiBaseUrl,
    apiKey: 'sk-bench',
  });
  const times: number[] = [];
  for (let i = 0; i < BARE_ROUND_TRIPS + WARMUP_TURNS; i += 1) {
    const started = performance.now();
    for await (const _event of provider.stream({
      model: 'm1',
      messages: [{ role: 'user', content: 'ping' }],
      signal: new AbortController().signal,
    })) {
      // Drained: a round trip is the whole stream.
    }
    if (i >= WARMUP_TURNS) times.push(performance.now() - started);
  }
  return times;
}

function scriptToolTurn(fake: FakeProvider): void {
  for (let step = 0; step < STEPS; step += 1) {
    fake.enqueue({ text: '', toolCalls: [{ name: 'read', arguments: { path: 'file.txt' } }] });
  }
  fake.enqueue({ text: FINAL_TEXT });
}

async function stepOverhead(options: ToolsBenchOptions, fake: FakeProvider, workspace: string) {
  const server = await startGateway(
    options.cli,
    options.token,
    {
      models: {
        providers: { fake: { baseUrl: fake.openaiBaseUrl, apiKey: 'sk-bench', api: 'openai-completions' } },
      },
      agents: { defaults: { model: 'fake/m1', workspace } },
    },
    'tools-step',
  );
  const client = await BenchClient.connect(server.url, options.token, 'backend');
  const final = finals(client);
  const plain: number[] = [];
  const tooled: number[] = [];
  let wrong = 0;
  try {
    // Interleaved, each in a session of its own, so both kinds see the same machine and the same context size.
    for (let i = 0; i < SEQUENTIAL_TURNS + WARMUP_TURNS; i += 1) {
      for (const kind of ['plain', 'tools'] as const) {
        const runId = `${kind}-${i}`;
        if (kind === 'tools') scriptToolTurn(fake);
        else fake.enqueue({ text: FINAL_TEXT });
        const ended = final(runId);
        const started = performance.now();
        await client.request('chat.send', {
          sessionKey: `agent:main:${runId}`,
          message: 'go',
          idempotencyKey: runId,
        });
        const text = finalText(await ended);
        const ms = performance.now() - started;
        if (text !== FINAL_TEXT) wrong += 1;
        if (i >= WARMUP_TURNS) (kind === 'plain' ? plain : tooled).push(ms);
      }
    }
    // The tools really ran: the last request carried the file's text back to the model.
    const last = fake.requests.at(-1)?.body as { messages?: { role: string; content: string }[] } | undefined;
    if (last?.messages?.at(-1)?.content !== FILE_TEXT) wrong += 1;
  } finally {
    client.close();
    await server.stop();
  }
  return { plain, tooled, wrong };
}

async function concurrentTurns(options: ToolsBenchOptions, workspace: string) {
  const server = await startGateway(
    options.cli,
    options.token,
    { models: { echo: { wordDelayMs: 0 } }, agents: { defaults: { workspace } } },
    'tools-concurrent',
  );
  const client = await BenchClient.connect(server.url, options.token, 'backend');
  const final = finals(client);
  const message = Array.from({ length: STEPS }, () => '@tool read {"path":"file.txt"}').join('\n');
  const expected = `Echo: ${FILE_TEXT}`;
  const run = async (label: string, count: number) => {
    const latencies: number[] = [];
    let wrong = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const runId = `${label}-${i}`;
        const ended = final(runId);
        const sent = performance.now();
        await client.request('chat.send', {
          sessionKey: `agent:main:${runId}`,
          message,
          idempotencyKey: runId,
        });
        if (finalText(await ended) !== expected) wrong += 1;
        latencies.push(performance.now() - sent);
      }),
    );
    return { wallMs: performance.now() - started, latencies, wrong };
  };
  try {
    await run('warmup', WARMUP_TURNS);
    const measured = await run('bench', CONCURRENT_TURNS);
    const history = (await client.request('chat.history', { sessionKey: 'agent:main:bench-0' })) as {
      messages: { role: string }[];
    };
    // user, 5 × (assistant toolCall + toolResult), final assistant.
    if (history.messages.length !== 2 + 2 * STEPS) measured.wrong += 1;
    return measured;
  } finally {
    client.close();
    await server.stop();
  }
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? Number.NaN;
}

export async function measureTools(options: ToolsBenchOptions): Promise<ToolsBenchResult> {
  const workspace = makeTempDir('clawgate-bench-tools-ws-');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'file.txt'), `${FILE_TEXT}\n`);
  const fake = await startFakeProvider({ text: FINAL_TEXT });
  try {
    process.stderr.write('bench: tools, bare provider round trips…\n');
    const bare = stats(await bareRoundTrips(fake));
    process.stderr.write(`bench: tools, ${SEQUENTIAL_TURNS} turns with and without ${STEPS} tool steps…\n`);
    const overhead = await stepOverhead(options, fake, workspace);
    process.stderr.write(
      `bench: tools, ${CONCURRENT_TURNS} concurrent turns × ${STEPS} tool steps (echo)…\n`,
    );
    const concurrent = await concurrentTurns(options, workspace);

    const plain = stats(overhead.plain);
    const tooled = stats(overhead.tooled);
    // Per added step, pair by pair (each tool turn ran right after its plain twin): (tool turn − plain turn) / 5.
    const perStep = stats(overhead.tooled.map((ms, i) => (ms - (overhead.plain[i] ?? ms)) / STEPS));
    const stepMs = perStep.median;
    const rows: Row[] = [
      { label: 'bare provider round trip (SDK → fake server, in process)', unit: 'ms', ours: bare },
      { label: 'turn without tools, through the gateway', unit: 'ms', ours: plain },
      { label: `turn with ${STEPS} read steps + answer, through the gateway`, unit: 'ms', ours: tooled },
      {
        label: "one tool step (each pair's turn difference ÷ 5)",
        unit: 'ms',
        ours: perStep,
        floorLabel: 'bare round trip',
        floor: bare,
      },
    ];
    const steps = CONCURRENT_TURNS * STEPS;
    const latency = stats(concurrent.latencies);
    const tables: Table[] = [
      {
        title: 'Tool loop: cost of one tool step',
        description: `${SEQUENTIAL_TURNS} turns of each kind, one at a time, interleaved, each in a fresh session (${options.cliLabel}); the fake OpenAI-compatible server streams a \`read\` call per step.`,
        rows,
      },
      {
        title: `Tool loop: ${CONCURRENT_TURNS} concurrent turns × ${STEPS} tool steps (echo)`,
        description: `${CONCURRENT_TURNS} sessions, one turn each, all sent at once; each turn reads a workspace file ${STEPS} times, committing ${2 * STEPS + 1} messages.`,
        values: [
          { label: 'wall time', unit: 'ms', ours: concurrent.wallMs },
          { label: 'turns/s', unit: 'turns/s', ours: (CONCURRENT_TURNS / concurrent.wallMs) * 1000 },
          { label: 'tool steps/s', unit: 'req/s', ours: (steps / concurrent.wallMs) * 1000 },
          { label: 'turn latency p50', unit: 'ms', ours: latency.median },
          { label: 'turn latency p99', unit: 'ms', ours: p99(concurrent.latencies) },
          { label: 'wrong answers', unit: 'count', ours: concurrent.wrong + overhead.wrong },
        ],
      },
    ];
    return {
      tables,
      targets: [],
      correct: concurrent.wrong + overhead.wrong === 0,
      notes: [
        `Tool step: ${stepMs.toFixed(2)} ms per step (median of the pairs), of which a bare provider round trip is ${bare.median.toFixed(2)} ms: the loop adds ${(stepMs - bare.median).toFixed(2)} ms (two group commits, the read, its events).`,
        '"tool steps/s" counts model steps that ran a tool (the unit column reads req/s).',
      ],
    };
  } finally {
    await fake.close();
    removeTempDir(workspace);
  }
}
