/**
 * The webhook channel end to end, in one process: a gateway on the offline `echo/echo` model (no word delay) and
 * a local signed webhook peer. (1) latency: messages one after another, each timed from the inbound POST to the
 * first byte of its reply POST at the peer, p50/p99; (2) a burst: `--messages` messages from `--chats` chats
 * sent at once (each chat its own session, `dmScope: per-channel-peer`), counted until every reply arrived, and
 * checked for lost or repeated replies. Usage: `node bench/channel-webhook.ts [--messages 1000] [--chats 100]`.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startGatewayServer } from '../src/server/server.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    chats: { type: 'string', default: '100' },
    sequential: { type: 'string', default: '200' },
  },
});
const SECRET = 'bench-webhook-secret-0123456789abcdef';
const sign = (timestamp: number, body: string) =>
  `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;

const replies = new Map<string, number>();
const firstByteAt = new Map<string, number>();
let waiter: (() => void) | undefined;
const peer = createServer((req, res) => {
  let first = true;
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    if (first) {
      first = false;
      const arrived = performance.now();
      req.once('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { chatId: string; text: string };
        const key = `${body.chatId}|${body.text}`;
        if (!firstByteAt.has(key)) firstByteAt.set(key, arrived);
        replies.set(key, (replies.get(key) ?? 0) + 1);
        waiter?.();
      });
    }
    chunks.push(chunk);
  });
  req.on('end', () => res.writeHead(200).end());
});
await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/`;

const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-bench-webhook-'));
writeFileSync(
  join(stateDir, 'clawgate.json'),
  JSON.stringify({
    models: { echo: { wordDelayMs: 0 } },
    session: { dmScope: 'per-channel-peer' },
    channels: { webhook: { secret: SECRET, url, dmPolicy: 'open', allowFrom: ['*'] } },
  }),
);
const gateway = await startGatewayServer({
  env: { CLAWGATE_STATE_DIR: stateDir, CLAWGATE_NO_AUTO_UPDATE: '1' },
  overrides: { port: 0, token: 'bench-token-0123456789abcdef' },
  console: null,
});
const inbound = `${gateway.url.replace(/^ws/, 'http')}/channels/webhook`;

async function post(chatId: string, messageId: string, text: string): Promise<void> {
  const body = JSON.stringify({ messageId, from: chatId, text });
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(inbound, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-clawgate-timestamp': String(timestamp),
      'x-clawgate-signature': sign(timestamp, body),
    },
    body,
  });
  if (res.status !== 202) throw new Error(`inbound answered ${res.status}`);
  await res.arrayBuffer();
}

function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      waiter = undefined;
      resolve();
    };
    waiter = check;
    check();
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

// Warm-up: the pipeline and the account's code load with the first message.
await post('warm', 'w', 'warm up');
await until(() => replies.has('warm|Echo: warm up'));

const latencies: number[] = [];
for (let i = 0; i < Number(values.sequential); i += 1) {
  const key = `seq|Echo: message ${i}`;
  const sent = performance.now();
  await post('seq', `s${i}`, `message ${i}`);
  await until(() => firstByteAt.has(key));
  latencies.push((firstByteAt.get(key) ?? sent) - sent);
}
latencies.sort((a, b) => a - b);

const total = Number(values.messages);
const chats = Number(values.chats);
const burstStart = performance.now();
await Promise.all(Array.from({ length: total }, (_, i) => post(`chat${i % chats}`, `b${i}`, `burst ${i}`)));
const acceptedMs = performance.now() - burstStart;
await until(() =>
  Array.from({ length: total }, (_, i) => `chat${i % chats}|Echo: burst ${i}`).every((key) =>
    replies.has(key),
  ),
);
const burstMs = performance.now() - burstStart;
const repeated = [...replies.values()].filter((count) => count > 1).length;

await gateway.close();
peer.close();
rmSync(stateDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify(
    {
      inboundToFirstReplyByteMs: {
        n: latencies.length,
        p50: Number(percentile(latencies, 0.5).toFixed(2)),
        p99: Number(percentile(latencies, 0.99).toFixed(2)),
        max: Number((latencies.at(-1) ?? 0).toFixed(2)),
      },
      burst: {
        messages: total,
        chats,
        allAcceptedMs: Math.round(acceptedMs),
        allRepliedMs: Math.round(burstMs),
        messagesPerSecond: Math.round((total / burstMs) * 1000),
        repeatedReplies: repeated,
      },
    },
    null,
    2,
  )}\n`,
);
