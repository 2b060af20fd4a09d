import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the registry answers one request; may hold the response open (a stalled registry). */
export type RegistryReply = (req: IncomingMessage, res: ServerResponse) => void;

/** npm's dist-tag document, cut down to what the update check reads (plus a field it must ignore). */
export const answerVersion =
  (version: string): RegistryReply =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: 'clawgate', version, dist: { tarball: 'http://127.0.0.1/x.tgz' } }));
  };

/** Never answers: the request stays open until the client gives up or the registry closes. */
export const stall: RegistryReply = () => undefined;

/**
 * A local stand-in for the npm registry on 127.0.0.1, port 0: counts requests, answers from `replies` in order
 * (the last one repeats), and lets a test wait for the n-th request instead of sleeping.
 */
export class FakeRegistry {
  readonly requests: IncomingMessage[] = [];
  replies: RegistryReply[];
  readonly #server: Server;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(server: Server, replies: RegistryReply[]) {
    this.#server = server;
    this.replies = replies;
    server.on('request', (req, res) => {
      this.requests.push(req);
      const reply = this.replies[Math.min(this.requests.length, this.replies.length) - 1];
      reply(req, res);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (this.requests.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  static async start(
    t: { after(fn: () => unknown): void },
    ...replies: RegistryReply[]
  ): Promise<FakeRegistry> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const registry = new FakeRegistry(server, replies.length > 0 ? replies : [answerVersion('0.0.0')]);
    t.after(() => registry.close());
    return registry;
  }

  url(path = '/clawgate/latest'): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Resolves once `count` requests in all have arrived. */
  requested(count = 1, timeoutMs = 5_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`registry saw ${this.requests.length} of ${count} requests`)),
        timeoutMs,
      );
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    // Stalled responses would otherwise hold close() open forever.
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}
