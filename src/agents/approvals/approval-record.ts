import type { ApprovalDecision, StoredApproval } from '../../storage/approval-store.ts';

/**
 * The wire shapes of an exec approval, built from its stored row: the request object prompts show (OpenClaw's
 * exec approval request), the list entry and events, and the reviewer-safe snapshot (`approval.get`,
 * `approval.history`), which leaves out the working directory and environment.
 */

export const ALL_DECISIONS: readonly ApprovalDecision[] = ['allow-once', 'allow-always', 'deny'];
/** `ask: "always"` keeps asking whatever was decided before, so no durable decision is offered. */
export const ONCE_DECISIONS: readonly ApprovalDecision[] = ['allow-once', 'deny'];

export type ExecRequestFields = {
  command: string;
  commandArgv?: string[];
  cwd?: string | null;
  host?: string | null;
  security?: string | null;
  ask?: string | null;
  warningText?: string | null;
  scope?: Record<string, unknown> | null;
  allowedDecisions: readonly ApprovalDecision[];
  agentId?: string | null;
  resolvedPath?: string | null;
  sessionKey?: string | null;
  sessionId?: string | null;
  runId?: string | null;
  toolCallId?: string | null;
  turnSourceChannel?: string | null;
  turnSourceTo?: string | null;
  turnSourceAccountId?: string | null;
  turnSourceThreadId?: string | number | null;
  envKeys?: string[];
};

/** OpenClaw's request object, field for field in its order; what a prompt is drawn from. */
export function execRequest(fields: ExecRequestFields): Record<string, unknown> {
  return {
    command: fields.command,
    ...(fields.commandArgv ? { commandArgv: fields.commandArgv } : {}),
    ...(fields.envKeys && fields.envKeys.length > 0 ? { envKeys: fields.envKeys } : {}),
    cwd: fields.cwd ?? null,
    nodeId: null,
    host: fields.host ?? null,
    security: fields.security ?? null,
    ask: fields.ask ?? null,
    warningText: fields.warningText ?? null,
    scope: fields.scope ?? null,
    allowedDecisions: [...fields.allowedDecisions],
    agentId: fields.agentId ?? null,
    resolvedPath: fields.resolvedPath ?? null,
    sessionKey: fields.sessionKey ?? null,
    sessionId: fields.sessionId ?? null,
    runId: fields.runId ?? null,
    toolCallId: fields.toolCallId ?? null,
    turnSourceChannel: fields.turnSourceChannel ?? null,
    turnSourceTo: fields.turnSourceTo ?? null,
    turnSourceAccountId: fields.turnSourceAccountId ?? null,
    turnSourceThreadId: fields.turnSourceThreadId ?? null,
  };
}

export type PluginRequestFields = {
  pluginId: string;
  title: string;
  description: string;
  severity: 'info' | 'warning' | 'critical';
  toolName: string;
  toolCallId?: string | null;
  allowedDecisions: readonly ApprovalDecision[];
  agentId: string;
  sessionKey?: string | null;
  runId?: string | null;
};

/** OpenClaw's plugin approval request (what it sends for an MCP tool prompt); the Control UI draws it by `title`. */
export function pluginRequest(fields: PluginRequestFields): Record<string, unknown> {
  return {
    pluginId: fields.pluginId,
    title: fields.title,
    description: fields.description,
    severity: fields.severity,
    toolName: fields.toolName,
    toolCallId: fields.toolCallId ?? null,
    allowedDecisions: [...fields.allowedDecisions],
    agentId: fields.agentId,
    sessionKey: fields.sessionKey ?? null,
    runId: fields.runId ?? null,
  };
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function allowedDecisionsOf(approval: StoredApproval): ApprovalDecision[] {
  const listed = approval.request.allowedDecisions;
  if (!Array.isArray(listed)) return ['deny'];
  const decisions = ALL_DECISIONS.filter((decision) => listed.includes(decision));
  return decisions.includes('deny') ? decisions : [...decisions, 'deny'];
}

/** `exec.approval.requested` and each `exec.approval.list` entry. */
export function requestedEvent(approval: StoredApproval) {
  return {
    approvalKind: approval.kind,
    id: approval.id,
    request: approval.request,
    createdAtMs: approval.createdAtMs,
    expiresAtMs: approval.expiresAtMs,
  };
}

/**
 * `exec.approval.resolved`. Every way a prompt ends is announced, so prompts close everywhere; what did not allow
 * the command (a timeout, a cancelled run) reads as `deny`, as OpenClaw's timeout event does.
 */
export function resolvedEvent(approval: StoredApproval) {
  return {
    id: approval.id,
    decision: approval.status === 'allowed' ? (approval.decision ?? 'allow-once') : 'deny',
    resolvedBy: approval.resolvedBy ?? null,
    ts: approval.resolvedAtMs ?? approval.createdAtMs,
    request: approval.request,
  };
}

/** The operator's decision, or null when nobody decided (timeout, no route, cancelled). */
export function operatorDecision(approval: StoredApproval): ApprovalDecision | null {
  return approval.reason === 'user' ? (approval.decision ?? null) : null;
}

/** What `exec.approval.request` answers once decided (and `waitDecision`, with `terminalReason`). */
export function decisionResult(approval: StoredApproval) {
  return {
    id: approval.id,
    decision: operatorDecision(approval),
    createdAtMs: approval.createdAtMs,
    expiresAtMs: approval.expiresAtMs,
  };
}

/** `exec.approval.get`: the pending prompt as a reviewer sees it. */
export function execApprovalView(approval: StoredApproval) {
  return {
    id: approval.id,
    commandText: String(approval.request.command ?? ''),
    commandPreview: null,
    allowedDecisions: allowedDecisionsOf(approval),
    host: str(approval.request.host),
    nodeId: null,
    agentId: str(approval.request.agentId),
    expiresAtMs: approval.expiresAtMs,
  };
}

function presentation(approval: StoredApproval) {
  if (approval.kind === 'plugin') {
    return {
      kind: 'plugin',
      title: String(approval.request.title ?? ''),
      description: str(approval.request.description),
      severity: str(approval.request.severity),
      pluginId: str(approval.request.pluginId),
      toolName: str(approval.request.toolName),
      agentId: str(approval.request.agentId),
      allowedDecisions: allowedDecisionsOf(approval),
    };
  }
  return {
    kind: 'exec',
    commandText: String(approval.request.command ?? '') || '(empty)',
    commandPreview: null,
    warningText: str(approval.request.warningText),
    host: str(approval.request.host),
    nodeId: null,
    agentId: str(approval.request.agentId),
    allowedDecisions: allowedDecisionsOf(approval),
  };
}

/** OpenClaw's `ApprovalSnapshot` union (pending, allowed, denied, expired, cancelled). */
export function approvalSnapshot(approval: StoredApproval): Record<string, unknown> {
  const base = {
    id: approval.id,
    status: approval.status,
    presentation: presentation(approval),
    urlPath: `/approve/${encodeURIComponent(approval.id)}`,
    createdAtMs: approval.createdAtMs,
    expiresAtMs: approval.expiresAtMs,
  };
  if (approval.status === 'pending') return base;
  const source: Record<string, string> = {};
  if (approval.agentId) source.agentId = approval.agentId;
  if (approval.sessionKey) source.sessionKey = approval.sessionKey;
  return {
    ...base,
    resolvedAtMs: approval.resolvedAtMs ?? approval.createdAtMs,
    reason: approval.reason ?? 'user',
    ...(approval.status === 'allowed' || approval.status === 'denied'
      ? { decision: approval.decision ?? (approval.status === 'denied' ? 'deny' : 'allow-once') }
      : {}),
    source,
    resolver: approval.resolver ?? { kind: 'system' },
  };
}
