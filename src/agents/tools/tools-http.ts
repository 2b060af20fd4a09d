import type { IncomingMessage, ServerResponse } from 'node:http';
import { scopeSatisfied } from '../../server/authz/scopes.ts';
import type { GatewayContext } from '../../server/context.ts';
import { requireBearer } from '../../server/http/bearer-auth.ts';
import { BodyError, readJsonBody } from '../../server/http/read-body.ts';
import { sendJson } from '../../server/http/respond.ts';
import { invokeTool } from './tool-invoke.ts';
import { toolsMethods } from './tools-methods.ts';

/** OpenClaw's default cap on the request body (413 past it). */
export const TOOLS_INVOKE_MAX_BODY_BYTES = 2 * 1024 * 1024;
const BODY_TIMEOUT_MS = 30_000;
/** What a shared-secret Bearer proves (OpenClaw): full operator access. */
const BEARER_SCOPES: ReadonlySet<string> = new Set([
  'operator.admin',
  'operator.approvals',
  'operator.pairing',
  'operator.read',
  'operator.talk.secrets',
  'operator.write',
]);

/**
 * `POST /tools/invoke`: one tool run directly, OpenClaw's request and response JSON. Bearer only (the shared
 * secret in `Authorization`; a token in the URL is never read, so it is a 401), the WebSocket method's scope
 * checked against what the Bearer grants, the body capped at 2 MB (413).
 */
export async function handleToolsInvoke(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(
      res,
      405,
      { error: { message: 'Method Not Allowed', type: 'method_not_allowed' } },
      { allow: 'POST' },
    );
    return;
  }
  if (!requireBearer(ctx, req, res)) return;
  const access = toolsMethods['tools.invoke'].access;
  if ('scope' in access && access.scope && !scopeSatisfied(BEARER_SCOPES, access.scope)) {
    sendJson(res, 403, {
      ok: false,
      error: { type: 'forbidden', message: `missing scope: ${access.scope}` },
    });
    return;
  }
  let body: unknown;
  try {
    body = await readJsonBody(req, TOOLS_INVOKE_MAX_BODY_BYTES, {
      timeoutMs: BODY_TIMEOUT_MS,
      emptyValue: {},
    });
  } catch (error) {
    const status = error instanceof BodyError ? error.status : 400;
    sendJson(
      res,
      status,
      { ok: false, error: { type: 'invalid_request', message: (error as Error).message } },
      {
        connection: 'close',
      },
    );
    return;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    sendJson(res, 400, {
      ok: false,
      error: { type: 'invalid_request', message: 'request body must be a JSON object' },
    });
    return;
  }
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) controller.abort();
  };
  res.once('close', onClose);
  try {
    const outcome = await invokeTool(
      { config: ctx.configState.config, tools: ctx.tools, logger: ctx.logger },
      body as Record<string, unknown>,
      { prefix: 'http', signal: controller.signal },
    );
    if (controller.signal.aborted) return;
    if (outcome.ok) sendJson(res, 200, { ok: true, result: outcome.result });
    else sendJson(res, outcome.status, { ok: false, error: outcome.error });
  } finally {
    res.off('close', onClose);
  }
}
