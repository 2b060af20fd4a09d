import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export type PostResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** Bytes of a receiver's answer kept (for the error message); the rest is read and dropped. */
const MAX_RESPONSE_BYTES = 16 * 1024;

/** Sockets kept open to one receiver: replies to many chats at once reuse them instead of a handshake each. */
const MAX_SOCKETS = 16;

/** A keep-alive pool for one account's receiver; the account destroys it when it stops. */
export function receiverAgent(url: URL): HttpAgent {
  const options = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/** One POST of a JSON body through `agent`. Rejects on a network error, a timeout, or `signal`. */
export function postJson(
  agent: HttpAgent,
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent,
      signal,
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      },
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(body);
  });
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
