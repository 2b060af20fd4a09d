import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listAgents } from '../../agents/registry.ts';
import { chatTarget } from '../../chat/targets.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { GatewayContext } from '../context.ts';
import type { RouteDefinition } from '../registry.ts';
import { BodyError, readJsonBody } from './read-body.ts';
import { sendJson } from './respond.ts';

/** A chat-completions request body larger than this is refused (413). */
export const CHAT_COMPLETIONS_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The model names that mean "the default agent"; `<name>/<agentId>` picks an agent. */
const MODEL_PREFIXES = ['clawgate', 'openclaw'];

type ChatMessage = { role: string; content: unknown };
type CompletionBody = { model?: unknown; messages?: unknown; stream?: unknown; user?: unknown };

function openAiError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code?: string,
): void {
  sendJson(res, status, { error: { message, type, param: null, code: code ?? null } });
}

/** `clawgate`, `clawgate/<agentId>`, `openclaw`, `openclaw/<agentId>` → the agent id (undefined = default). */
function agentFromModel(model: string): string | undefined | null {
  for (const prefix of MODEL_PREFIXES) {
    if (model === prefix) return undefined;
    if (model.startsWith(`${prefix}/`)) return model.slice(prefix.length + 1) || undefined;
    if (model.startsWith(`${prefix}:`)) return model.slice(prefix.length + 1) || undefined;
  }
  return null;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && (part as { type?: string }).type === 'text'
          ? String((part as { text?: unknown }).text ?? '')
          : '',
      )
      .join('');
  }
  return '';
}

function chunk(
  id: string,
  created: number,
  model: string,
  delta: Record<string, unknown>,
  finish: string | null,
) {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

function finishReason(stopReason: string | undefined): string {
  return stopReason === 'length' ? 'length' : stopReason === 'refusal' ? 'content_filter' : 'stop';
}

/**
 * `POST /v1/chat/completions`: the OpenAI Chat Completions API over an agent. `model` names the agent; the
 * conversation is stored as a session (`user` keeps one per caller; otherwise one per request, seeded with the
 * earlier messages of the request) and the turn runs like any chat turn, streamed as OpenAI's SSE when asked.
 */
async function chatCompletions(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: CompletionBody;
  try {
    body = (await readJsonBody(req, CHAT_COMPLETIONS_MAX_BODY_BYTES)) as CompletionBody;
  } catch (error) {
    const status = error instanceof BodyError ? error.status : 400;
    openAiError(res, status, (error as Error).message, 'invalid_request_error');
    return;
  }
  if (!body || typeof body !== 'object') {
    openAiError(res, 400, 'request body must be a JSON object', 'invalid_request_error');
    return;
  }
  const model = typeof body.model === 'string' && body.model ? body.model : 'clawgate';
  const agentName = agentFromModel(model);
  if (agentName === null) {
    openAiError(
      res,
      404,
      `model ${model} does not exist: use clawgate or clawgate/<agentId> (GET /v1/models lists them)`,
      'invalid_request_error',
      'model_not_found',
    );
    return;
  }
  const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
  const last = messages.at(-1);
  if (last?.role !== 'user' || textOf(last.content).trim() === '') {
    openAiError(res, 400, 'messages must end with a non-empty user message', 'invalid_request_error');
    return;
  }
  const { config } = ctx.configState;
  const user =
    typeof body.user === 'string' && body.user
      ? body.user.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 64)
      : undefined;
  let target: { sessionKey: string; agentId: string };
  try {
    const agentPart = agentName ?? undefined;
    const tail = user ? `openai-user:${user}` : `openai:${randomUUID()}`;
    target = chatTarget(
      config,
      {
        sessionKey: `agent:${agentPart ?? listAgents(config).find((a) => a.isDefault)?.id ?? 'main'}:${tail}`,
        agentId: agentPart,
      },
      'chat.completions',
      'model',
    );
  } catch (error) {
    openAiError(res, 404, (error as Error).message, 'invalid_request_error', 'model_not_found');
    return;
  }
  if (!user) {
    // A stateless request carries its own history: seed the fresh session with it.
    for (const message of messages.slice(0, -1)) {
      const text = textOf(message.content);
      if (!text || (message.role !== 'user' && message.role !== 'assistant')) continue;
      await ctx.store.appendMessage({
        sessionKey: target.sessionKey,
        role: message.role,
        content: message.role === 'user' ? text : [{ type: 'text', text }],
        timestamp: ctx.now(),
      });
    }
  }
  const stream = body.stream === true;
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(ctx.now() / 1000);
  if (stream) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(chunk(id, created, model, { role: 'assistant', content: '' }, null));
  }
  const started = await ctx.chat.send({
    sessionKey: target.sessionKey,
    agentId: target.agentId,
    message: textOf(last.content),
    idempotencyKey: id,
    onDelta: stream ? (delta) => res.write(chunk(id, created, model, { content: delta }, null)) : undefined,
  });
  // A caller that hangs up stops the turn (and the provider request behind it).
  const onClose = () => {
    if (!res.writableFinished) ctx.chat.abort(target.sessionKey, started.runId);
  };
  res.on('close', onClose);
  const outcome = await started.done;
  res.off('close', onClose);
  const text = outcome.message
    ? (outcome.message.content as { text: string }[]).map((b) => b.text).join('')
    : '';
  if (outcome.status === 'error') {
    if (stream) {
      res.write(
        `data: ${JSON.stringify({ error: { message: outcome.errorMessage, type: 'server_error' } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    } else openAiError(res, 502, outcome.errorMessage ?? 'the agent run failed', 'server_error');
    return;
  }
  const usage = outcome.message?.usage
    ? {
        prompt_tokens: outcome.message.usage.input,
        completion_tokens: outcome.message.usage.output,
        total_tokens: outcome.message.usage.total,
      }
    : undefined;
  if (stream) {
    res.write(chunk(id, created, model, {}, finishReason(outcome.stopReason)));
    res.end('data: [DONE]\n\n');
    return;
  }
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text },
        finish_reason: finishReason(outcome.stopReason),
      },
    ],
    ...(usage ? { usage } : {}),
  });
}

function models(ctx: GatewayContext, res: ServerResponse): void {
  const created = Math.floor(ctx.startedAt / 1000);
  const agents = listAgents(ctx.configState.config);
  const data = [
    { id: 'clawgate', object: 'model', created, owned_by: 'clawgate' },
    ...agents.map((agent) => ({
      id: `clawgate/${agent.id}`,
      object: 'model',
      created,
      owned_by: 'clawgate',
    })),
  ];
  sendJson(res, 200, { object: 'list', data });
}

/** The OpenAI-compatible routes, when `gateway.http.endpoints.chatCompletions.enabled`; Bearer-authenticated. */
export const openAiRoute: RouteDefinition = {
  name: 'openai-api',
  auth: 'bearer',
  match: (ctx, path) =>
    (path === '/v1/chat/completions' || path === '/v1/models') &&
    ctx.configState.config.gateway.http.endpoints.chatCompletions.enabled,
  handle: (ctx, req, res, path) => handleOpenAiApi(ctx, req, res, path),
};

function handleOpenAiApi(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (path === '/v1/models') {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      openAiError(res, 405, 'use GET', 'invalid_request_error');
    else models(ctx, res);
    return;
  }
  if (req.method !== 'POST') {
    openAiError(res, 405, 'use POST', 'invalid_request_error');
    return;
  }
  chatCompletions(ctx, req, res).catch((error: unknown) => {
    const message = error instanceof GatewayError ? error.message : 'internal error';
    if (!(error instanceof GatewayError))
      ctx.logger.error('chat completions failed', { error: (error as Error).stack });
    if (!res.headersSent)
      openAiError(res, error instanceof GatewayError ? 400 : 500, message, 'server_error');
    else res.end();
  });
}
