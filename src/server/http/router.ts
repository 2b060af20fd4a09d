import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.ts';
import { requireBearer } from './bearer-auth.ts';
import { sendJson } from './respond.ts';

/**
 * Every HTTP request (not upgrades) enters here and goes to the first registered route that claims its path,
 * after that route's auth. Unclaimed paths are 404.
 */
export function handleHttpRequest(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  try {
    for (const route of ctx.registry.routes()) {
      if (!route.match(ctx, path, req)) continue;
      if (route.auth === 'bearer' && !requireBearer(ctx, req, res)) return;
      route.handle(ctx, req, res, path);
      return;
    }
    sendJson(res, 404, { error: { message: 'Not Found', type: 'not_found' } });
  } catch (error) {
    ctx.logger.error('http request failed', { path, error: (error as Error).stack });
    if (!res.headersSent)
      sendJson(res, 500, { error: { message: 'Internal Server Error', type: 'internal' } });
    else res.destroy();
  }
}
