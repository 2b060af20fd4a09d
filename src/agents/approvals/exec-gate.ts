import { homedir } from 'node:os';
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import type { StoredApproval } from '../../storage/approval-store.ts';
import type { ExecGate, ExecGateDecision, ExecGateRequest } from '../tools/tool-types.ts';
import { ALL_DECISIONS, execRequest, ONCE_DECISIONS } from './approval-record.ts';
import type { ApprovalService } from './approval-service.ts';
import type { ApprovalsDocument } from './approvals-document.ts';
import { allowlistFor, policyLayers } from './approvals-file.ts';
import type { Clock } from './clock.ts';
import type { CommandAnalysis } from './command-analysis.ts';
import { denial, type GuardedWhat, guardedCheck } from './gate-guard.ts';
import { type ExecPolicy, effectivePolicy, stricterSecurity } from './policy.ts';
import type { StandingGrants } from './standing-grants.ts';

export type ExecGateDeps = {
  approvals: ApprovalService;
  document: ApprovalsDocument;
  grants: StandingGrants;
  config: () => GatewayConfig;
  /** PATH and HOME as the exec tool's shell will see them. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock: Clock;
};

const allow = (via: 'policy' | 'allowlist' | 'approval', approvalId?: string): ExecGateDecision => ({
  allowed: true,
  via,
  ...(approvalId ? { approvalId } : {}),
});
const GUARDED: GuardedWhat = {
  check: 'exec approval',
  subject: 'the command',
  unavailable: (message) => `exec approvals are unavailable (${message}); the command was not run`,
};

/**
 * The exec approvals gate (OpenClaw's order): the effective policy for the agent (config `tools.exec` narrowed by
 * the approvals document); `deny` refuses; otherwise the command is split into its simple commands and each is
 * matched against the agent's allowlist and the safe bins. A covered command runs (unless `ask: "always"`); an
 * uncovered one with `ask: "off"` is refused; one that needs a decision becomes a prompt, awaited until an
 * operator decides, the prompt times out, or the turn ends. A prompt nobody answers (or that no approval client
 * can show) resolves by `askFallback`, never looser than `security`. The decision is for exactly this command in
 * this directory: the caller must run what it asked about, nothing else.
 */
export class ApprovalExecGate implements ExecGate {
  readonly #deps: ExecGateDeps;

  constructor(deps: ExecGateDeps) {
    this.#deps = deps;
  }

  check(request: ExecGateRequest, signal: AbortSignal): Promise<ExecGateDecision> {
    return guardedCheck(GUARDED, this.#deps.logger, request, signal, () => this.#check(request, signal));
  }

  async #check(request: ExecGateRequest, signal: AbortSignal): Promise<ExecGateDecision> {
    const config = this.#deps.config();
    const { file } = await this.#deps.document.read();
    const policy = effectivePolicy(config.tools.exec, policyLayers(file, request.agentId));
    if (policy.security === 'deny') {
      return denial(`host exec is denied by policy (security=deny) for agent ${request.agentId}`);
    }
    // The parser and resolver load on the first command, not at start-up.
    const { analyzeCommand } = await import('./command-analysis.ts');
    const analysis = analyzeCommand(
      request.command,
      request.cwd,
      allowlistFor(file, request.agentId),
      config.tools.exec,
      {
        path: this.#deps.env.PATH,
        home: this.#deps.env.HOME ?? homedir(),
      },
    );
    if (request.automation && policy.ask !== 'always') {
      const grant = await this.#deps.grants.use(
        request.agentId,
        request.automation.jobId,
        request.command,
        request.cwd,
      );
      if (grant) return allow('allowlist');
    }
    const needsApproval =
      policy.ask === 'always' || (policy.ask === 'on-miss' && !analysis.allowlistSatisfied);
    if (!needsApproval) {
      if (analysis.allowlistSatisfied) {
        this.#recordUse(request, analysis);
        return allow(policy.security === 'full' ? 'policy' : 'allowlist');
      }
      if (policy.security === 'full') return allow('policy');
      return denial(
        `command not covered by the allowlist of agent ${request.agentId} (security=allowlist, ask=off)` +
          (analysis.unanalysable ? `: ${analysis.unanalysable}` : ''),
      );
    }
    return this.#ask(request, signal, policy, analysis, config);
  }

  async #ask(
    request: ExecGateRequest,
    signal: AbortSignal,
    policy: ExecPolicy,
    analysis: CommandAnalysis,
    config: GatewayConfig,
  ): Promise<ExecGateDecision> {
    const automationJob = request.automation
      ? await this.#deps.grants.job(request.agentId, request.automation.jobId)
      : undefined;
    const durable =
      policy.ask !== 'always' && (automationJob !== undefined || analysis.persistable !== undefined);
    const first = analysis.segments[0];
    const timeoutMs = config.approvals.exec.timeoutMs;
    const expiresInDays = config.tools.exec.grantExpiryDays;
    const opened = await this.#deps.approvals.open(
      execRequest({
        command: request.command,
        ...(first?.literal ? { commandArgv: [...first.argv] } : {}),
        cwd: request.cwd,
        host: 'gateway',
        security: policy.security,
        ask: policy.ask,
        warningText: analysis.unanalysable
          ? `Not checked against the allowlist: ${analysis.unanalysable}`
          : null,
        scope:
          automationJob && durable
            ? {
                kind: 'standing-grant',
                automation: automationJob.name.slice(0, 128) || request.automation?.jobId,
                command: request.command.slice(0, 256),
                ...(expiresInDays !== undefined ? { expiresInDays } : {}),
              }
            : null,
        allowedDecisions: durable ? ALL_DECISIONS : ONCE_DECISIONS,
        agentId: request.agentId,
        resolvedPath: first?.resolvedPath ?? null,
        sessionKey: request.sessionKey,
        runId: request.runId,
        toolCallId: request.toolCallId ?? null,
      }),
      { timeoutMs, signal },
    );
    const outcome = await opened.done;
    const id = outcome.id;
    if (outcome.status === 'allowed') {
      if (outcome.decision === 'allow-always') await this.#persist(request, outcome, analysis, automationJob);
      return allow('approval', id);
    }
    if (outcome.status === 'denied' && outcome.reason === 'user') return denial('denied by an operator', id);
    if (outcome.status === 'cancelled') {
      return denial(
        outcome.reason === 'run-aborted'
          ? 'the run ended while the command waited for approval'
          : 'the approval was cancelled because the gateway is stopping',
        id,
      );
    }
    return this.#fallback(policy, analysis, outcome, timeoutMs);
  }

  /** No decision came (timeout, nobody to ask, a failed write): the fallback, never looser than security. */
  #fallback(
    policy: ExecPolicy,
    analysis: CommandAnalysis,
    outcome: StoredApproval,
    timeoutMs: number,
  ): ExecGateDecision {
    const fallback = stricterSecurity(policy.security, policy.askFallback);
    if (fallback === 'full') return allow('policy', outcome.id);
    if (fallback === 'allowlist' && analysis.allowlistSatisfied) return allow('allowlist', outcome.id);
    const why =
      outcome.reason === 'no-route'
        ? 'no approval client is connected to ask'
        : outcome.reason === 'timeout'
          ? `no operator decided within ${timeoutMs} ms`
          : 'the approval could not be recorded';
    return denial(`${why}; askFallback=${policy.askFallback} refuses the command`, outcome.id);
  }

  async #persist(
    request: ExecGateRequest,
    approval: StoredApproval,
    analysis: CommandAnalysis,
    automationJob: Awaited<ReturnType<StandingGrants['job']>>,
  ): Promise<void> {
    try {
      if (request.automation && automationJob) {
        await this.#deps.grants.mint({
          approvalId: approval.id,
          agentId: request.agentId,
          jobId: request.automation.jobId,
          job: automationJob,
          command: request.command,
          cwd: request.cwd,
          expiresInDays: this.#deps.config().tools.exec.grantExpiryDays,
        });
      } else if (analysis.persistable) {
        await this.#deps.document.addAllowAlways(
          request.agentId,
          analysis.persistable,
          this.#deps.clock.now(),
        );
      }
    } catch (error) {
      // The command was approved either way; only the "always" part is lost, and the next run asks again.
      this.#deps.logger.error('recording an Always-allow decision failed', {
        approvalId: approval.id,
        error: (error as Error).stack,
      });
    }
  }

  /** Not awaited: the stamp is for the operator's eyes, and the command need not wait for its write. */
  #recordUse(request: ExecGateRequest, analysis: CommandAnalysis): void {
    const uses = analysis.segments.flatMap((segment) =>
      segment.entry?.id
        ? [{ entryId: segment.entry.id, command: request.command, resolvedPath: segment.resolvedPath }]
        : [],
    );
    this.#deps.document
      .recordUse(request.agentId, uses, this.#deps.clock.now())
      .catch((error: unknown) =>
        this.#deps.logger.warn('stamping allowlist use failed', { error: (error as Error).message }),
      );
  }
}
