import type { RouteDefinition } from '../server/registry.ts';

/**
 * `POST /channels/<channel>` (the default account) and `POST /channels/<channel>/<accountId>`, for the running
 * accounts that serve HTTP (the webhook channel's inbound endpoint). Each account checks its own signature, so
 * the gateway's Bearer check stays out; other methods, and paths of accounts not running, fall through (a GET is
 * the Control UI's).
 */
export const channelsRoute: RouteDefinition = {
  name: 'channels',
  auth: 'none',
  match: (ctx, path, req) => req.method === 'POST' && ctx.channels.httpHandler(path) !== undefined,
  handle: (ctx, req, res, path) => {
    const handler = ctx.channels.httpHandler(path);
    if (handler) {
      handler(req, res);
      return;
    }
    // Stopped between match and handle.
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': '5',
      connection: 'close',
    });
    res.end(JSON.stringify({ ok: false, error: 'channel account is not running' }));
  },
};
