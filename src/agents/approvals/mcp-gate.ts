import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import type { StoredApproval } from '../../storage/approval-store.ts';
import {
  hintsClear,
  type McpApprovalMode,
  type McpToolGate,
  type McpToolGateDecision,
  type McpToolGateRequest,
} from '../mcp/mcp-approval-mode.ts';
import { ALL_DECISIONS, ONCE_DECISIONS, pluginRequest } from './approval-record.ts';
import type { ApprovalService } from './approval-service.ts';
import type { ApprovalsDocument } from './approvals-document.ts';
import { hasMcpToolGrant, policyLayers } from './approvals-file.ts';
import type { Clock } from './clock.ts';
import { denial, type GuardedWhat, guardedCheck } from './gate-guard.ts';
import { type ExecPolicy, effectivePolicy, stricterSecurity } from './policy.ts';

export type McpGateDeps = {
  approvals: ApprovalService;
  document: ApprovalsDocument;
  config: () => GatewayConfig;
  logger: Logger;
  clock: Clock;
};

/** The plugin id MCP tool prompts carry, as OpenClaw's prompts for its Gateway-hosted MCP tools do. */
export const MCP_APPROVAL_PLUGIN_ID = 'openclaw-mcp';

const GUARDED: GuardedWhat = {
  check: 'MCP tool approval',
  subject: 'the tool call',
  unavailable: (message) => `MCP tool approvals are unavailable (${message}); the tool was not called`,
};

/**
 * MCP tool approvals on the exec approvals machinery: the prompt is a plugin approval (`plugin.approval.*`, which
 * the Control UI shows beside exec prompts), the grant lives in the approvals document under
 * `agents.<agentId>.mcpTools`, and a prompt nobody answers resolves by the agent's exec `askFallback`, never looser
 * than its `security`. A server without a mode follows the agent's exec posture, as OpenClaw's follows the session's:
 * `full` with `ask: off` runs MCP tools unasked (`approve`); anything stricter is `auto`.
 */
export class ApprovalMcpGate implements McpToolGate {
  readonly #deps: McpGateDeps;

  constructor(deps: McpGateDeps) {
    this.#deps = deps;
  }

  check(request: McpToolGateRequest, signal: AbortSignal): Promise<McpToolGateDecision> {
    return guardedCheck(GUARDED, this.#deps.logger, request, signal, () => this.#check(request, signal));
  }

  async #check(request: McpToolGateRequest, signal: AbortSignal): Promise<McpToolGateDecision> {
    // An explicit approve, or auto with hints that clear the call, needs nothing from the approvals document.
    if (request.mode === 'approve') return { allowed: true, via: 'mode' };
    if (request.mode === 'auto' && hintsClear(request.annotations)) return { allowed: true, via: 'hints' };
    const { file } = await this.#deps.document.read();
    const policy = effectivePolicy(this.#deps.config().tools.exec, policyLayers(file, request.agentId));
    const mode: McpApprovalMode =
      request.mode ?? (policy.security === 'full' && policy.ask === 'off' ? 'approve' : 'auto');
    if (mode === 'approve') return { allowed: true, via: 'mode' };
    if (mode === 'auto') {
      if (hintsClear(request.annotations)) return { allowed: true, via: 'hints' };
      if (hasMcpToolGrant(file, request.agentId, request.server, request.tool)) {
        return { allowed: true, via: 'grant' };
      }
    }
    return this.#ask(request, signal, mode, policy);
  }

  async #ask(
    request: McpToolGateRequest,
    signal: AbortSignal,
    mode: McpApprovalMode,
    policy: ExecPolicy,
  ): Promise<McpToolGateDecision> {
    const timeoutMs = this.#deps.config().approvals.exec.timeoutMs;
    const opened = await this.#deps.approvals.open(
      pluginRequest({
        pluginId: MCP_APPROVAL_PLUGIN_ID,
        title: `MCP tool ${request.server}/${request.tool}`,
        description: `Agent ${request.agentId} wants to call ${request.tool} on MCP server ${request.server}.`,
        severity: 'warning',
        toolName: request.toolName,
        toolCallId: request.toolCallId,
        // Explicit `prompt` asks every time, so a durable decision would never be read: it is not offered.
        allowedDecisions: mode === 'prompt' ? ONCE_DECISIONS : ALL_DECISIONS,
        agentId: request.agentId,
        sessionKey: request.sessionKey,
        runId: request.runId,
      }),
      { id: `plugin:${randomUUID()}`, kind: 'plugin', timeoutMs, signal },
    );
    const outcome = await opened.done;
    if (outcome.status === 'allowed') {
      if (outcome.decision === 'allow-always') await this.#persist(request, outcome);
      return { allowed: true, via: 'approval', approvalId: outcome.id };
    }
    if (outcome.status === 'denied' && outcome.reason === 'user') {
      return denial('denied by an operator', outcome.id);
    }
    if (outcome.status === 'cancelled') {
      return denial(
        outcome.reason === 'run-aborted'
          ? 'the run ended while the tool call waited for approval'
          : 'the approval was cancelled because the gateway is stopping',
        outcome.id,
      );
    }
    // No decision came: the exec fallback, of which only `full` runs anything (an MCP call has no allowlist).
    if (stricterSecurity(policy.security, policy.askFallback) === 'full') {
      return { allowed: true, via: 'fallback', approvalId: outcome.id };
    }
    const why =
      outcome.reason === 'no-route'
        ? 'no approval client is connected to ask'
        : outcome.reason === 'timeout'
          ? `no operator decided within ${timeoutMs} ms`
          : 'the approval could not be recorded';
    return denial(`${why}; askFallback=${policy.askFallback} refuses the tool call`, outcome.id);
  }

  async #persist(request: McpToolGateRequest, approval: StoredApproval): Promise<void> {
    try {
      await this.#deps.document.addMcpToolGrant(
        request.agentId,
        request.server,
        request.tool,
        this.#deps.clock.now(),
      );
    } catch (error) {
      // The call was approved either way; only the "always" part is lost, and the next call asks again.
      this.#deps.logger.error('recording an Always-allow MCP tool grant failed', {
        approvalId: approval.id,
        error: (error as Error).stack,
      });
    }
  }
}
