import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../protocol/gateway-error.ts';
import { sourceBucket } from '../server/auth/net-address.ts';
import { secretsEqual } from '../server/auth/secret-compare.ts';
import { requestSourceIp } from '../server/auth/tailscale-ingress.ts';
import type { GatewayContext } from '../server/context.ts';
import { BodyError, readJsonBody } from '../server/http/read-body.ts';
import { sendJson } from '../server/http/respond.ts';
import {
  type AgentAction,
  findMapping,
  type HookAction,
  mappingAction,
  type Parsed,
  parseAgent,
  parseWake,
  type WakeAction,
} from './actions.ts';
import { type AgentDispatch, dispatchAgent, dispatchWake } from './dispatch.ts';
import { agentTarget, wakeTarget } from './policy.ts';

/** OpenClaw's answers, word for word: clients and proxies in front of it may match on them. */
const QUERY_TOKEN_REFUSED =
  'Hook token must be provided via Authorization: Bearer <token> or X-OpenClaw-Token header (query parameters are not allowed).';
const PREPARATION_FAILED = 'hook agent run failed before entering the agent runner';

type Json = { ok: boolean; error?: string; [key: string]: unknown };

/**
 * One webhook request, in OpenClaw's order: a `?token=` is refused before anything else (a token in a URL ends
 * up in proxy and browser logs), then anything but POST, then the token (constant-time, its own failed-auth
 * limiter), then the body (capped, timed), then `/wake`, `/agent` or the first matching mapping. Every answer is
 * counted for `hooks.status`; the token itself is never logged or echoed.
 */
export async function handleHookRequest(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  // One config for the whole request: a reload half-way does not mix two policies.
  const config = ctx.configState.config;
  const { hooks } = config;
  const url = new URL(req.url ?? '/', 'http://hooks.invalid');
  if (url.searchParams.has('token')) return text(ctx, res, 400, QUERY_TOKEN_REFUSED);
  if (req.method !== 'POST') return text(ctx, res, 405, 'Method Not Allowed', { allow: 'POST' });

  const source = sourceBucket(requestSourceIp(req));
  const offered = offeredToken(req);
  if (offered === undefined || hooks.token === undefined || !secretsEqual(offered, hooks.token)) {
    const waitMs = ctx.hooks.lockedFor(source);
    if (waitMs !== undefined) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      ctx.logger.warn(`hook auth throttled for ${source}; retry-after=${seconds}s`);
      return text(ctx, res, 429, 'Too Many Requests', { 'retry-after': String(seconds) });
    }
    ctx.hooks.failed(source);
    return text(ctx, res, 401, 'Unauthorized');
  }
  ctx.hooks.authorized(source);

  const subPath = path.slice(hooks.path.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (subPath === '') return text(ctx, res, 404, 'Not Found');
  const { hookMaxBodyBytes, hookBodyTimeoutMs } = config.gateway.limits;
  let body: unknown;
  try {
    body = await readJsonBody(req, hookMaxBodyBytes, { timeoutMs: hookBodyTimeoutMs, emptyValue: {} });
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    if (error.status === 400) return json(ctx, res, 400, { ok: false, error: error.message });
    // The rest of the body is not read: the connection closes behind the answer.
    const message = error.status === 413 ? 'payload too large' : 'request body timeout';
    return json(ctx, res, error.status, { ok: false, error: message }, { connection: 'close' });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return json(ctx, res, 400, { ok: false, error: 'request body must be a JSON object' });
  }
  const payload = body as Record<string, unknown>;
  const headers = headersOf(req);
  const sourcePath = `${hooks.path}/${subPath}`;
  // The direct endpoints win over mappings of the same name (OpenClaw's precedence).
  if (subPath === 'wake') return act(ctx, res, parseWake(payload), sourcePath);
  if (subPath === 'agent') return act(ctx, res, parseAgent(payload, headers), sourcePath);
  const found = findMapping(hooks.mappings, subPath, payload);
  if (!found) return text(ctx, res, 404, 'Not Found');
  const context = {
    payload,
    headers,
    query: Object.fromEntries(url.searchParams),
    path: subPath,
    now: ctx.now,
  };
  return act(ctx, res, mappingAction(found.mapping, found.id, context), sourcePath);
}

function act(
  ctx: GatewayContext,
  res: ServerResponse,
  parsed: Parsed<HookAction>,
  sourcePath: string,
): Promise<void> | void {
  if (!parsed.ok) return json(ctx, res, 400, parsed);
  return parsed.value.kind === 'wake'
    ? wake(ctx, res, parsed.value)
    : agent(ctx, res, parsed.value, sourcePath);
}

/** A non-empty Bearer token wins over `x-openclaw-token` (OpenClaw's precedence). */
function offeredToken(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization?.trim() ?? '';
  if (authorization.toLowerCase().startsWith('bearer ')) {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  const header = req.headers['x-openclaw-token'];
  const token = (Array.isArray(header) ? header[0] : header)?.trim();
  return token ? token : undefined;
}

/** Lowercased names, repeated headers joined: what `{{headers.x}}` templates and replay keys read. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
    else if (Array.isArray(value) && value.length > 0) headers[name.toLowerCase()] = value.join(', ');
  }
  return headers;
}

function wake(ctx: GatewayContext, res: ServerResponse, action: WakeAction): void {
  const target = wakeTarget(ctx.configState.config, action);
  if (!target.ok) json(ctx, res, 400, target);
  else
    json(ctx, res, 200, {
      ok: true,
      mode: action.mode,
      eventOutcome: dispatchWake(ctx, action, target.value),
    });
}

async function agent(
  ctx: GatewayContext,
  res: ServerResponse,
  action: AgentAction,
  sourcePath: string,
): Promise<void> {
  const target = agentTarget(ctx.configState.config, action);
  if (!target.ok) return json(ctx, res, 400, target);
  let dispatched: AgentDispatch;
  try {
    dispatched = await dispatchAgent(ctx, action, target.value, sourcePath);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'UNAVAILABLE') {
      return json(ctx, res, 503, { ok: false, error: error.message });
    }
    ctx.logger.error('hook agent run could not start', { sourcePath, error: (error as Error).stack });
    return json(ctx, res, 502, { ok: false, error: PREPARATION_FAILED });
  }
  if (!action.waitForCompletion) return json(ctx, res, 200, { ok: true, runId: dispatched.runId });
  const completion = await dispatched.completion;
  json(ctx, res, 200, { ok: true, runId: dispatched.runId, completion });
}

function json(
  ctx: GatewayContext,
  res: ServerResponse,
  status: number,
  body: Json,
  headers: Record<string, string> = {},
): void {
  ctx.hooks.record(status, ctx.now(), body.ok ? undefined : body.error);
  sendJson(res, status, body, headers);
}

/** OpenClaw answers its early refusals in plain text. */
function text(
  ctx: GatewayContext,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  ctx.hooks.record(status, ctx.now(), message);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(message),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : message);
}
