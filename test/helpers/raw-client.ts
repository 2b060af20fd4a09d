import WebSocket from 'ws';

export type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: unknown;
  error?: {
    code: string;
    message: string;
    details?: Record<string, unknown>;
    retryable?: boolean;
    retryAfterMs?: number;
  };
  event?: string;
  seq?: number;
  stateVersion?: { presence: number; health: number };
};

const DEFAULT_WAIT_MS = 5_000;

/**
 * A raw WebSocket to the gateway that records every frame, for handshake and malformed-input tests. Waits are
 * event-driven with a deadline; nothing sleeps.
 */
export class RawClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** When (performance.now()) each ping arrived; recorded from the start, as one may share a read with hello. */
  readonly pings: number[] = [];
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason (or rejects if the upgrade is refused). */
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #cursor = 0;

  constructor(
    url: string,
    options: { headers?: Record<string, string>; origin?: string; autoPong?: boolean } = {},
  ) {
    this.ws = new WebSocket(url, {
      perMessageDeflate: false,
      headers: options.headers,
      origin: options.origin,
      autoPong: options.autoPong ?? true,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => undefined);
    this.ws.on('ping', () => this.pings.push(performance.now()));
    this.ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
  }

  /** The first recorded (or future) frame matching, after any already consumed by `next`. */
  waitFor(match: (frame: Frame) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const existing = this.frames.find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  /** The first matching frame to arrive from now on (frames already recorded do not count). */
  waitForNew(match: (frame: Frame) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const from = this.frames.length;
    return this.waitFor((frame) => match(frame) && this.frames.indexOf(frame) >= from, timeoutMs);
  }

  /** The next frame in arrival order. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const index = this.#cursor;
    const frame =
      this.frames[index] ?? (await this.waitFor((f) => this.frames.indexOf(f) === index, timeoutMs));
    this.#cursor = index + 1;
    return frame;
  }

  response(id: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    return this.waitFor((frame) => frame.type === 'res' && frame.id === id, timeoutMs);
  }

  event(name: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    return this.waitFor((frame) => frame.type === 'event' && frame.event === name, timeoutMs);
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  async challenge(): Promise<{ nonce: string; ts: number }> {
    const frame = await this.event('connect.challenge');
    return frame.payload as { nonce: string; ts: number };
  }

  #ids = 0;
  async request(method: string, params?: unknown, timeoutMs?: number): Promise<Frame> {
    const id = `r${++this.#ids}`;
    this.send({ type: 'req', id, method, ...(params === undefined ? {} : { params }) });
    return this.response(id, timeoutMs);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.terminate();
  }
}

export type ConnectOverrides = Record<string, unknown> & {
  auth?: Record<string, unknown>;
  client?: Record<string, unknown>;
};

/** Valid `connect` params for a loopback CLI client, with overrides laid on top. */
export function connectParams(
  token: string | undefined,
  overrides: ConnectOverrides = {},
): Record<string, unknown> {
  const { client, auth, ...rest } = overrides;
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'cli', version: '0.0.1', platform: 'linux', mode: 'cli', ...client },
    role: 'operator',
    scopes: ['operator.admin'],
    caps: [],
    auth: token === undefined ? { ...auth } : { token, ...auth },
    ...rest,
  };
}

/** Opens a socket, completes the handshake, and returns the client with its hello-ok frame. */
export async function connectClient(
  url: string,
  token: string | undefined,
  overrides: ConnectOverrides = {},
  options: { headers?: Record<string, string>; origin?: string; autoPong?: boolean } = {},
): Promise<{ client: RawClient; hello: Frame }> {
  const client = new RawClient(url, options);
  await client.challenge();
  client.send({ type: 'req', id: 'connect', method: 'connect', params: connectParams(token, overrides) });
  const hello = await client.response('connect');
  return { client, hello };
}
