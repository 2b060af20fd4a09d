/**
 * Telegram (issue 13): one gateway child on the offline `echo/echo` model (no word delay) with `channels.telegram`
 * pointed at the fake Bot API server (`test/helpers/fake-bot-api.ts`) running in this process, so one clock times
 * both ends. Three measurements:
 *
 * - latency: a DM is queued, handed out by the held `getUpdates`, and timed to the arrival of the reply's
 *   `sendMessage` request (the first outbound byte of the answer), one message at a time;
 * - load: 1 000 messages/s offered from 100 chats for a few seconds; every reply is checked (none lost, none
 *   twice, each the echo of its message) and the completion rate and reply latency are reported;
 * - idle cost: CPU and RSS of an idle gateway with the channel configured (one long poll held open) against one
 *   without any channel.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type FakeBotApi, startFakeBotApi } from '../test/helpers/fake-bot-api.ts';
import { SHIPPED_NODE_FLAGS } from './gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  type RunningChild,
  readCpuMs,
  readRss,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
} from './probes.ts';
import type { Table, Target, ValueRow } from './report.ts';

export type TelegramLoad = {
  latencyMessages: number;
  warmupMessages: number;
  ratePerSecond: number;
  chats: number;
  seconds: number;
  idleSeconds: number;
};

export const TELEGRAM_LOAD: TelegramLoad = {
  latencyMessages: 300,
  warmupMessages: 50,
  ratePerSecond: 1_000,
  chats: 100,
  seconds: 5,
  idleSeconds: 10,
};

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const START_DEADLINE_MS = 15_000;
const REPLY_DEADLINE_MS = 10_000;
/** Generous: a backlog of offered messages drains at the gateway's turn rate. */
const LOAD_DEADLINE_MS = 180_000;
const TICK_MS = 10;
const TARGET_FIRST_BYTE_P99_MS = 100;
const TARGET_IDLE_CPU_PERCENT = 1;
const TARGET_IDLE_RSS_MIB = 25;

type Subject = { cli: string; cliLabel: string; token: string };
type Gateway = { running: RunningChild; stateDir: string; port: number };

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const sortedOf = (values: number[]) => [...values].sort((a, b) => a - b);

async function startGateway(subject: Subject, config: Record<string, unknown> | undefined): Promise<Gateway> {
  const stateDir = makeTempDir('clawgate-bench-telegram-');
  if (config) writeFileSync(join(stateDir, 'clawgate.json'), JSON.stringify(config));
  const port = await reservePort();
  const running = spawnNode(
    [...SHIPPED_NODE_FLAGS, subject.cli, 'gateway', 'run', '--port', String(port)],
    cleanEnv({ CLAWGATE_STATE_DIR: stateDir, CLAWGATE_GATEWAY_TOKEN: subject.token }),
    REPO_ROOT,
  );
  try {
    await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
  } catch (error) {
    await stopGateway({ running, stateDir, port });
    throw new Error(`${(error as Error).message}\n${running.stderr()}`);
  }
  return { running, stateDir, port };
}

async function stopGateway(gateway: Gateway): Promise<void> {
  await stopChild(gateway.running.child);
  removeTempDir(gateway.stateDir);
}

function channelConfig(api: FakeBotApi): Record<string, unknown> {
  return {
    models: { echo: { wordDelayMs: 0 } },
    // One session per chat, as a bot serving many people would be set up; `main` would serialize every chat.
    session: { dmScope: 'per-peer' },
    channels: {
      telegram: {
        botToken: api.token,
        apiRoot: api.apiRoot,
        dmPolicy: 'open',
        allowFrom: ['*'],
        streaming: 'off',
      },
    },
  };
}

/** The time from an update's hand-out to the reply's `sendMessage`, for the reply whose text is `expected`. */
async function replyLatency(api: FakeBotApi, chatId: number, text: string): Promise<number> {
  const { updateId } = api.dm({ id: chatId }, text);
  const expected = `Echo: ${text}`;
  const find = () =>
    api
      .callsOf('sendMessage')
      .find((call) => Number(call.params.chat_id) === chatId && call.params.text === expected);
  await api.waitFor(() => find() !== undefined, REPLY_DEADLINE_MS, `the reply to "${text}"`);
  const handedOut = api.deliveredAt.get(updateId) as number;
  return (find()?.at as number) - handedOut;
}

async function measureLatency(api: FakeBotApi, load: TelegramLoad): Promise<number[]> {
  for (let i = 0; i < load.warmupMessages; i++) await replyLatency(api, 900_000 + (i % 5), `warm ${i}`);
  const samples: number[] = [];
  for (let i = 0; i < load.latencyMessages; i++)
    samples.push(await replyLatency(api, 910_000, `latency ${i}`));
  return samples;
}

type LoadOutcome = {
  offered: number;
  offerSeconds: number;
  answered: number;
  lost: number;
  duplicated: number;
  wrong: number;
  drainSeconds: number;
  latencies: number[];
  /** Offered → confirmed by the poller's next `getUpdates` offset (the gateway holds the message durably). */
  intake: number[];
  intakeSeconds: number;
  cpuMs: number;
};

/** `ratePerSecond` DMs from `chats` chats for `seconds`, queued in 10 ms ticks; then waits for every reply. */
async function measureLoad(api: FakeBotApi, gateway: Gateway, load: TelegramLoad): Promise<LoadOutcome> {
  const total = load.ratePerSecond * load.seconds;
  const perTick = (load.ratePerSecond * TICK_MS) / 1000;
  const expected = new Map<string, { chatId: number; updateId: number }>();
  const offeredAt = new Map<number, number>();
  const cpuBefore = readCpuMs(gateway.running.child.pid!);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / TICK_MS + 1) * perTick));
    for (; sent < due; sent++) {
      const chatId = 1_000 + (sent % load.chats);
      const text = `load ${sent}`;
      const { updateId } = api.dm({ id: chatId }, text);
      offeredAt.set(updateId, performance.now());
      expected.set(`Echo: ${text}`, { chatId, updateId });
    }
    await delay(TICK_MS);
  }
  const offerSeconds = (performance.now() - start) / 1000;
  const answers = () => api.outbox.filter((message) => String(message.text).startsWith('Echo: load '));
  const deadline = performance.now() + LOAD_DEADLINE_MS;
  while (answers().length < total && performance.now() < deadline) await delay(50);
  const drainSeconds = (performance.now() - start) / 1000;
  // A last look for late duplicates.
  await delay(1_000);
  const cpuMs = readCpuMs(gateway.running.child.pid!) - cpuBefore;
  const counts = new Map<string, number>();
  let wrong = 0;
  const latencies: number[] = [];
  for (const message of answers()) {
    const text = String(message.text);
    const origin = expected.get(text);
    if (!origin || origin.chatId !== message.chat.id) {
      wrong++;
      continue;
    }
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  for (const call of api.callsOf('sendMessage')) {
    const origin = expected.get(String(call.params.text));
    const handedOut = origin ? api.deliveredAt.get(origin.updateId) : undefined;
    if (handedOut !== undefined && counts.get(String(call.params.text)) === 1)
      latencies.push(call.at - handedOut);
  }
  // An update is confirmed by the first later getUpdates whose offset passes it.
  const polls = api.callsOf('getUpdates').filter((call) => call.params.offset !== undefined);
  const intake: number[] = [];
  let lastConfirm = start;
  for (const [updateId, at] of offeredAt) {
    const confirm = polls.find((call) => call.at >= at && Number(call.params.offset) > updateId);
    if (!confirm) continue;
    intake.push(confirm.at - at);
    lastConfirm = Math.max(lastConfirm, confirm.at);
  }
  let duplicated = 0;
  for (const count of counts.values()) if (count > 1) duplicated += count - 1;
  return {
    offered: total,
    offerSeconds,
    answered: counts.size,
    lost: expected.size - counts.size,
    duplicated,
    wrong,
    drainSeconds,
    latencies,
    intake,
    intakeSeconds: (lastConfirm - start) / 1000,
    cpuMs,
  };
}

type Idle = { cpuPercent: number; rssMiB: number };

async function measureIdle(gateway: Gateway, seconds: number): Promise<Idle> {
  // Let start-up work (lazy imports, the first poll, maintenance timers) settle first.
  await delay(2_000);
  const pid = gateway.running.child.pid!;
  const before = readCpuMs(pid);
  await delay(seconds * 1000);
  const cpuMs = readCpuMs(pid) - before;
  return { cpuPercent: (cpuMs / (seconds * 1000)) * 100, rssMiB: readRss(pid).rssKiB / 1024 };
}

export async function measureTelegram(
  subject: Subject,
  load: TelegramLoad = TELEGRAM_LOAD,
): Promise<{ tables: Table[]; notes: string[]; targets: Target[]; correct: boolean }> {
  process.stderr.write('bench: telegram idle cost…\n');
  const bare = await startGateway(subject, { models: { echo: { wordDelayMs: 0 } } });
  let idleBare: Idle;
  try {
    idleBare = await measureIdle(bare, load.idleSeconds);
  } finally {
    await stopGateway(bare);
  }
  const api = await startFakeBotApi();
  const gateway = await startGateway(subject, channelConfig(api)).catch(async (error) => {
    await api.close();
    throw error;
  });
  try {
    await api.waitFor(() => api.callsOf('getUpdates').length > 0, START_DEADLINE_MS, 'the first getUpdates');
    const idleTelegram = await measureIdle(gateway, load.idleSeconds);
    process.stderr.write('bench: telegram latency…\n');
    const latency = sortedOf(await measureLatency(api, load));
    process.stderr.write(`bench: telegram load (${load.ratePerSecond}/s from ${load.chats} chats)…\n`);
    const outcome = await measureLoad(api, gateway, load);
    const loadLatency = sortedOf(outcome.latencies);
    const intake = sortedOf(outcome.intake);
    const correct = outcome.lost === 0 && outcome.duplicated === 0 && outcome.wrong === 0;
    const latencyRows: ValueRow[] = [
      {
        label: 'first outbound byte p50 (update handed out → reply sendMessage)',
        unit: 'ms',
        ours: percentile(latency, 0.5),
      },
      { label: 'first outbound byte p90', unit: 'ms', ours: percentile(latency, 0.9) },
      { label: 'first outbound byte p99', unit: 'ms', ours: percentile(latency, 0.99) },
      { label: 'first outbound byte max', unit: 'ms', ours: latency.at(-1) ?? NaN },
    ];
    const loadRows: ValueRow[] = [
      { label: 'messages offered', unit: 'count', ours: outcome.offered },
      { label: 'offered rate', unit: 'req/s', ours: outcome.offered / outcome.offerSeconds },
      { label: 'replies, each the echo of its message in its chat', unit: 'count', ours: outcome.answered },
      { label: 'unanswered when the run ended', unit: 'count', ours: outcome.lost },
      { label: 'duplicated replies', unit: 'count', ours: outcome.duplicated },
      { label: 'replies to the wrong chat or text', unit: 'count', ours: outcome.wrong },
      {
        label: 'intake rate (messages ÷ time until the last was held durably and confirmed)',
        unit: 'req/s',
        ours: outcome.intake.length / outcome.intakeSeconds,
      },
      { label: 'intake latency p50 (offered → confirmed)', unit: 'ms', ours: percentile(intake, 0.5) },
      { label: 'intake latency p99', unit: 'ms', ours: percentile(intake, 0.99) },
      {
        label: 'completion rate (replies ÷ time to the last one)',
        unit: 'req/s',
        ours: outcome.answered / outcome.drainSeconds,
      },
      { label: 'reply latency under load p50', unit: 'ms', ours: percentile(loadLatency, 0.5) },
      { label: 'reply latency under load p99', unit: 'ms', ours: percentile(loadLatency, 0.99) },
      { label: 'gateway CPU per message', unit: 'ms', ours: outcome.cpuMs / outcome.offered },
      {
        label: 'verdict',
        unit: 'count',
        ours: correct
          ? 'every message answered exactly once'
          : outcome.duplicated + outcome.wrong > 0
            ? 'DUPLICATED OR MISDELIVERED'
            : 'NOT ALL ANSWERED',
      },
    ];
    const idleRows: ValueRow[] = [
      { label: 'idle CPU', unit: '%', ours: idleTelegram.cpuPercent, floor: idleBare.cpuPercent },
      { label: 'idle RSS', unit: 'MiB', ours: idleTelegram.rssMiB, floor: idleBare.rssMiB },
    ];
    return {
      correct,
      tables: [
        {
          title: 'Telegram: inbound message → first outbound byte',
          description: `${subject.cliLabel} with \`channels.telegram\` on the fake Bot API in the bench process (one clock), echo model without word delay, \`streaming: "off"\`. ${load.latencyMessages} DMs one at a time after ${load.warmupMessages} unmeasured ones; from the \`getUpdates\` answer carrying the update to the arrival of the reply's \`sendMessage\`.`,
          values: latencyRows,
        },
        {
          title: 'Telegram: 1 000 messages/s from 100 chats',
          description: `${load.ratePerSecond} DMs/s for ${load.seconds} s, spread over ${load.chats} chats (\`session.dmScope: "per-peer"\`), queued in ${TICK_MS} ms ticks; then up to ${LOAD_DEADLINE_MS / 1000} s for the replies, each matched to its message. Intake is the poller's side: an update counts as taken once a later \`getUpdates\` offset confirms it, which the poller sends only after the gateway committed the message. The gateway takes what it can and works the backlog off; nothing may be lost or answered twice.`,
          values: loadRows,
        },
        {
          title: 'Telegram: idle cost of a configured channel',
          description: `The same gateway idle for ${load.idleSeconds} s (after a 2 s settle) with the channel configured and its long poll held open, against a gateway with no channel (the floor column).`,
          floorLabel: 'no channel',
          values: idleRows,
        },
      ],
      targets: [
        {
          label: 'Telegram first outbound byte p99',
          limit: TARGET_FIRST_BYTE_P99_MS,
          unit: 'ms',
          actual: percentile(latency, 0.99),
        },
        {
          label: 'Telegram idle CPU, channel configured',
          limit: TARGET_IDLE_CPU_PERCENT,
          unit: '%',
          actual: idleTelegram.cpuPercent,
        },
        {
          label: 'Telegram idle RSS over a gateway without channels',
          limit: TARGET_IDLE_RSS_MIB,
          unit: 'MiB',
          actual: idleTelegram.rssMiB - idleBare.rssMiB,
        },
      ],
      notes: [
        'Telegram: the fake Bot API answers in-process; a real Bot API adds its network round trips to every figure, which this bench leaves out on purpose (it measures the gateway).',
        'Telegram: CPU is utime + stime from `/proc/<pid>/stat` (10 ms ticks); RSS is `VmRSS`.',
      ],
    };
  } finally {
    await stopGateway(gateway);
    await api.close();
  }
}
