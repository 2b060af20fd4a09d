import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import type { Broadcast } from '../../server/broadcast.ts';
import type { ApprovalStore } from '../../storage/approval-store.ts';
import type { McpToolGate } from '../mcp/mcp-approval-mode.ts';
import type { ExecGate } from '../tools/tool-types.ts';
import { ApprovalService } from './approval-service.ts';
import { ApprovalsDocument } from './approvals-document.ts';
import { type Clock, REAL_CLOCK } from './clock.ts';
import { ApprovalExecGate } from './exec-gate.ts';
import { ApprovalMcpGate } from './mcp-gate.ts';
import { type AutomationLookup, StandingGrants } from './standing-grants.ts';

export type ExecApprovalsDeps = {
  store: ApprovalStore;
  events: Broadcast;
  logger: Logger;
  config: () => GatewayConfig;
  env: NodeJS.ProcessEnv;
  /** This gateway's boot id. */
  owner: string;
  /** Where the approvals document is kept, as `exec.approvals.get` reports it. */
  documentPath: string;
  /** An automation (cron job) by id, for standing grants. */
  lookupJob: AutomationLookup;
  clock?: Clock;
};

/**
 * Exec approvals as one unit on the gateway context: the prompts (`service`), the approvals document, the
 * automations' standing grants, the `ExecGate` the exec tool asks before it runs a command, and the gate an MCP
 * tool call asks before it is sent.
 */
export class ExecApprovals {
  readonly service: ApprovalService;
  readonly document: ApprovalsDocument;
  readonly grants: StandingGrants;
  readonly gate: ExecGate;
  /** What each MCP tool call asks first (`mcp.servers.<name>.codex.defaultToolsApprovalMode`). */
  readonly mcpGate: McpToolGate;
  readonly clock: Clock;
  readonly #config: () => GatewayConfig;

  constructor(deps: ExecApprovalsDeps) {
    const clock = deps.clock ?? REAL_CLOCK;
    this.clock = clock;
    this.#config = deps.config;
    this.service = new ApprovalService({
      store: deps.store,
      events: deps.events,
      logger: deps.logger,
      clock,
      owner: deps.owner,
    });
    this.document = new ApprovalsDocument({
      store: deps.store,
      path: deps.documentPath,
      requested: () => deps.config().tools.exec,
    });
    this.grants = new StandingGrants({ store: deps.store, clock, lookup: deps.lookupJob });
    this.gate = new ApprovalExecGate({
      approvals: this.service,
      document: this.document,
      grants: this.grants,
      config: deps.config,
      env: deps.env,
      logger: deps.logger,
      clock,
    });
    this.mcpGate = new ApprovalMcpGate({
      approvals: this.service,
      document: this.document,
      config: deps.config,
      logger: deps.logger,
      clock,
    });
  }

  /** `approvals.exec.timeoutMs`, read at each prompt so a config change applies to the next one. */
  timeoutMs(): number {
    return this.#config().approvals.exec.timeoutMs;
  }

  start(): Promise<void> {
    return this.service.start();
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}
