import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestGateway } from '../helpers/gateway.ts';
import type { ChannelNetwork, ConformanceMessage } from './conformance.ts';

export const WEBHOOK_SECRET = 'webhook-test-secret-0123456789abcdef';

/** Signs like a webhook sender, written out here rather than borrowed from the code under test. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type Delivery = {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  raw: string;
  signatureOk: boolean;
};

export type WebhookNetwork = ChannelNetwork & {
  url: string;
  /** Every reply POST that arrived (refused ones included), in order. */
  deliveries: Delivery[];
  /** The next `count` POSTs are answered with `status` (and `headers`). */
  failNext(count: number, status: number, headers?: Record<string, string>): void;
  /** Posts an inbound body as given (signed unless `signature` overrides it). */
  post(
    gateway: TestGateway,
    body: string,
    options?: { path?: string; timestamp?: number; signature?: string | null; secret?: string },
  ): Promise<{ status: number; json: Record<string, unknown> }>;
};

/**
 * A webhook peer on 127.0.0.1: it receives the gateway's signed reply POSTs (checking each signature, recording
 * the text by chat, deduplicating retries by X-Clawgate-Delivery) and sends signed inbound messages.
 */
export async function startWebhookNetwork(secret = WEBHOOK_SECRET): Promise<WebhookNetwork> {
  const deliveries: Delivery[] = [];
  const texts = new Map<string, string[]>();
  const seen = new Set<string>();
  let failures: { count: number; status: number; headers: Record<string, string> } = {
    count: 0,
    status: 0,
    headers: {},
  };
  let rateLimited = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const timestamp = Number(req.headers['x-clawgate-timestamp']);
      const signatureOk = req.headers['x-clawgate-signature'] === sign(secret, timestamp, raw);
      const body = JSON.parse(raw) as Record<string, unknown>;
      deliveries.push({ headers: req.headers, body, raw, signatureOk });
      if (!signatureOk) {
        res.writeHead(401).end();
        return;
      }
      if (failures.count > 0) {
        failures.count -= 1;
        if (failures.status === 429) rateLimited += 1;
        res.writeHead(failures.status, failures.headers).end('try later');
        return;
      }
      const delivery = String(req.headers['x-clawgate-delivery']);
      if (!seen.has(delivery)) {
        seen.add(delivery);
        const chat = String(body.chatId);
        texts.set(chat, [...(texts.get(chat) ?? []), String(body.text)]);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/replies`;

  const post: WebhookNetwork['post'] = async (gateway, body, options = {}) => {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-clawgate-timestamp': String(timestamp),
    };
    const signature =
      options.signature === undefined ? sign(options.secret ?? secret, timestamp, body) : options.signature;
    if (signature !== null) headers['x-clawgate-signature'] = signature;
    const res = await fetch(`${gateway.httpUrl}${options.path ?? '/channels/webhook'}`, {
      method: 'POST',
      headers,
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  return {
    url,
    deliveries,
    config: { secret, url, retryDelayMs: 20 },
    post,
    async inject(gateway: TestGateway, message: ConformanceMessage) {
      const body = JSON.stringify({
        messageId: message.messageId,
        chatId: message.chatId,
        from: message.senderId,
        text: message.text,
      });
      const res = await post(gateway, body);
      if (res.status !== 202)
        throw new Error(`inbound POST answered ${res.status}: ${JSON.stringify(res.json)}`);
    },
    delivered: (chatId) => [...(texts.get(chatId) ?? [])],
    rateLimitNext(count) {
      failures = { count, status: 429, headers: { 'retry-after': '1' } };
    },
    failNext(count, status, headers = {}) {
      failures = { count, status, headers };
    },
    rateLimited: () => rateLimited,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
