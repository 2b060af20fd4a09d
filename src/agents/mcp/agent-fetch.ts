import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** A `fetch` whose connections belong to one MCP server, so closing the server closes its sockets too. */
export type OwnedFetch = { fetch: typeof fetch; close(): void };

const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` over node:http with a keep-alive agent of its own. The global fetch pools sockets process-wide and keeps
 * them open after the MCP client is gone; this one's `close()` destroys every socket it opened.
 */
export function ownedFetch(): OwnedFetch {
  const http = new HttpAgent({ keepAlive: true });
  const https = new HttpsAgent({ keepAlive: true });
  const run = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const secure = url.protocol === 'https:';
      const headers = Object.fromEntries(
        new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)),
      );
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
        headers,
        agent: secure ? https : http,
        ...(init?.signal ? { signal: init.signal } : {}),
      });
      req.once('error', reject);
      req.once('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 500;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
        }
        const body =
          NO_BODY.has(status) || req.method === 'HEAD'
            ? null
            : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        if (body === null) res.resume();
        resolve(
          new Response(body, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }),
        );
      });
      const body = init?.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else {
        req.destroy();
        reject(new TypeError('MCP HTTP requests carry string or byte bodies only'));
      }
    });
  return {
    fetch: run as typeof fetch,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}
