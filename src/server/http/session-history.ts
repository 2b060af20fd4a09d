import type { IncomingMessage, ServerResponse } from 'node:http';
import { readHistory } from '../../chat/history.ts';
import { chatTarget } from '../../chat/targets.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { GatewayContext } from '../context.ts';
import { requireBearer } from './bearer-auth.ts';
import { sendJson } from './respond.ts';

const HISTORY_PATH = /^\/sessions\/([^/]+)\/history$/;

/** `GET /sessions/<key>/history?limit=&cursor=`: chat.history over HTTP, Bearer-authenticated. */
export function handleSessionHistory(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  const match = HISTORY_PATH.exec(path);
  if (!match) return false;
  if (!requireBearer(ctx, req, res)) return true;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(
      res,
      405,
      { error: { message: 'Method Not Allowed', type: 'method_not_allowed' } },
      { allow: 'GET, HEAD' },
    );
    return true;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
    sendJson(res, 400, { error: { message: 'limit must be an integer 1-1000', type: 'invalid_request' } });
    return true;
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
    return true;
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
  return true;
}
