/**
 * The channel conformance suite: what every channel (Telegram, the webhook channel, a plugin's) must do end to
 * end, against a real gateway and the channel's own network faked locally. A channel's test file calls
 * `runChannelConformance(harness)` once; the suite declares its tests with node:test.
 *
 * The harness (keep it small):
 *
 *   harness.channel          the channel id (`webhook`, `telegram`): the suite configures `channels.<id>`.
 *   harness.textChunkLimit   the `textChunkLimit` the suite sets; the long-reply test sends ~2.5 times it.
 *   harness.createNetwork()  a fresh fake network for one test (the fake Bot API server, the webhook receiver).
 *
 *   network.config           the `channels.<id>` block that points the channel at this network. The suite lays
 *                            `dmPolicy: "open"`, `allowFrom: ["*"]` and `textChunkLimit` over it.
 *   network.inject(gw, msg)  hands one direct message to the gateway the channel's way (webhook: a signed POST to
 *                            the gateway; Telegram: an update served by getUpdates) and resolves once the network
 *                            has handed it over. Injecting the same `messageId` again is a re-delivery: the
 *                            network presents the same message again, as it would after a crash before the
 *                            gateway confirmed it (Telegram: the same update_id served again even below the offset).
 *   network.delivered(chat)  the texts of the messages the gateway delivered to that chat so far, in order, each as
 *                            it reads now (after any live-preview edits).
 *   network.rateLimitNext(n) the next `n` outbound deliveries are refused with the network's rate-limit answer and a
 *                            1 s retry-after (webhook: 429 + Retry-After: 1; Telegram: 429 + parameters.retry_after).
 *   network.rateLimited()    how many deliveries have been refused that way so far.
 *   network.close()          stops the fake network.
 *
 * The gateway runs the offline echo model (`Echo: <message>`, no word delay), so every reply is known in advance.
 * Messages are direct messages (`peerKind: "direct"`, chat id = sender id, as on Telegram); with OpenClaw's default
 * `session.dmScope: "main"` they land in `agent:main:main`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { admin } from '../helpers/admin.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';

export type ConformanceMessage = {
  chatId: string;
  senderId: string;
  messageId: string;
  text: string;
};

export type ChannelNetwork = {
  config: Record<string, unknown>;
  inject(gateway: TestGateway, message: ConformanceMessage): Promise<void>;
  delivered(chatId: string): string[];
  rateLimitNext(count: number): void;
  rateLimited(): number;
  close(): Promise<void>;
};

export type ChannelHarness = {
  channel: string;
  textChunkLimit: number;
  createNetwork(): Promise<ChannelNetwork>;
};

/** Generous: the suite runs beside three other test processes on two cores. */
const DEADLINE_MS = 20_000;
const ECHO = 'Echo: ';

/** Polls `read` until `done` holds or the deadline passes; never sleeps a fixed time to wait. */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = DEADLINE_MS,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whitespace at a split point may be dropped by the network (Telegram trims); the words must all be there once. */
const words = (text: string) => text.trim().split(/\s+/).join(' ');

function gatewayConfig(harness: ChannelHarness, network: ChannelNetwork): Record<string, unknown> {
  return {
    models: { echo: { wordDelayMs: 0 } },
    channels: {
      [harness.channel]: {
        ...network.config,
        dmPolicy: 'open',
        allowFrom: ['*'],
        textChunkLimit: harness.textChunkLimit,
      },
    },
  };
}

async function userMessages(gw: TestGateway, t: { after(fn: () => void): void }): Promise<string[]> {
  const client = await admin(t, gw);
  const res = await client.request('chat.history', { sessionKey: 'agent:main:main', limit: 200 });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const { messages } = res.payload as { messages: { role: string; content: unknown }[] };
  return messages
    .filter((message) => message.role === 'user')
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : (message.content as { text?: string }[]).map((block) => block.text ?? '').join(''),
    );
}

export function runChannelConformance(harness: ChannelHarness): void {
  const name = harness.channel;

  test(`${name} conformance: inbound → route → turn → outbound, with status`, async (t) => {
    const network = await harness.createNetwork();
    t.after(() => network.close());
    const gw = await startTestGateway({ config: gatewayConfig(harness, network) });
    t.after(() => gw.close());

    await network.inject(gw, { chatId: '5001', senderId: '5001', messageId: '1', text: 'hello conformance' });
    const delivered = await eventually(
      () => network.delivered('5001'),
      (texts) => texts.length >= 1 && texts.at(-1) === `${ECHO}hello conformance`,
      'the echo reply',
    );
    assert.deepEqual(delivered, [`${ECHO}hello conformance`]);
    assert.deepEqual(await userMessages(gw, t), ['hello conformance']);

    const client = await admin(t, gw);
    const res = await client.request('channels.status', {});
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assertMatchesOfficial('ChannelsStatusResult', res.payload);
    const status = res.payload as {
      channelAccounts: Record<
        string,
        {
          accountId: string;
          running?: boolean;
          lastInboundAt?: number | null;
          lastOutboundAt?: number | null;
        }[]
      >;
    };
    const account = status.channelAccounts[name]?.[0];
    assert.ok(account, `channels.status lists no ${name} account`);
    assert.equal(account.running, true);
    assert.equal(typeof account.lastInboundAt, 'number');
    assert.equal(typeof account.lastOutboundAt, 'number');
  });

  test(`${name} conformance: a reply longer than textChunkLimit is split, nothing lost or repeated`, async (t) => {
    const network = await harness.createNetwork();
    t.after(() => network.close());
    const gw = await startTestGateway({ config: gatewayConfig(harness, network) });
    t.after(() => gw.close());

    const limit = harness.textChunkLimit;
    const parts: string[] = [];
    for (let i = 0; parts.join(' ').length < limit * 2.5; i += 1) parts.push(`word${i}`);
    const text = parts.join(' ');
    const expected = words(`${ECHO}${text}`);
    await network.inject(gw, { chatId: '5002', senderId: '5002', messageId: '1', text });
    const delivered = await eventually(
      () => network.delivered('5002'),
      (texts) => words(texts.join(' ')) === expected,
      'the whole reply, split',
    );
    assert.ok(delivered.length >= 3, `expected at least 3 messages, got ${delivered.length}`);
    for (const piece of delivered) {
      assert.ok(piece.length <= limit, `a message of ${piece.length} characters exceeds ${limit}`);
      assert.ok(piece.trim().length > 0, 'an empty message was delivered');
    }
  });

  test(`${name} conformance: after a restart a re-delivered message runs no second turn and gets no second reply`, async (t) => {
    const network = await harness.createNetwork();
    t.after(() => network.close());
    const stateDir = mkdtempSync(join(tmpdir(), `clawgate-conformance-${name}-`));
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const config = gatewayConfig(harness, network);
    const first = { chatId: '5003', senderId: '5003', messageId: '41', text: 'before restart' };
    const second = { chatId: '5003', senderId: '5003', messageId: '42', text: 'after restart' };

    const gw1 = await startTestGateway({ config, stateDir });
    await network.inject(gw1, first);
    await eventually(
      () => network.delivered('5003'),
      (texts) => texts.at(-1) === `${ECHO}before restart`,
      'the reply before the restart',
    );
    await gw1.close();

    const gw2 = await startTestGateway({ config, stateDir });
    t.after(() => gw2.close());
    await network.inject(gw2, first);
    await network.inject(gw2, second);
    const delivered = await eventually(
      () => network.delivered('5003'),
      (texts) => texts.at(-1) === `${ECHO}after restart`,
      'the reply after the restart',
    );
    assert.deepEqual(delivered, [`${ECHO}before restart`, `${ECHO}after restart`]);
    assert.deepEqual(await userMessages(gw2, t), ['before restart', 'after restart']);
  });

  test(`${name} conformance: a rate-limited delivery is retried after the network's retry-after, once`, async (t) => {
    const network = await harness.createNetwork();
    t.after(() => network.close());
    const gw = await startTestGateway({ config: gatewayConfig(harness, network) });
    t.after(() => gw.close());

    network.rateLimitNext(1);
    await network.inject(gw, { chatId: '5004', senderId: '5004', messageId: '1', text: 'slow down' });
    const delivered = await eventually(
      () => network.delivered('5004'),
      (texts) => texts.at(-1) === `${ECHO}slow down`,
      'the reply after the rate limit',
    );
    assert.equal(network.rateLimited(), 1);
    assert.deepEqual(delivered, [`${ECHO}slow down`]);
  });
}
