import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, open, readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { listAgents } from '../../agents/registry.ts';
import { scopeSatisfied } from '../authz/scopes.ts';
import type { GatewayContext } from '../context.ts';
import type { RouteDefinition } from '../registry.ts';
import { bearerAuthorized } from './bearer-auth.ts';
import { sendJson, unauthorized } from './respond.ts';

/**
 * Static hosting for OpenClaw's browser Control UI (`gateway.controlUi.root`, protocol.md §12): the build's files,
 * `index.html` for the SPA's own routes, and the Bearer-protected `control-ui-config.json`. Everything is read
 * asynchronously and streamed; the only file held in memory is the (small, rewritten) `index.html`.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
};
const OCTET_STREAM = 'application/octet-stream';
/** Text formats the build ships pre-compressed next to the original (`app.js.br`, `app.js.gz`). */
const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.webmanifest',
]);

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Vite names bundle files `<name>-<8-char hash>.<ext>`; the hash holds a capital or a digit, unlike a word. */
const HASHED_ASSET = /^assets\/(?:.+\/)?[^/]+-(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;
const CONFIG_PATH = '/control-ui-config.json';
/** With the UI at `/`, these stay the gateway's own (JSON 404 until something claims them), never the SPA. */
const RESERVED_PREFIXES = ['/api', '/v1', '/__openclaw__'];
const ALLOW = 'GET, HEAD';
const PRINTABLE = /^[\x21-\x7e]*$/;

/**
 * OpenClaw's Control UI policy: scripts only from the origin plus the hashes of `index.html`'s inline scripts,
 * sockets to any ws/wss URL (the UI's `?gatewayUrl=` flow), the two third-party hosts its features call.
 */
function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "frame-src 'self' http: https:",
    `script-src ${["'self'", ...scriptHashes.map((hash) => `'${hash}'`)].join(' ')}`,
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
    "img-src 'self' data: blob: https:",
    "media-src 'self' data: blob:",
    "font-src 'self' https://fonts.gstatic.com",
    "worker-src 'self'",
    "connect-src 'self' ws: wss: data: https://api.openai.com https://tweakcn.com",
  ].join('; ');
}

const STATIC_SECURITY_HEADERS: Record<string, string> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': contentSecurityPolicy([]),
};

type PreparedIndex = { key: string; body: Buffer; etag: string; lastModified: string; csp: string };

type ControlUiState = {
  /** Absolute root, or undefined when the UI is not served (no root, or disabled). */
  readonly root: string | undefined;
  /** "" or "/prefix" without a trailing slash. */
  readonly basePath: string;
  rootReal: string | undefined;
  index: PreparedIndex | undefined;
};

// The settings are a start-up snapshot: `gateway.controlUi` changes are reported as restart-required.
const states = new WeakMap<GatewayContext, ControlUiState>();

/** "" or a leading-slash path without a trailing slash, as OpenClaw normalises it. */
export function normalizeBasePath(value: string | undefined): string {
  const trimmed = value?.trim() ?? '';
  const withSlash = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  return withSlash.replace(/\/+$/, '');
}

function resolveRoot(ctx: GatewayContext, root: string): string {
  if (root === '~' || root.startsWith('~/')) return join(homedir(), root.slice(1));
  return isAbsolute(root) ? root : resolve(dirname(ctx.paths.configPath), root);
}

function stateOf(ctx: GatewayContext): ControlUiState {
  let state = states.get(ctx);
  if (!state) {
    const { enabled, root, basePath } = ctx.configState.config.gateway.controlUi;
    state = {
      root: enabled && root ? resolveRoot(ctx, root) : undefined,
      basePath: normalizeBasePath(basePath),
      rootReal: undefined,
      index: undefined,
    };
    states.set(ctx, state);
  }
  return state;
}

/** Start-up check: a missing or unreadable root is a warning (the UI answers 404), never a failed start. */
export async function prepareControlUi(ctx: GatewayContext): Promise<void> {
  const state = stateOf(ctx);
  if (!state.root) return;
  try {
    const real = await realpath(state.root);
    if (!(await stat(real)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    const index = await stat(join(real, 'index.html'));
    if (!index.isFile()) throw Object.assign(new Error('index.html is not a file'), { code: 'EISDIR' });
    state.rootReal = real;
    ctx.logger.info(`Control UI served from ${real} at ${state.basePath}/`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    ctx.logger.warn(
      `Control UI root ${state.root} is not usable (${code}: ${(error as Error).message}); the UI is not served ` +
        '(404) until gateway.controlUi.root points at a Control UI build (a directory with index.html)',
      { root: state.root, code },
    );
  }
}

type Route =
  | { kind: 'outside' }
  | { kind: 'redirect'; location: string }
  | { kind: 'config' }
  | { kind: 'file'; uiPath: string };

function classify(state: ControlUiState, path: string, search: string): Route {
  const { basePath } = state;
  if (!path.startsWith('/')) return { kind: 'outside' };
  if (basePath !== '' && path === basePath)
    return { kind: 'redirect', location: `${basePath}/${PRINTABLE.test(search) ? search : ''}` };
  if (basePath !== '' && !path.startsWith(`${basePath}/`)) return { kind: 'outside' };
  const uiPath = path.slice(basePath.length);
  if (
    basePath === '' &&
    RESERVED_PREFIXES.some((prefix) => uiPath === prefix || uiPath.startsWith(`${prefix}/`))
  )
    return { kind: 'outside' };
  if (uiPath === CONFIG_PATH) return { kind: 'config' };
  return { kind: 'file', uiPath };
}

/**
 * Decodes a request path into root-relative segments; `undefined` for traversal, NUL, backslashes or bad escapes
 * (400). The whole path is checked, so no `..` can hide in front of an `assets/` segment.
 */
function safeSegments(uiPath: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(uiPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) return undefined;
  // Relative `./assets/…` URLs resolve under whatever SPA route the page was opened at (`/chat/x/assets/…`).
  const assets = segments.indexOf('assets');
  return assets > 0 ? segments.slice(assets) : segments;
}

function routeOf(ctx: GatewayContext, req: IncomingMessage, path: string) {
  const state = stateOf(ctx);
  if (!state.root) return undefined;
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const route = classify(state, path, query >= 0 ? url.slice(query) : '');
  return route.kind === 'outside' ? undefined : { state, route };
}

/** The Control UI's static files and SPA routes under its base path; consulted after every other route. */
export const controlUiRoute: RouteDefinition = {
  name: 'control-ui',
  auth: 'none',
  fallback: true,
  match: (ctx, path, req) => routeOf(ctx, req, path) !== undefined,
  handle: (ctx, req, res, path) => handleControlUi(ctx, req, res, path),
};

function handleControlUi(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  const { state, route } = routeOf(ctx, req, path) as NonNullable<ReturnType<typeof routeOf>>;
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendJson(
      res,
      405,
      { error: { message: 'Method Not Allowed', type: 'method_not_allowed' } },
      { allow: ALLOW, ...STATIC_SECURITY_HEADERS },
    );
    return;
  }
  if (route.kind === 'redirect') {
    res.writeHead(302, { location: route.location, 'content-length': 0, ...STATIC_SECURITY_HEADERS });
    res.end();
    return;
  }
  if (route.kind === 'config') {
    serveConfig(ctx, state, req, res);
    return;
  }
  serveUiPath(state, req, res, route.uiPath).catch((error: unknown) => {
    ctx.logger.error('Control UI request failed', { path, error: (error as Error).stack });
    if (!res.headersSent) sendError(res, 500, 'Internal Server Error', 'internal');
    else res.destroy();
  });
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type } }, STATIC_SECURITY_HEADERS);
}

function serveConfig(ctx: GatewayContext, state: ControlUiState, req: IncomingMessage, res: ServerResponse) {
  const { config } = ctx.configState;
  // Auth mode `none` has no secret to present; the socket itself is open too.
  if (
    config.gateway.auth.mode !== 'none' &&
    !bearerAuthorized(ctx, req) &&
    !deviceTokenAuthorized(ctx, req)
  ) {
    unauthorized(res);
    return;
  }
  const defaultId = listAgents(config).find((agent) => agent.isDefault)?.id;
  const agent = config.agents.list.find((entry) => entry.id.toLowerCase() === defaultId);
  const avatar = agent?.identity?.avatar ?? agent?.identity?.emoji;
  sendJson(
    res,
    200,
    {
      basePath: state.basePath,
      assistantName: agent?.identity?.name ?? agent?.name ?? 'Assistant',
      ...(avatar ? { assistantAvatar: avatar } : {}),
      serverVersion: ctx.version,
    },
    { 'cache-control': REVALIDATE, ...STATIC_SECURITY_HEADERS },
  );
}

/**
 * Once connected, the UI re-fetches the config with its device token (`hello-ok.auth.deviceToken`) as the Bearer
 * (observed with OpenClaw 2026.9.6); an operator device token holding read access is accepted, as OpenClaw does.
 * Tokens are stored hashed per device, so this checks each paired device: a handful on any real gateway.
 */
function deviceTokenAuthorized(ctx: GatewayContext, req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const offered = header.slice(7).trim();
  if (offered === '') return false;
  return ctx.devices.listPaired().some((device) => {
    const record = ctx.devices.matchToken(device.deviceId, 'operator', offered);
    return record !== undefined && scopeSatisfied(new Set(record.scopes), 'operator.read');
  });
}

async function rootRealOf(state: ControlUiState): Promise<string | undefined> {
  if (state.rootReal) return state.rootReal;
  try {
    state.rootReal = await realpath(state.root!);
  } catch {
    return undefined; // still missing: 404 now, served once it appears
  }
  return state.rootReal;
}

/** The file's real path when it is a regular file inside the root (symlinks may not lead out of it). */
async function fileInRoot(rootReal: string, segments: readonly string[]): Promise<string | undefined> {
  // Dot-files (.git, .env) are never part of a UI build.
  if (segments.length === 0 || segments.some((segment) => segment.startsWith('.'))) return undefined;
  let real: string;
  try {
    real = await realpath(join(rootReal, ...segments));
  } catch {
    return undefined;
  }
  if (!real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) return undefined;
  return real;
}

function looksLikeAsset(segments: readonly string[]): boolean {
  if (segments[0] === 'assets' || segments.some((segment) => segment.startsWith('.'))) return true;
  const ext = extname(segments.at(-1) ?? '').toLowerCase();
  return ext !== '.html' && (Object.hasOwn(CONTENT_TYPES, ext) || ext === '.br' || ext === '.gz');
}

/** Browsers navigate with `Accept: text/html,…`; an API client asking for JSON gets a 404, not the SPA. */
function acceptsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept?.trim();
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (type !== 'text/html' && type !== 'text/*' && type !== '*/*' && type !== 'application/xhtml+xml')
      return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

async function serveUiPath(
  state: ControlUiState,
  req: IncomingMessage,
  res: ServerResponse,
  uiPath: string,
): Promise<void> {
  const segments = safeSegments(uiPath);
  if (!segments) {
    sendError(res, 400, 'Bad Request', 'bad_request');
    return;
  }
  const rootReal = await rootRealOf(state);
  if (!rootReal) {
    sendError(res, 404, 'Not Found', 'not_found');
    return;
  }
  const indexReal = join(rootReal, 'index.html');
  const real = segments.length === 0 ? indexReal : await fileInRoot(rootReal, segments);
  if (real !== undefined && real !== indexReal && (await serveStatic(req, res, real, segments.join('/'))))
    return;
  // Not a file: a missing asset is a 404; any other path is one of the SPA's routes, answered with index.html.
  if (real !== indexReal && (looksLikeAsset(segments) || !acceptsHtml(req))) {
    sendError(res, 404, 'Not Found', 'not_found');
    return;
  }
  await serveIndex(state, req, res, indexReal);
}

function acceptedEncodings(req: IncomingMessage): string[] {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return [];
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(coding);
  }
  return ['br', 'gzip'].filter((coding) => accepted.has(coding));
}

/** Opens `<file>.br` / `<file>.gz` when the client takes it and it is a regular file inside the same root. */
async function openPrecompressed(
  req: IncomingMessage,
  real: string,
): Promise<{ handle: FileHandle; info: Stats; encoding: string } | undefined> {
  for (const encoding of acceptedEncodings(req)) {
    const candidate = `${real}.${encoding === 'br' ? 'br' : 'gz'}`;
    let handle: FileHandle | undefined;
    try {
      if ((await realpath(candidate)) !== candidate) continue; // a symlink could lead out of the root
      handle = await open(candidate, 'r');
      const info = await handle.stat();
      if (info.isFile()) return { handle, info, encoding };
      await handle.close();
    } catch {
      await handle?.close();
    }
  }
  return undefined;
}

function httpDate(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs / 1000) * 1000).toUTCString();
}

/** If-None-Match, compared weakly; `*` matches any current representation. */
function etagMatches(inm: string, etag: string): boolean {
  if (inm.trim() === '*') return true;
  return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2). */
function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string') return etagMatches(inm, etag);
  const ims = req.headers['if-modified-since'];
  if (typeof ims !== 'string') return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** Streams one file of the build; false when it turned out not to be a regular file (SPA fallback). */
async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  real: string,
  rel: string,
): Promise<boolean> {
  const ext = extname(real).toLowerCase();
  const compressible = COMPRESSIBLE.has(ext);
  let handle = await open(real, 'r').catch(() => undefined);
  if (!handle) return false;
  let info: Stats;
  let encoding: string | undefined;
  try {
    info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return false;
    }
    const compressed = compressible ? await openPrecompressed(req, real) : undefined;
    if (compressed) {
      await handle.close();
      ({ handle, info, encoding } = compressed);
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
  const headers: Record<string, string | number> = {
    etag,
    'last-modified': httpDate(info.mtimeMs),
    'cache-control': HASHED_ASSET.test(rel) ? IMMUTABLE : REVALIDATE,
    ...STATIC_SECURITY_HEADERS,
  };
  if (compressible) headers.vary = 'Accept-Encoding';
  if (notModified(req, etag, info.mtimeMs)) {
    await handle.close();
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  headers['content-type'] = Object.hasOwn(CONTENT_TYPES, ext) ? CONTENT_TYPES[ext]! : OCTET_STREAM;
  headers['content-length'] = info.size;
  if (encoding) headers['content-encoding'] = encoding;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    await handle.close();
    res.end();
    return true;
  }
  // The stream owns the handle from here: it closes it at the end, on error, or when the client goes away.
  pipeline(handle.createReadStream(), res, () => undefined);
  return true;
}

const INLINE_SCRIPT = /<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi;
const SRC_ATTRIBUTE = /\ssrc\s*=/i;

function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(INLINE_SCRIPT)) {
    const [, attributes = '', content = ''] = match;
    if (content === '' || SRC_ATTRIBUTE.test(attributes)) continue;
    hashes.push(`sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}`);
  }
  return hashes;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * What OpenClaw's gateway does to `index.html`: stamp the mount prefix on `<html>` (the UI reads it to find
 * `control-ui-config.json` and its socket), and make `./` URLs absolute so a deep link such as `/chat/main`
 * loads `/assets/…` rather than `/chat/assets/…`.
 */
function rewriteIndex(html: string, basePath: string): string {
  const escaped = escapeAttribute(basePath);
  const attribute = `data-openclaw-control-ui-base-path="${escaped}"`;
  return html
    .replace(/<html\b[^>]*>/i, (tag) =>
      tag
        .replace(/\sdata-openclaw-control-ui-base-path="[^"]*"/g, '')
        .replace(/^<html/i, () => `<html ${attribute}`),
    )
    .replace(/\b(src|href)="\.\//g, (_match, name: string) => `${name}="${escaped}/`);
}

async function loadIndex(state: ControlUiState, indexReal: string): Promise<PreparedIndex | undefined> {
  let info: Stats;
  try {
    // Like every other file, a symlinked index.html must not lead out of the root.
    const real = await realpath(indexReal);
    if (real !== indexReal && !real.startsWith(dirname(indexReal) + sep)) return undefined;
    info = await stat(real);
  } catch {
    return undefined;
  }
  if (!info.isFile()) return undefined;
  const key = `${info.size}:${info.mtimeMs}:${info.ino}`;
  if (state.index?.key === key) return state.index;
  // Read whole (it is ~20 KB) because it is rewritten and its inline scripts hashed; cached until it changes.
  const html = rewriteIndex(await readFile(indexReal, 'utf8'), state.basePath);
  const body = Buffer.from(html);
  state.index = {
    key,
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    lastModified: httpDate(info.mtimeMs),
    csp: contentSecurityPolicy(inlineScriptHashes(html)),
  };
  return state.index;
}

async function serveIndex(
  state: ControlUiState,
  req: IncomingMessage,
  res: ServerResponse,
  indexReal: string,
): Promise<void> {
  const index = await loadIndex(state, indexReal);
  if (!index) {
    sendError(res, 404, 'Not Found', 'not_found');
    return;
  }
  const headers: Record<string, string | number> = {
    etag: index.etag,
    'last-modified': index.lastModified,
    'cache-control': REVALIDATE,
    ...STATIC_SECURITY_HEADERS,
    'content-security-policy': index.csp,
  };
  // The ETag is the rewritten body's hash, so If-Modified-Since alone is not trusted for the document.
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && etagMatches(inm, index.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-type'] = CONTENT_TYPES['.html']!;
  headers['content-length'] = index.body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : index.body);
}
