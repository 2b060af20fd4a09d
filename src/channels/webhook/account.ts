import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { BodyError, readBody } from '../../server/http/read-body.ts';
import { sendJson } from '../../server/http/respond.ts';
import type {
  ChannelAccountContext,
  ChannelAccountHandle,
  InboundMessage,
  OutboundMessage,
  SentMessage,
} from '../channel-types.ts';
import { WEBHOOK_CHANNEL_ID, type WebhookSettings } from './config.ts';
import { postJson, retryAfterMs } from './post.ts';
import { checkSignature, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.ts';

/** An inbound body must arrive within this (a trickling sender must not hold the request open). */
const INBOUND_BODY_TIMEOUT_MS = 30_000;
/** How soon a sender is told to retry a message the gateway could not take (shutting down). */
const RETRY_INBOUND_SECONDS = 5;

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;
const realSleep: Sleep = (ms, signal) => sleepFor(ms, undefined, { signal });

type Obj = Record<string, unknown>;

class InboundError extends Error {}

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;

/** The inbound JSON (docs/channels.md): `messageId`, `from` and `text` required; `chatId` defaults to `from`. */
export function parseInbound(body: unknown, nowMs: number): InboundMessage {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InboundError('the body must be a JSON object');
  const json = body as Obj;
  const messageId = idOf(json.messageId);
  if (!messageId) throw new InboundError('messageId: a string or number is required');
  const senderId = idOf(json.from ?? json.senderId);
  if (!senderId) throw new InboundError('from: the sender id (a string or number) is required');
  if (typeof json.text !== 'string') throw new InboundError('text: a string is required');
  const chatType = json.chatType ?? 'direct';
  if (chatType !== 'direct' && chatType !== 'group' && chatType !== 'channel') {
    throw new InboundError('chatType: must be direct, group or channel');
  }
  const chatId = json.chatId === undefined ? senderId : idOf(json.chatId);
  if (!chatId) throw new InboundError('chatId: a string or number');
  const message: InboundMessage = {
    messageId,
    chatId,
    peerKind: chatType,
    senderId,
    text: json.text,
    timestamp: typeof json.timestamp === 'number' && Number.isFinite(json.timestamp) ? json.timestamp : nowMs,
  };
  const threadId = idOf(json.threadId);
  if (threadId) message.threadId = threadId;
  if (typeof json.senderName === 'string') message.senderName = json.senderName;
  if (typeof json.senderUsername === 'string') message.senderUsername = json.senderUsername;
  if (typeof json.mentioned === 'boolean') message.wasMentioned = json.mentioned;
  return message;
}

/**
 * One running webhook account: serves its inbound endpoint (signature, body cap, JSON) and POSTs each outbound
 * message to `url`, signed, retried on network errors, timeouts, 408/425/429 and 5xx (a `Retry-After` is honoured,
 * else the delay doubles from `retryDelayMs` up to `retryMaxDelayMs`), and dead-lettered after the last attempt.
 */
export async function startWebhookAccount(
  ctx: ChannelAccountContext,
  options: { sleep?: Sleep } = {},
): Promise<ChannelAccountHandle> {
  const settings = ctx.account.settings as WebhookSettings;
  const url = new URL(settings.url);
  const sleep = options.sleep ?? realSleep;
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    work.then(
      () => inflight.delete(work),
      () => inflight.delete(work),
    );
    return work;
  };
  ctx.report({ connected: true, lastError: null });
  ctx.logger.info(
    `receiving at POST ${String(ctx.account.statusFields?.webhookPath)}, replying to ${url.origin}`,
  );
  return {
    send: (message) => track(deliver(ctx, settings, url, message, sleep)),
    handleRequest: (req, res) => {
      track(handleInbound(ctx, settings, req, res)).catch((error: unknown) => {
        ctx.logger.error('an inbound request failed', { error: (error as Error).stack });
        if (!res.headersSent)
          sendJson(res, 500, { ok: false, error: 'internal error' }, { connection: 'close' });
        else res.destroy();
      });
    },
    stop: async () => {
      // The manager has aborted ctx.signal: back-off sleeps end and their messages are dead-lettered.
      await Promise.allSettled([...inflight]);
    },
  };
}

async function handleInbound(
  ctx: ChannelAccountContext,
  settings: WebhookSettings,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, settings.maxBodyBytes, { timeoutMs: INBOUND_BODY_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    // The rest of a body that is too large or too slow is not read: the connection closes behind the answer.
    const close: Record<string, string> = error.status === 400 ? {} : { connection: 'close' };
    return sendJson(res, error.status, { ok: false, error: error.message }, close);
  }
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const check = checkSignature(
    settings.secret,
    { signature: header(SIGNATURE_HEADER), timestamp: header(TIMESTAMP_HEADER) },
    body,
    Date.now(),
    settings.toleranceSeconds,
  );
  if (!check.ok) {
    ctx.logger.warn(
      `refused an inbound request from ${req.socket.remoteAddress ?? 'unknown'}: ${check.reason}`,
    );
    return sendJson(res, 401, { ok: false, error: check.reason });
  }
  let message: InboundMessage;
  try {
    message = parseInbound(JSON.parse(body.toString('utf8')), Date.now());
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? `the body is not valid JSON: ${error.message}`
        : (error as Error).message;
    return sendJson(res, 400, { ok: false, error: reason });
  }
  try {
    await ctx.receive(message);
  } catch (error) {
    ctx.logger.warn(`message ${message.messageId} not taken: ${(error as Error).message}`);
    return sendJson(
      res,
      503,
      { ok: false, error: 'the gateway cannot take the message now; retry later' },
      { 'retry-after': String(RETRY_INBOUND_SECONDS) },
    );
  }
  sendJson(res, 202, { ok: true, messageId: message.messageId });
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);

async function deliver(
  ctx: ChannelAccountContext,
  settings: WebhookSettings,
  url: URL,
  message: OutboundMessage,
  sleep: Sleep,
): Promise<SentMessage> {
  const messageId = randomUUID();
  const payload: Obj = {
    type: 'message',
    channel: WEBHOOK_CHANNEL_ID,
    accountId: ctx.account.accountId,
    messageId,
    chatId: message.chatId,
    ...(message.threadId === undefined ? {} : { threadId: message.threadId }),
    ...(message.replyToMessageId === undefined ? {} : { replyToMessageId: message.replyToMessageId }),
    ...(message.silent === undefined ? {} : { silent: message.silent }),
    text: message.text,
    timestamp: Date.now(),
  };
  const body = JSON.stringify(payload);
  const attempts = 1 + settings.retries;
  let made = 0;
  let error = '';
  while (made < attempts) {
    made += 1;
    // Signed afresh each attempt: a retry after a long back-off is still inside the receiver's tolerance.
    const timestamp = Math.floor(Date.now() / 1000);
    let waitMs: number | undefined;
    try {
      const res = await postJson(
        url,
        body,
        {
          [SIGNATURE_HEADER]: signBody(settings.secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          // The same id on every attempt: a receiver that saw an attempt succeed can drop the retry.
          'x-clawgate-delivery': messageId,
          'user-agent': 'clawgate-webhook-channel',
        },
        settings.timeoutMs,
        ctx.signal,
      );
      if (res.status >= 200 && res.status < 300) {
        ctx.report({ lastTransportActivityAt: Date.now() });
        return { messageId, chatId: message.chatId };
      }
      error = `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
      if (!RETRYABLE_STATUS.has(res.status) && res.status < 500) break;
      waitMs = retryAfterMs(res.headers['retry-after'], Date.now());
    } catch (postError) {
      error = (postError as Error).message;
      if (ctx.signal.aborted) break;
    }
    if (made >= attempts) break;
    const backoff = settings.retryDelayMs * 2 ** (made - 1);
    try {
      await sleep(Math.min(waitMs ?? backoff, settings.retryMaxDelayMs), ctx.signal);
    } catch {
      error = `${error}; the account stopped before the next attempt`;
      break;
    }
  }
  await ctx.deadLetter?.({ chatId: message.chatId, payload, attempts: made, error });
  throw new Error(`the reply POST failed after ${made} attempt(s): ${error}`);
}
