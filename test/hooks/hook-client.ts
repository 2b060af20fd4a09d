import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import type { TestGateway } from '../helpers/gateway.ts';

export const HOOK_TOKEN = 'hook-token-0123456789abcdefghij';
export const BEARER = { authorization: `Bearer ${HOOK_TOKEN}` };
/** Echo replies at once, so a hook run ends as soon as it starts. */
export const ECHO_FAST = { models: { echo: { wordDelayMs: 0 } } };

export type HookResponse = { status: number; headers: IncomingHttpHeaders; text: string };

export type HookRequest = {
  method?: string;
  headers?: Record<string, string>;
  /** A string or object (JSON-encoded) sent with a Content-Length. */
  body?: unknown;
  /** Sent chunked, without a Content-Length, one write each. */
  chunks?: Buffer[];
};

/**
 * One real HTTP request to the gateway on its own connection (no keep-alive pool, so nothing outlives the test).
 * The answer is what counts: a server that answers early and closes (413) may cut the upload off, and the
 * resulting socket error is ignored once the response arrived.
 */
export function hookRequest(gw: TestGateway, path: string, options: HookRequest = {}): Promise<HookResponse> {
  const { method = 'POST', headers = BEARER } = options;
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string' || Buffer.isBuffer(options.body)
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${gw.httpUrl}${path}`, { method, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

export function jsonOf<T = Record<string, unknown>>(response: HookResponse): T {
  return JSON.parse(response.text) as T;
}

/**
 * Sends a request's head and only part of its body on a raw socket, then waits for whatever the server answers
 * and for the socket to close. Resolves with the raw answer.
 */
export function stalledRequest(
  gw: TestGateway,
  path: string,
  declaredLength: number,
  sent: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1');
    let answer = '';
    socket.on('connect', () =>
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${HOOK_TOKEN}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${sent}`,
      ),
    );
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** A gateway config with hooks enabled (and fast echo), laid over `extra`. */
export function hooksConfig(hooks: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { ...ECHO_FAST, ...extra, hooks: { enabled: true, token: HOOK_TOKEN, ...hooks } };
}
