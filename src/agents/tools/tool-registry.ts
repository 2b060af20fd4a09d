import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import { SecretRedactor } from './redact-secrets.ts';
import { type PolicySurface, type ToolPolicy, toolPolicy } from './tool-policy.ts';
import type { AgentTool, ExecGate, ToolContext, ToolRegistration, ToolSource } from './tool-types.ts';
import { resolveWorkspaceDir } from './workspace.ts';

export type ToolRegistryDeps = {
  config(): GatewayConfig;
  logger: Logger;
  stateDir: string;
  configPath: string;
  /** What `exec` asks before it runs anything; `setExecGate` replaces it (exec approvals). */
  execGate: ExecGate;
  /** Strings no tool result may carry (gateway token, provider keys): redacted from every result. */
  secrets(): readonly string[];
};

/** Whose turn the tools are for. `runId` is the chat run, or a synthetic one for `tools.invoke` and catalogs. */
export type ToolTarget = {
  agentId: string;
  sessionKey: string;
  runId: string;
  /** The cron job whose turn this is (the runner's word, never a client's). */
  automation?: { jobId: string };
};

/** A tool as one agent sees it: where it came from, and whether policy lets this surface use it. */
export type DescribedTool = { tool: AgentTool; registration: ToolRegistration; allowed: boolean };

/**
 * Every agent tool the gateway knows, whoever registered it: the core's built-ins, a plugin's `api.registerTool`,
 * an MCP server's tools. A turn's tools are built fresh from the factories with that turn's ToolContext, then
 * filtered by the agent's policy; what a tool returns is redacted of the gateway's secrets before anyone sees it.
 */
export class ToolRegistry {
  readonly #deps: ToolRegistryDeps;
  readonly #registrations = new Map<string, ToolRegistration>();
  readonly #closers: (() => void | Promise<void>)[] = [];
  readonly #preparers: (() => Promise<void>)[] = [];
  #execGate: ExecGate;

  constructor(deps: ToolRegistryDeps) {
    this.#deps = deps;
    this.#execGate = deps.execGate;
  }

  /** The gate every later turn's `exec` asks (the approvals service installs its own at start-up). */
  setExecGate(gate: ExecGate): void {
    this.#execGate = gate;
  }

  /**
   * Adds a tool (or, through its factory, several). Names are unique: registering one twice throws, naming who
   * has it. Returns the function that removes it again (a plugin unloading, an MCP server going away).
   */
  register(registration: ToolRegistration): () => void {
    const existing = this.#registrations.get(registration.name);
    if (existing) {
      throw new Error(
        `tool ${registration.name} is already registered (by ${describeToolSource(existing.source)}); ${describeToolSource(registration.source)} cannot register it again`,
      );
    }
    this.#registrations.set(registration.name, registration);
    return () => {
      if (this.#registrations.get(registration.name) === registration) {
        this.#registrations.delete(registration.name);
      }
    };
  }

  registrations(): readonly ToolRegistration[] {
    return [...this.#registrations.values()];
  }

  /**
   * Work that must be done before the tools are listed (MCP servers connect on first use): `prepare()` runs it;
   * a failure is logged and the tools listed without what it would have added.
   */
  onPrepare(prepare: () => Promise<void>): void {
    this.#preparers.push(prepare);
  }

  /** Awaited before a turn's tools are resolved and before tools.catalog / tools.effective / tools.invoke. */
  async prepare(): Promise<void> {
    for (const prepare of this.#preparers) {
      try {
        await prepare();
      } catch (error) {
        this.#deps.logger.error('preparing tools failed; listing the tools without it', {
          error: (error as Error).message,
        });
      }
    }
  }

  /** Runs when the gateway stops (a background process registry, an MCP client). */
  onClose(close: () => void | Promise<void>): void {
    this.#closers.push(close);
  }

  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        this.#deps.logger.error('closing a tool resource failed', { error: (error as Error).message });
      }
    }
  }

  policy(agentId: string, surface: PolicySurface): ToolPolicy {
    return toolPolicy(this.#deps.config(), agentId, surface);
  }

  /** The ToolContext a factory is called with for this target. */
  context(target: ToolTarget, policy: ToolPolicy): ToolContext {
    const config = this.#deps.config();
    return {
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      runId: target.runId,
      ...(target.automation ? { automation: target.automation } : {}),
      workspaceDir: resolveWorkspaceDir(config, target.agentId, this.#deps.stateDir),
      config,
      logger: this.#deps.logger,
      execGate: this.#execGate,
      toolAllowed: (name) => {
        const registration = this.#registrations.get(name);
        return policy.allows({
          name,
          source: registration?.source ?? { kind: 'core' },
          optional: registration?.optional,
        });
      },
    };
  }

  /** Every tool the factories build for this target, each with its policy verdict (tools.catalog, tools.effective). */
  describe(target: ToolTarget, surface: PolicySurface): DescribedTool[] {
    const policy = this.policy(target.agentId, surface);
    const ctx = this.context(target, policy);
    const seen = new Set<string>();
    const out: DescribedTool[] = [];
    for (const registration of this.#registrations.values()) {
      let built: AgentTool | AgentTool[] | null;
      try {
        built = registration.factory(ctx);
      } catch (error) {
        this.#deps.logger.error(`tool factory ${registration.name} failed; its tools are left out`, {
          source: describeToolSource(registration.source),
          error: (error as Error).stack,
        });
        continue;
      }
      for (const tool of built === null ? [] : Array.isArray(built) ? built : [built]) {
        if (seen.has(tool.name)) {
          this.#deps.logger.warn(
            `tool ${tool.name} from ${describeToolSource(registration.source)} duplicates another; skipped`,
          );
          continue;
        }
        seen.add(tool.name);
        const allowed = policy.allows({
          name: tool.name,
          source: registration.source,
          optional: registration.optional,
        });
        out.push({ tool, registration, allowed });
      }
    }
    return out;
  }

  /** The tools a turn (or `tools.invoke`) may call: policy applied, results redacted. */
  resolve(target: ToolTarget, surface: PolicySurface): { tool: AgentTool; registration: ToolRegistration }[] {
    // Gathered when a tool first produces output (most turns call none; gathering stats the secret files).
    let redactor: SecretRedactor | undefined;
    const redactorNow = () => {
      redactor ??= new SecretRedactor(this.#deps.secrets());
      return redactor;
    };
    return this.describe(target, surface)
      .filter((entry) => entry.allowed)
      .map(({ tool, registration }) => ({ tool: redacting(tool, redactorNow), registration }));
  }
}

/** Who registered a tool, as error messages name it. */
export function describeToolSource(source: ToolSource): string {
  return source.kind === 'plugin'
    ? `plugin ${source.pluginId}`
    : source.kind === 'mcp'
      ? `MCP server ${source.server}`
      : 'the core';
}

/** The tool with its results, progress and error messages passed through the redactor. */
function redacting(tool: AgentTool, redactorNow: () => SecretRedactor): AgentTool {
  // Field by field, not a spread: a tool may be a class instance whose description is a getter.
  return {
    name: tool.name,
    ...(tool.label !== undefined ? { label: tool.label } : {}),
    description: tool.description,
    parameters: tool.parameters,
    ...(tool.outputSchema !== undefined ? { outputSchema: tool.outputSchema } : {}),
    async execute(toolCallId, params, signal, onUpdate) {
      try {
        const result = await tool.execute(
          toolCallId,
          params,
          signal,
          onUpdate && ((update) => onUpdate(redactorNow().result(update))),
        );
        return redactorNow().result(result);
      } catch (error) {
        if (error instanceof Error) {
          const message = redactorNow().text(error.message);
          if (message !== error.message) error.message = message;
        }
        throw error;
      }
    },
  };
}
