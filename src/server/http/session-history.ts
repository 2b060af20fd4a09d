import type { IncomingMessage, ServerResponse } from 'node:http';
import { readHistory } from '../../chat/history.ts';
import { chatTarget } from '../../chat/targets.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { GatewayContext } from '../context.ts';
import type { RouteDefinition } from '../registry.ts';
import { sendJson } from './respond.ts';

const HISTORY_PATH = /^\/sessions\/([^/]+)\/history$/;

/** `GET /sessions/<key>/history?limit=&cursor=`: chat.history over HTTP, Bearer-authenticated. */
export const sessionHistoryRoute: RouteDefinition = {
  name: 'session-history',
  auth: 'bearer',
  match: (_ctx, path) => HISTORY_PATH.test(path),
  handle: (ctx, req, res, path) => handleSessionHistory(ctx, req, res, path),
};

function handleSessionHistory(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const match = HISTORY_PATH.exec(path) as RegExpExecArray;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(
      res,
      405,
      { error: { message: 'Method Not Allowed', type: 'method_not_allowed' } },
      { allow: 'GET, HEAD' },
    );
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
    sendJson(res, 400, { error: { message: 'limit must be an integer 1-1000', type: 'invalid_request' } });
    return;
  }
  let key: string;
  try {
    key = chatTarget(
      ctx.configState.config,
      { sessionKey: decodeURIComponent(match[1] as string) },
      'sessions history',
    ).sessionKey;
  } catch (error) {
    sendJson(res, 400, { error: { message: (error as Error).message, type: 'invalid_request' } });
    return;
  }
  readHistory(ctx.store, key, { limit, cursor: url.searchParams.get('cursor') ?? undefined })
    .then((history) => sendJson(res, 200, { sessionKey: key, ...history }))
    .catch((error: unknown) => {
      const status = error instanceof GatewayError ? 400 : 500;
      sendJson(res, status, {
        error: {
          message: error instanceof GatewayError ? error.message : 'internal error',
          type: 'invalid_request',
        },
      });
    });
}
