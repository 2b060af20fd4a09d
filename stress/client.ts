/**
 * A small pipelining WebSocket client for the stress scenarios: requests are matched to responses by id, every
 * frame is counted, and the close code/reason/time are recorded.
 */
import WebSocket from 'ws';

export type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: Record<string, unknown> & { type?: string };
  error?: { code: string; message: string; details?: Record<string, unknown> };
  event?: string;
};

export type CloseInfo = { code: number; reason: string; at: number };

export type ConnectOptions = {
  token?: string;
  headers?: Record<string, string>;
  scopes?: string[];
  client?: Record<string, unknown>;
  /** Extra connect params (e.g. a signed `device`). */
  extra?: Record<string, unknown>;
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 10_000;

export class StressClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  readonly challenge: Promise<{ nonce: string; ts: number }>;
  closeInfo: CloseInfo | undefined;
  responses = 0;
  #pending = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  #ids = 0;
  #eventListeners: ((frame: Frame) => void)[] = [];
  #resListeners: ((frame: Frame) => void)[] = [];

  constructor(url: string, headers?: Record<string, string>) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, headers, maxPayload: 256 * 1024 * 1024 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        this.ws.terminate();
      });
    });
    this.opened.catch(() => undefined);
    let gotChallenge: (c: { nonce: string; ts: number }) => void = () => undefined;
    let noChallenge: (error: Error) => void = () => undefined;
    this.challenge = new Promise((resolve, reject) => {
      gotChallenge = resolve;
      noChallenge = reject;
    });
    this.challenge.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), at: performance.now() };
        noChallenge(new Error(`socket closed ${code} before the challenge`));
        for (const [, waiter] of this.#pending) waiter.reject(new Error(`socket closed ${code}`));
        this.#pending.clear();
        resolve(this.closeInfo);
      });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'event') {
        if (frame.event === 'connect.challenge') gotChallenge(frame.payload as { nonce: string; ts: number });
        for (const listener of this.#eventListeners) listener(frame);
        return;
      }
      if (frame.type !== 'res') return;
      this.responses++;
      for (const listener of this.#resListeners) listener(frame);
      const waiter = frame.id === undefined ? undefined : this.#pending.get(frame.id);
      if (waiter && frame.id !== undefined) {
        this.#pending.delete(frame.id);
        waiter.resolve(frame);
      }
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  onEvent(listener: (frame: Frame) => void): void {
    this.#eventListeners.push(listener);
  }

  onResponse(listener: (frame: Frame) => void): void {
    this.#resListeners.push(listener);
  }

  sendRaw(data: string | Buffer): void {
    if (this.open) this.ws.send(data);
  }

  /** Sends a request and resolves with its response (rejects on close or timeout). */
  call(
    method: string,
    params?: unknown,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    id = `r${++this.#ids}`,
  ): Promise<Frame> {
    return new Promise((resolve, reject) => {
      if (!this.open) {
        reject(new Error('socket not open'));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no response to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.ws.send(JSON.stringify({ type: 'req', id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  /** Waits for the challenge, sends `connect`, resolves with the response frame (ok or not). */
  async connect(options: ConnectOptions = {}): Promise<Frame> {
    await this.challenge;
    const params = {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: 'cli', version: '0.0.1', platform: 'linux', mode: 'cli', ...options.client },
      role: 'operator',
      scopes: options.scopes ?? ['operator.admin'],
      caps: [],
      auth: options.token === undefined ? {} : { token: options.token },
      ...options.extra,
    };
    return this.call('connect', params, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'connect');
  }

  terminate(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

/** Opens a socket and completes the handshake; throws unless hello-ok arrives. */
export async function connectAdmin(
  url: string,
  token: string,
  options: ConnectOptions = {},
): Promise<StressClient> {
  const client = new StressClient(url, options.headers);
  const hello = await client.connect({ token, ...options });
  if (!hello.ok || hello.payload?.type !== 'hello-ok') {
    client.terminate();
    throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
  }
  return client;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export type ScenarioResult = {
  name: string;
  pass: boolean;
  /** Human-readable figures, one per line. */
  figures: string[];
  failures: string[];
};

export function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}
