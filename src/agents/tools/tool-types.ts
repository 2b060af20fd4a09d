import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';

/**
 * The contract every agent tool meets: the built-in ones (`exec`, `read`, `write`, `edit`, `web_fetch`,
 * `memory_search`, `memory_get`), a plugin's `api.registerTool`, and an MCP server's tools. It is OpenClaw's
 * plugin tool shape (`execute(toolCallId, params, signal?, onUpdate?)` returning `{ content, details }`), so an
 * OpenClaw tool plugin's tool is one of these unchanged.
 */

export type ToolResultContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string };

export type ToolResult = {
  content: ToolResultContent[];
  /** Structured result for clients and `outputSchema`; never replayed to the provider (OpenClaw's rule). */
  details?: unknown;
  /** The tool ran and failed: the model sees the text and may try again. */
  isError?: boolean;
};

/** A progress report while a tool runs (streamed as an `agent` tool event with phase `update`). */
export type ToolUpdate = { content?: ToolResultContent[]; details?: unknown };

export type AgentTool = {
  /** `snake_case`, unique among the tools one agent sees; what the model calls. */
  name: string;
  /** A short human name for tool cards (`Run command`). */
  label?: string;
  description: string;
  /** JSON Schema of the arguments (a TypeBox schema is one), `type: "object"`. */
  parameters: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  execute(
    toolCallId: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
    onUpdate?: (update: ToolUpdate) => void,
  ): Promise<ToolResult>;
};

/** Decides whether a command may run on the gateway host (exec approvals: policy, allowlist, operator prompt). */
export type ExecGate = {
  /**
   * Resolves once decided: allowed by policy or an allowlist entry, approved by an operator, or refused (denied,
   * timed out into a deny fallback). Never hangs past the configured decision timeout.
   */
  check(request: ExecGateRequest, signal: AbortSignal): Promise<ExecGateDecision>;
};

export type ExecGateRequest = {
  agentId: string;
  sessionKey: string;
  runId: string;
  command: string;
  /** The working directory, inside the agent's workspace. */
  cwd: string;
  /** The tool call asking, shown with the prompt. */
  toolCallId?: string;
  /**
   * Set only by the runner for a turn an automation (cron job) runs, never from client input: "Always allow" on
   * its prompt then mints a standing grant for that job instead of an allowlist entry.
   */
  automation?: { jobId: string };
};

export type ExecGateDecision =
  /** `approvalId`: the prompt that decided it, when one did (to correlate with `exec.approval.*` events). */
  | { allowed: true; via: 'policy' | 'allowlist' | 'approval'; approvalId?: string }
  | { allowed: false; reason: string; approvalId?: string };

/** What a tool factory sees of the turn that is about to run. */
export type ToolContext = {
  agentId: string;
  sessionKey: string;
  runId: string;
  /** Set when a cron job runs this turn; `exec` passes it to the gate (standing grants). */
  automation?: { jobId: string };
  /** The agent's workspace (absolute, resolved); file tools are confined to it. */
  workspaceDir: string;
  config: GatewayConfig;
  logger: Logger;
  execGate: ExecGate;
  /**
   * Whether this agent's policy lets it call the named tool this turn (`exec` runs in the foreground only when
   * `process` is not allowed). Absent: assume it may.
   */
  toolAllowed?(name: string): boolean;
};

/** Builds the tools for one turn (a tool that needs the turn's context), or `null` for none. */
export type ToolFactory = (ctx: ToolContext) => AgentTool | AgentTool[] | null;

/** Where a tool came from, for `tools.catalog`, policy groups (`group:fs`, a plugin id) and diagnostics. */
export type ToolSource =
  | { kind: 'core' }
  | { kind: 'plugin'; pluginId: string }
  | { kind: 'mcp'; server: string };

export type ToolRegistration = {
  name: string;
  source: ToolSource;
  /** Exposed only when `tools.allow` names it (OpenClaw's optional plugin tools). */
  optional?: boolean;
  factory: ToolFactory;
};
