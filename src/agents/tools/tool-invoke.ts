import { randomUUID } from 'node:crypto';
import { resolveAgent } from '../../agents/registry.ts';
import { chatTarget } from '../../chat/targets.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import { parseSessionKey } from '../../routing/session-key.ts';
import type { ToolRegistry } from './tool-registry.ts';
import type { ToolResult, ToolSource } from './tool-types.ts';
import { argumentProblems } from './validate-arguments.ts';

/** The body of `POST /tools/invoke` and the params of `tools.invoke` (OpenClaw's fields). */
export type InvokeInput = {
  name?: unknown;
  tool?: unknown;
  action?: unknown;
  args?: unknown;
  sessionKey?: unknown;
  agentId?: unknown;
  idempotencyKey?: unknown;
};

export type InvokeErrorType = 'invalid_request' | 'not_found' | 'tool_call_blocked' | 'tool_error';

export type InvokeOutcome =
  | { ok: true; status: 200; toolName: string; source: 'core' | 'plugin' | 'mcp'; result: ToolResult }
  | {
      ok: false;
      status: 400 | 403 | 404 | 500;
      toolName: string;
      error: { type: InvokeErrorType; message: string };
    };

const text = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function sourceKind(source: ToolSource): 'core' | 'plugin' | 'mcp' {
  return source.kind;
}

/**
 * Runs one tool directly, for an operator (OpenClaw's shared tools.invoke / HTTP logic): the session resolved
 * (`main` or none: the agent's main session), the tool looked up among what the agent's policy allows on the invoke
 * surface (OpenClaw's default HTTP deny list included), its arguments checked against its schema, then run with
 * a call id derived from the idempotency key. A tool refusing its input is a 400, refusing on security grounds a
 * 403; any other failure a sanitized 500.
 */
export async function invokeTool(
  deps: { config: GatewayConfig; tools: ToolRegistry; logger: Logger },
  input: InvokeInput,
  options: { prefix: 'rpc' | 'http'; signal: AbortSignal },
): Promise<InvokeOutcome> {
  const toolName = text(input.name) ?? text(input.tool) ?? '';
  if (!toolName) {
    return {
      ok: false,
      status: 400,
      toolName,
      error: { type: 'invalid_request', message: 'tools.invoke requires name' },
    };
  }
  const fail = (status: 400 | 403 | 404 | 500, type: InvokeErrorType, message: string): InvokeOutcome => ({
    ok: false,
    status,
    toolName,
    error: { type, message },
  });
  const requestedAgent = text(input.agentId);
  const rawKey = text(input.sessionKey);
  let target: { sessionKey: string; agentId: string };
  try {
    const agentId =
      requestedAgent ?? (rawKey && rawKey !== 'main' ? parseSessionKey(rawKey)?.agentId : undefined);
    const agent = agentId ? resolveAgent(deps.config, agentId).id : undefined;
    target = chatTarget(
      deps.config,
      { sessionKey: rawKey ?? 'main', ...(agent ? { agentId: agent } : {}) },
      'tools.invoke',
    );
    const keyAgent = parseSessionKey(target.sessionKey)?.agentId;
    if (requestedAgent && keyAgent && keyAgent !== target.agentId) {
      return fail(
        400,
        'invalid_request',
        `agent id "${requestedAgent}" does not match session agent "${keyAgent}"`,
      );
    }
  } catch (error) {
    return fail(400, 'invalid_request', (error as Error).message);
  }
  const argsRaw = input.args;
  if (argsRaw !== undefined && (argsRaw === null || typeof argsRaw !== 'object' || Array.isArray(argsRaw))) {
    return fail(400, 'invalid_request', 'args must be an object');
  }
  const idempotencyKey = text(input.idempotencyKey);
  const toolCallId = `${options.prefix}-direct-operator-${idempotencyKey ?? randomUUID()}`;
  await deps.tools.prepare();
  const entry = deps.tools
    .resolve({ agentId: target.agentId, sessionKey: target.sessionKey, runId: toolCallId }, 'invoke')
    .find((candidate) => candidate.tool.name === toolName);
  if (!entry) return fail(404, 'not_found', `Tool not available: ${toolName}`);
  let args = { ...((argsRaw as Record<string, unknown> | undefined) ?? {}) };
  const action = text(input.action);
  const properties = (entry.tool.parameters as { properties?: Record<string, unknown> }).properties;
  if (action && args.action === undefined && properties && 'action' in properties) args = { ...args, action };
  const problems = await argumentProblems(entry.tool.parameters, args);
  if (problems.length > 0) {
    return fail(400, 'tool_error', `Invalid arguments for tool ${toolName}: ${problems.join('; ')}`);
  }
  try {
    const result = await entry.tool.execute(toolCallId, args, options.signal);
    return { ok: true, status: 200, toolName, source: sourceKind(entry.registration.source), result };
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'ToolInputError')
      return fail(400, 'tool_error', (error as Error).message || 'invalid tool arguments');
    if (name === 'ToolAuthorizationError') return fail(403, 'tool_error', (error as Error).message);
    if (!options.signal.aborted) {
      deps.logger.warn('tools.invoke: the tool failed', { tool: toolName, error: (error as Error)?.message });
    }
    return fail(500, 'tool_error', 'tool execution failed');
  }
}
