/**
 * When an MCP tool call needs an operator's approval (OpenClaw's `mcp.servers.<name>.codex.defaultToolsApprovalMode`):
 * `approve` never asks, `prompt` asks for every call, `auto` reads the tool's safety hints (a read-only tool runs,
 * a destructive one or one without hints asks) and lets an Always-allow grant stand in for the operator.
 */

export const MCP_APPROVAL_MODES = ['approve', 'prompt', 'auto'] as const;
export type McpApprovalMode = (typeof MCP_APPROVAL_MODES)[number];

export type McpToolAnnotations = {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
};

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

/** The boolean safety hints of a listed tool's `annotations`; anything else a server sends is dropped. */
export function safetyHints(raw: unknown): McpToolAnnotations {
  const hints: McpToolAnnotations = {};
  if (!raw || typeof raw !== 'object') return hints;
  for (const key of HINTS) {
    const value = (raw as Record<string, unknown>)[key];
    if (typeof value === 'boolean') hints[key] = value;
  }
  return hints;
}

/**
 * Under `auto`, whether the hints alone clear the call (OpenClaw's rule): destructive asks, read-only runs, and
 * otherwise only a tool that says it is neither destructive nor open-world runs unasked.
 */
export function hintsClear(hints: McpToolAnnotations | undefined): boolean {
  if (hints?.destructiveHint === true) return false;
  if (hints?.readOnlyHint === true) return true;
  return hints?.destructiveHint === false && hints.openWorldHint === false;
}

/** What the MCP tool wrapper asks before each call; ApprovalMcpGate (src/agents/approvals) answers it. */
export type McpToolGate = {
  /** Resolves once decided; never hangs past the approvals timeout. */
  check(request: McpToolGateRequest, signal: AbortSignal): Promise<McpToolGateDecision>;
};

export type McpToolGateRequest = {
  agentId: string;
  sessionKey: string;
  runId: string;
  /** The configured server name and the tool's own name on it (what a grant names). */
  server: string;
  tool: string;
  /** The agent tool's name (`<server>__<tool>`), shown with the prompt. */
  toolName: string;
  toolCallId: string;
  /** The server's configured mode; absent: derived from the agent's exec posture. */
  mode: McpApprovalMode | undefined;
  annotations: McpToolAnnotations | undefined;
};

export type McpToolGateDecision =
  | { allowed: true; via: 'mode' | 'hints' | 'grant' | 'approval' | 'fallback'; approvalId?: string }
  | { allowed: false; reason: string; approvalId?: string };
