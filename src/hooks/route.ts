import type { RouteDefinition } from '../server/registry.ts';

/**
 * `<hooks.path>` and everything under it, while `hooks.enabled`; disabled, the path falls through to the rest
 * of the routes (404, as OpenClaw). `match` reads the live config and nothing else, so a reload that enables,
 * disables or moves the hooks applies to the next request. The token is the route's own (`auth: 'none'` keeps
 * the gateway's Bearer check out), and the pipeline loads on the first webhook request, not at start-up.
 */
export const hooksRoute: RouteDefinition = {
  name: 'hooks',
  auth: 'none',
  match: (ctx, path) => {
    const { enabled, path: base } = ctx.configState.config.hooks;
    return enabled && (path === base || path.startsWith(`${base}/`));
  },
  handle: (ctx, req, res, path) => {
    import('./http-handler.ts')
      .then((pipeline) => pipeline.handleHookRequest(ctx, req, res, path))
      .catch((error: unknown) => {
        ctx.logger.error('webhook request failed', { path, error: (error as Error).stack });
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
          res.end('Internal Server Error');
        }
      });
  },
};
