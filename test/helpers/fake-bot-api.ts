import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Telegram Bot API server speaking the real JSON at `/bot<token>/<method>`, for the gateway's
 * `channels.telegram.apiRoot`. It keeps chats, messages and an update queue; `getUpdates` long-polls with the
 * Bot API's offset semantics (an offset confirms every update before it) and a newer call ends a waiting one
 * with 409, as Telegram does. Tests queue updates, read every call back, and inject errors (429, 5xx).
 */

export type BotUser = {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
};
export type Chat = {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  is_forum?: boolean;
};
export type MessageEntity = { type: string; offset: number; length: number; user?: BotUser };
export type Message = {
  message_id: number;
  date: number;
  chat: Chat;
  from?: BotUser;
  text?: string;
  caption?: string;
  entities?: MessageEntity[];
  message_thread_id?: number;
  is_topic_message?: boolean;
  reply_to_message?: Message;
  edit_date?: number;
  [extra: string]: unknown;
};
export type Update = { update_id: number; [kind: string]: unknown };

export type RecordedCall = {
  method: string;
  params: Record<string, unknown>;
  /** `performance.now()` when the request's body had arrived. */
  at: number;
  /** The token the call came with (tests assert the bad one was tried). */
  token: string;
};

export type ApiErrorReply = {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
};

export type FakeBotApiOptions = {
  token?: string;
  bot?: Partial<BotUser> & { can_join_groups?: boolean; can_read_all_group_messages?: boolean };
  /** Start with a webhook set, so `getUpdates` conflicts until `deleteWebhook`. */
  webhookUrl?: string;
};

type Waiter = { offset: number; limit: number; res: ServerResponse; timer: NodeJS.Timeout };

export const FAKE_BOT_TOKEN = '123456:TEST-fake-bot-token-abcdefghijkl';
const MAX_TEXT = 4096;

export class FakeBotApi {
  readonly token: string;
  readonly bot: BotUser & Record<string, unknown>;
  readonly calls: RecordedCall[] = [];
  /** When each update was handed out by `getUpdates` for the first time (`performance.now()`). */
  readonly deliveredAt = new Map<number, number>();
  /** Messages the bot sent successfully, in order (what a Telegram user would see). */
  readonly outbox: Message[] = [];
  commands: unknown[] = [];
  webhookUrl: string;
  #server: Server;
  #port = 0;
  #nextUpdateId = 1000;
  #updates: Update[] = [];
  /** Updates served once more regardless of the offset (a re-delivery after a crash). */
  #replay: Update[] = [];
  #replayed = 0;
  #replayServed = 0;
  /** Injected failures served so far, by error code. */
  readonly failuresServed = new Map<number, number>();
  #waiter: Waiter | undefined;
  #chats = new Map<number, Chat>();
  #messages = new Map<string, Message>();
  #nextMessageId = new Map<number, number>();
  #failures = new Map<string, ApiErrorReply[]>();
  #drops = new Map<string, number>();
  #listeners = new Set<() => void>();
  #closed = false;

  constructor(options: FakeBotApiOptions = {}) {
    this.token = options.token ?? FAKE_BOT_TOKEN;
    this.bot = {
      id: Number(this.token.split(':')[0]) || 123456,
      is_bot: true,
      first_name: 'Claw Test',
      username: 'claw_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      ...options.bot,
    };
    this.webhookUrl = options.webhookUrl ?? '';
    // Node's default keep-alive timeout: raised to 60 s (the headersTimeout), reused sockets were reset under load.
    this.#server = createServer((req, res) => this.#onRequest(req, res));
  }

  /** Port 0 picks a free one; a given port lets a test bring "Telegram" back where it was. */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** What `channels.telegram.apiRoot` is set to. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Updates not yet confirmed by a `getUpdates` offset. */
  get pendingUpdates(): number {
    return this.#updates.length;
  }

  // --- queueing updates ---------------------------------------------------------------------------------

  queue(kind: string, payload: unknown): number {
    const update_id = this.#nextUpdateId++;
    this.#updates.push({ update_id, [kind]: payload });
    this.#flush();
    return update_id;
  }

  /**
   * Serves an update again on the next `getUpdates`, even though its id is below the offset: what Telegram does
   * when the poller crashed before an offset confirmed it. Resolves once it was handed out.
   */
  async redeliver(update: Update, timeoutMs = 20_000): Promise<void> {
    const target = ++this.#replayed;
    this.#replay.push(update);
    this.#flush();
    await this.waitFor(
      () => this.#replayServed >= target,
      timeoutMs,
      `re-delivery of update ${update.update_id}`,
    );
  }

  /** The update with this id, while Telegram still holds it. */
  update(updateId: number): Update | undefined {
    return this.#updates.find((update) => update.update_id === updateId);
  }

  /** A user's direct message to the bot. Returns the update and the message. */
  dm(from: Partial<BotUser> & { id: number }, text: string, extra: Partial<Message> = {}) {
    const user = { is_bot: false, first_name: `User ${from.id}`, ...from };
    const chat = this.#chat({ id: user.id, type: 'private' });
    const message = this.#message(chat, user, text, extra);
    return { updateId: this.queue('message', message), message };
  }

  /** A group message; `mention` puts `@<bot>` in front with a mention entity, as Telegram clients send it. */
  group(
    chat: { id: number; title?: string; type?: 'group' | 'supergroup'; is_forum?: boolean },
    from: Partial<BotUser> & { id: number },
    text: string,
    options: { mention?: boolean; threadId?: number; replyTo?: Message; extra?: Partial<Message> } = {},
  ) {
    const user = { is_bot: false, first_name: `User ${from.id}`, ...from };
    const groupChat = this.#chat({ type: 'supergroup', title: `Group ${chat.id}`, ...chat });
    const mention = `@${this.bot.username}`;
    const body = options.mention ? `${mention} ${text}` : text;
    const extra: Partial<Message> = { ...options.extra };
    if (options.mention) extra.entities = [{ type: 'mention', offset: 0, length: mention.length }];
    if (options.threadId !== undefined) {
      extra.message_thread_id = options.threadId;
      extra.is_topic_message = true;
    }
    if (options.replyTo) extra.reply_to_message = options.replyTo;
    const message = this.#message(groupChat, user, body, extra);
    return { updateId: this.queue('message', message), message };
  }

  // --- inspecting and injecting -------------------------------------------------------------------------

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Texts the bot delivered to a chat, in order (refused calls excluded). */
  sentTo(chatId: number): string[] {
    return this.outbox.filter((message) => message.chat.id === chatId).map((message) => String(message.text));
  }

  /** The next `count` calls of `method` fail with this error (429 with retry_after, 500, …). */
  failNext(method: string, error: ApiErrorReply, count = 1): void {
    const queue = this.#failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(error);
    this.#failures.set(method, queue);
  }

  /** The next `count` calls of `method` get their connection cut before any answer (a network failure). */
  dropNext(method: string, count = 1): void {
    this.#drops.set(method, (this.#drops.get(method) ?? 0) + count);
  }

  /** Resolves once `predicate` holds (checked after every call), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Bot API: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
    });
  }

  /** Waits for the `n`-th call of `method` (1-based) and returns it. */
  async waitForCall(method: string, n = 1, timeoutMs = 20_000): Promise<RecordedCall> {
    await this.waitFor(() => this.callsOf(method).length >= n, timeoutMs, `${n}× ${method}`);
    return this.callsOf(method)[n - 1];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiter) {
      clearTimeout(this.#waiter.timer);
      this.#waiter = undefined;
    }
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // --- the HTTP side ------------------------------------------------------------------------------------

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!match) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      const [, token, method] = match;
      let params: Record<string, unknown>;
      try {
        params = parseParams(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'], url);
      } catch {
        return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      }
      this.calls.push({ method, params, at: performance.now(), token });
      this.#notify();
      if (token !== this.token)
        return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const drops = this.#drops.get(method) ?? 0;
      if (drops > 0) {
        this.#drops.set(method, drops - 1);
        return void req.socket.destroy();
      }
      const failure = this.#failures.get(method)?.shift();
      if (failure) {
        this.failuresServed.set(failure.error_code, (this.failuresServed.get(failure.error_code) ?? 0) + 1);
        return reply(res, failure.error_code, { ok: false, ...failure });
      }
      this.#dispatch(method, params, res);
      // Again once the call took effect (an edit changed a message), for predicates on the state.
      this.#notify();
    });
  }

  #dispatch(method: string, params: Record<string, unknown>, res: ServerResponse) {
    switch (method) {
      case 'getMe':
        return ok(res, this.bot);
      case 'getUpdates':
        return this.#getUpdates(params, res);
      case 'sendMessage':
        return this.#sendMessage(params, res);
      case 'editMessageText':
        return this.#editMessageText(params, res);
      case 'sendChatAction':
        return this.#chatOf(params, res) ? ok(res, true) : undefined;
      case 'setMyCommands':
        this.commands = Array.isArray(params.commands) ? params.commands : [];
        return ok(res, true);
      case 'getMyCommands':
        return ok(res, this.commands);
      case 'deleteMyCommands':
        this.commands = [];
        return ok(res, true);
      case 'setWebhook':
        this.webhookUrl = String(params.url ?? '');
        return ok(res, true);
      case 'deleteWebhook':
        this.webhookUrl = '';
        if (params.drop_pending_updates) this.#updates = [];
        return ok(res, true);
      case 'getWebhookInfo':
        return ok(res, {
          url: this.webhookUrl,
          has_custom_certificate: false,
          pending_update_count: this.#updates.length,
        });
      case 'getChat': {
        const chat = this.#chatOf(params, res);
        return chat ? ok(res, chat) : undefined;
      }
      case 'logOut':
      case 'close':
        return ok(res, true);
      default:
        return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  }

  #getUpdates(params: Record<string, unknown>, res: ServerResponse) {
    if (this.webhookUrl) {
      return reply(res, 409, {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      });
    }
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(Math.max(Number(params.limit ?? 100), 1), 100);
    const timeout = Math.max(Number(params.timeout ?? 0), 0);
    // An offset confirms every update before it: Telegram forgets them (negative offsets count from the end).
    if (offset > 0) this.#updates = this.#updates.filter((update) => update.update_id >= offset);
    if (this.#waiter) {
      const previous = this.#waiter;
      this.#waiter = undefined;
      clearTimeout(previous.timer);
      reply(previous.res, 409, {
        ok: false,
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      });
    }
    const ready = this.#select(offset, limit);
    if (ready.length > 0 || timeout === 0) return this.#deliver(res, ready);
    const waiter: Waiter = {
      offset,
      limit,
      res,
      timer: setTimeout(() => {
        if (this.#waiter === waiter) this.#waiter = undefined;
        this.#deliver(res, []);
      }, timeout * 1000),
    };
    this.#waiter = waiter;
    res.on('close', () => {
      if (this.#waiter !== waiter) return;
      clearTimeout(waiter.timer);
      this.#waiter = undefined;
    });
  }

  #select(offset: number, limit: number): Update[] {
    const replay = this.#replay.slice(0, limit);
    if (offset < 0) return [...replay, ...this.#updates.slice(offset)].slice(0, limit);
    return [...replay, ...this.#updates.filter((update) => update.update_id >= offset)].slice(0, limit);
  }

  #deliver(res: ServerResponse, updates: Update[]): void {
    const now = performance.now();
    const replayed = updates.filter((update) => this.#replay.includes(update)).length;
    this.#replay.splice(0, replayed);
    this.#replayServed += replayed;
    this.#notify();
    for (const update of updates) {
      if (!this.deliveredAt.has(update.update_id)) this.deliveredAt.set(update.update_id, now);
    }
    ok(res, updates);
  }

  #flush(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const ready = this.#select(waiter.offset, waiter.limit);
    if (ready.length === 0) return;
    this.#waiter = undefined;
    clearTimeout(waiter.timer);
    this.#deliver(waiter.res, ready);
  }

  #sendMessage(params: Record<string, unknown>, res: ServerResponse) {
    const chat = this.#chatOf(params, res);
    if (!chat) return;
    const text = typeof params.text === 'string' ? params.text : '';
    if (text.trim() === '') return badRequest(res, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT) return badRequest(res, 'Bad Request: message is too long');
    const threadId = params.message_thread_id === undefined ? undefined : Number(params.message_thread_id);
    if (threadId !== undefined && chat.type === 'supergroup' && !chat.is_forum) {
      return badRequest(res, 'Bad Request: message thread not found');
    }
    const extra: Partial<Message> = {};
    if (threadId !== undefined) {
      extra.message_thread_id = threadId;
      extra.is_topic_message = true;
    }
    const replyTo = (params.reply_parameters as { message_id?: number } | undefined)?.message_id;
    if (replyTo !== undefined) {
      const original = this.#messages.get(`${chat.id}:${replyTo}`);
      if (original) extra.reply_to_message = original;
    }
    const message = this.#message(chat, this.bot, text, extra);
    this.outbox.push(message);
    this.#notify();
    ok(res, message);
  }

  #editMessageText(params: Record<string, unknown>, res: ServerResponse) {
    const chat = this.#chatOf(params, res);
    if (!chat) return;
    const message = this.#messages.get(`${chat.id}:${Number(params.message_id)}`);
    if (!message || message.from?.id !== this.bot.id) {
      return badRequest(res, 'Bad Request: message to edit not found');
    }
    const text = typeof params.text === 'string' ? params.text : '';
    if (text.trim() === '') return badRequest(res, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT) return badRequest(res, 'Bad Request: MESSAGE_TOO_LONG');
    if (text === message.text) {
      return badRequest(
        res,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    message.text = text;
    message.edit_date = Math.floor(Date.now() / 1000);
    ok(res, message);
  }

  #chatOf(params: Record<string, unknown>, res: ServerResponse): Chat | undefined {
    const chat = this.#chats.get(Number(params.chat_id));
    if (!chat) badRequest(res, 'Bad Request: chat not found');
    return chat;
  }

  #chat(chat: Chat): Chat {
    const known = this.#chats.get(chat.id);
    if (known) return known;
    this.#chats.set(chat.id, chat);
    return chat;
  }

  #message(chat: Chat, from: BotUser, text: string, extra: Partial<Message>): Message {
    // A test may choose a message's id; later ones count on from it, as ids in a chat only grow.
    const message_id = extra.message_id ?? (this.#nextMessageId.get(chat.id) ?? 0) + 1;
    this.#nextMessageId.set(chat.id, Math.max(message_id, this.#nextMessageId.get(chat.id) ?? 0));
    const message: Message = {
      message_id,
      date: Math.floor(Date.now() / 1000),
      chat,
      from,
      ...(text ? { text } : {}),
      ...extra,
    };
    this.#messages.set(`${chat.id}:${message_id}`, message);
    return message;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export async function startFakeBotApi(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
  return new FakeBotApi(options).listen();
}

function parseParams(body: string, contentType: string | undefined, url: URL): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (body === '') return params;
  if (contentType?.includes('application/json')) return { ...params, ...(JSON.parse(body) as object) };
  // Form posts carry objects as JSON strings, as the Bot API accepts them.
  for (const [key, value] of new URLSearchParams(body)) {
    params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return params;
}

function ok(res: ServerResponse, result: unknown): void {
  reply(res, 200, { ok: true, result });
}

function badRequest(res: ServerResponse, description: string): void {
  reply(res, 400, { ok: false, error_code: 400, description });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
