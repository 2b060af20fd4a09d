import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.ts';
import { handleControlUi } from './control-ui.ts';
import { handleOpenAiApi } from './openai-api.ts';
import { handleProbe } from './probes.ts';
import { sendJson } from './respond.ts';
import { handleSessionHistory } from './session-history.ts';

/** Every HTTP request (not upgrades) enters here. Unclaimed paths are 404. */
export function handleHttpRequest(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  try {
    if (handleProbe(ctx, req, res, path)) return;
    if (handleOpenAiApi(ctx, req, res, path)) return;
    if (handleSessionHistory(ctx, req, res, path)) return;
    if (handleControlUi(ctx, req, res, path)) return;
    sendJson(res, 404, { error: { message: 'Not Found', type: 'not_found' } });
  } catch (error) {
    ctx.logger.error('http request failed', { path, error: (error as Error).stack });
    if (!res.headersSent)
      sendJson(res, 500, { error: { message: 'Internal Server Error', type: 'internal' } });
    else res.destroy();
  }
}
