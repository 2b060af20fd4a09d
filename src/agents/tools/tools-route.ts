import type { RouteDefinition } from '../../server/registry.ts';

export const TOOLS_INVOKE_PATH = '/tools/invoke';

/**
 * `POST /tools/invoke`. The route checks the method before auth (405 either way) and authenticates itself; the
 * handler (and the HTTP helpers with it) loads on the first request, so `clawgate call` and start-up never load it.
 */
export const toolsInvokeRoute: RouteDefinition = {
  name: 'tools-invoke',
  auth: 'none',
  match: (_ctx, path) => path === TOOLS_INVOKE_PATH,
  handle: (ctx, req, res) => {
    import('./tools-http.ts')
      .then(({ handleToolsInvoke }) => handleToolsInvoke(ctx, req, res))
      .catch((error: unknown) => {
        ctx.logger.error('tools/invoke failed', { error: (error as Error).stack });
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
          res.end(JSON.stringify({ ok: false, error: { type: 'tool_error', message: 'internal error' } }));
        }
      });
  },
};
