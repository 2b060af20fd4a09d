import type { IncomingMessage } from 'node:http';
import { sendJson } from '../server/http/respond.ts';
import type { RouteDefinition } from '../server/registry.ts';
import type { PluginHttpRoute, PluginLogger } from './api.ts';

/**
 * A plugin's HTTP routes live under its own prefix, `/<plugin-id>/…` or `/plugins/<plugin-id>/…` (the paths
 * OpenClaw's own plugins use: `/acme-chat/webhook`, `/plugins/webhooks/zapier`). Two plugins' prefixes never
 * overlap (an id `plugins` may use only the second form); a core route that claims the path is a clash.
 */
export function normalizeRoutePath(pluginId: string, path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\\]/.test(path)) {
    throw new Error(`HTTP route path ${JSON.stringify(path)} must be an absolute path without query`);
  }
  const segments = path.split('/').slice(1);
  if (
    segments.some(
      (segment, i) => segment === '.' || segment === '..' || (segment === '' && i < segments.length - 1),
    )
  ) {
    throw new Error(`HTTP route path ${path} must not hold empty, "." or ".." segments`);
  }
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const own = [`/plugins/${pluginId}`, ...(pluginId === 'plugins' ? [] : [`/${pluginId}`])];
  if (!own.some((prefix) => clean === prefix || clean.startsWith(`${prefix}/`))) {
    throw new Error(`HTTP route ${clean} must live under ${own.join(' or ')}`);
  }
  return clean;
}

export type PluginRoute = { path: string; match: 'exact' | 'prefix'; definition: RouteDefinition };

export function pluginRoute(pluginId: string, route: PluginHttpRoute, logger: PluginLogger): PluginRoute {
  const path = normalizeRoutePath(pluginId, route.path);
  const match = route.match ?? 'exact';
  if (match !== 'exact' && match !== 'prefix')
    throw new Error(`HTTP route ${path}: match must be exact or prefix`);
  const auth = route.auth ?? 'gateway';
  if (auth !== 'gateway' && auth !== 'plugin')
    throw new Error(`HTTP route ${path}: auth must be gateway or plugin`);
  if (typeof route.handler !== 'function') throw new Error(`HTTP route ${path}: handler must be a function`);
  if ('handleUpgrade' in route) throw new Error(`HTTP route ${path}: WebSocket upgrades are not supported`);
  const handler = route.handler;
  const definition: RouteDefinition = {
    name: `plugin:${pluginId}:${path}`,
    auth: auth === 'gateway' ? 'bearer' : 'none',
    match: (_ctx, requested) =>
      requested === path || (match === 'prefix' && requested.startsWith(path === '/' ? '/' : `${path}/`)),
    handle: (_ctx, req, res, requested) => {
      Promise.resolve()
        .then(() => handler(req, res))
        .then((handled) => {
          if (handled === false && !res.headersSent) {
            sendJson(res, 404, { error: { message: 'Not Found', type: 'not_found' } });
          }
        })
        .catch((error: unknown) => {
          logger.error(`HTTP route ${requested} failed`, { error: (error as Error).stack });
          if (res.headersSent) res.destroy();
          else sendJson(res, 500, { error: { message: 'Internal Server Error', type: 'internal' } });
        });
    },
  };
  return { path, match, definition };
}

/** The requests a route clash is probed with: its own path and, for a prefix, a path under it. */
export function probeRequests(route: PluginRoute): { path: string; req: IncomingMessage }[] {
  const paths = route.match === 'prefix' ? [route.path, `${route.path}/x`] : [route.path];
  return paths.map((path) => ({ path, req: { method: 'GET', url: path, headers: {} } as IncomingMessage }));
}
