import { mcpTransportOf } from '../../config/mcp-check.ts';
import type { McpServerConfig } from '../../config/mcp-types.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Readiness } from '../../health/readiness.ts';
import type { Logger } from '../../logging/logger.ts';
import { SecretRedactor } from '../tools/redact-secrets.ts';
import type { ToolRegistry } from '../tools/tool-registry.ts';
import type { AgentTool, ToolContext, ToolResult } from '../tools/tool-types.ts';
import type { McpToolGate } from './mcp-approval-mode.ts';
import type { McpConnection, McpListedTool } from './mcp-connection.ts';
import { resolveServerSecrets } from './mcp-env.ts';
import { serverPrefixes, toolFilterAllows, toolNameFor } from './mcp-names.ts';

/** How soon a server that crashed or failed to connect is started again: doubling from `initialMs` to `maxMs`. */
export type McpRestartTiming = { initialMs: number; maxMs: number };
export const DEFAULT_MCP_RESTART: McpRestartTiming = { initialMs: 1_000, maxMs: 60_000 };
const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export type McpServerState = 'idle' | 'connecting' | 'connected' | 'restarting' | 'stopped';

export type McpServerStatus = {
  name: string;
  state: McpServerState;
  tools: string[];
  pid?: number;
  error?: string;
  restarts: number;
};

export type McpServersDeps = {
  config(): GatewayConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  tools: ToolRegistry;
  readiness: Readiness;
  /** Asked before every tool call (approvals); absent: calls go straight to the server. */
  approvals?: McpToolGate;
  /** Where a stdio server without `cwd` runs (the state dir). */
  defaultCwd: string;
  restart?: Partial<McpRestartTiming>;
  now?: () => number;
};

type Managed = {
  name: string;
  definition: McpServerConfig;
  fingerprint: string;
  prefix: string;
  state: McpServerState;
  connection?: McpConnection;
  connecting?: Promise<void>;
  /** Aborts the connect in flight when the server is retired. */
  abort?: AbortController;
  unregister: (() => void)[];
  toolNames: string[];
  timer?: NodeJS.Timeout;
  failures: number;
  restarts: number;
  connectedAt?: number;
  error?: string;
  /** The server's last stderr line (redacted): why a process that died said it did. */
  lastStderr?: string;
};

/**
 * The configured MCP servers (`mcp.servers`), each an agent tool source: a server connects when a turn (or a tools
 * method) first needs the tools, its tools register in the ToolRegistry under `<server>__<tool>` with source
 * `mcp`, so tool policy treats them as any other tool, and a crash or failed connect restarts it with doubling
 * back-off while `/readyz` lists it as degraded. Config changes apply live: a changed or removed server is retired,
 * unchanged ones keep their connections. The SDK is imported only when a server connects.
 */
export class McpServers {
  readonly #deps: McpServersDeps;
  readonly #timing: McpRestartTiming;
  readonly #now: () => number;
  readonly #servers = new Map<string, Managed>();
  #closed = false;

  constructor(deps: McpServersDeps) {
    this.#deps = deps;
    this.#timing = { ...DEFAULT_MCP_RESTART, ...deps.restart };
    this.#now = deps.now ?? Date.now;
    this.apply(deps.config());
  }

  /** Brings the set of servers in line with the config: new ones wait idle, changed ones restart, gone ones stop. */
  apply(config: GatewayConfig): void {
    if (this.#closed) return;
    const servers = config.mcp.servers;
    const enabled = Object.entries(servers).filter(([, server]) => server.enabled !== false);
    const prefixes = serverPrefixes(Object.keys(servers));
    for (const [name, managed] of this.#servers) {
      const next = servers[name];
      const same =
        next !== undefined &&
        next.enabled !== false &&
        JSON.stringify(next) === managed.fingerprint &&
        prefixes.get(name) === managed.prefix;
      if (!same) {
        this.#servers.delete(name);
        void this.#retire(managed).catch((error: Error) =>
          this.#deps.logger.warn(`MCP server ${name}: retiring failed: ${error.message}`),
        );
      }
    }
    for (const [name, definition] of enabled) {
      if (this.#servers.has(name)) continue;
      this.#servers.set(name, {
        name,
        definition,
        fingerprint: JSON.stringify(definition),
        prefix: prefixes.get(name) as string,
        state: 'idle',
        unregister: [],
        toolNames: [],
        failures: 0,
        restarts: 0,
      });
    }
  }

  /**
   * Connects every enabled server that has not been started yet and waits for them (each within its connection
   * timeout). Servers waiting to restart are not waited for: their tools are absent until they are back.
   */
  async ensureStarted(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const managed of this.#servers.values()) {
      if (managed.state === 'idle') this.#connect(managed);
      if (managed.state === 'connecting' && managed.connecting) waits.push(managed.connecting);
    }
    await Promise.all(waits);
  }

  status(): McpServerStatus[] {
    return [...this.#servers.values()].map((managed) => ({
      name: managed.name,
      state: managed.state,
      tools: [...managed.toolNames],
      ...(managed.connection?.pid !== undefined ? { pid: managed.connection.pid } : {}),
      ...(managed.error !== undefined ? { error: managed.error } : {}),
      restarts: managed.restarts,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const retiring = [...this.#servers.values()].map((managed) => this.#retire(managed));
    this.#servers.clear();
    await Promise.all(retiring);
  }

  #connect(managed: Managed): void {
    managed.state = 'connecting';
    managed.connecting = this.#open(managed).finally(() => {
      managed.connecting = undefined;
    });
  }

  async #open(managed: Managed): Promise<void> {
    const { name, definition } = managed;
    let redactor = new SecretRedactor([]);
    managed.lastStderr = undefined;
    try {
      const secrets = resolveServerSecrets(name, definition, this.#deps.env);
      redactor = new SecretRedactor([...Object.values(secrets.env), ...Object.values(secrets.headers)]);
      if (secrets.dropped.length > 0) {
        this.#deps.logger.warn(
          `MCP server ${name}: environment keys that control the interpreter or loader were dropped: ${secrets.dropped.join(', ')}`,
        );
      }
      // Before the first await: a retire while the SDK loads must be able to abort this connect.
      managed.abort = new AbortController();
      const { connectMcp } = await import('./mcp-connection.ts');
      const connection = await connectMcp({
        signal: managed.abort.signal,
        transport: mcpTransportOf(definition),
        command: definition.command,
        args: definition.args,
        env: secrets.env,
        cwd: definition.cwd ?? definition.workingDirectory ?? this.#deps.defaultCwd,
        url: definition.url,
        headers: secrets.headers,
        connectionTimeoutMs: definition.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        onStderr: (line) => {
          managed.lastStderr = redactor.text(line);
          this.#deps.logger.debug(`bundle-mcp:${name}: ${managed.lastStderr}`);
        },
      });
      if (this.#servers.get(name) !== managed || managed.state === 'stopped') {
        // Retired while connecting (a config change, shutdown).
        await connection.close();
        return;
      }
      managed.connection = connection;
      managed.state = 'connected';
      managed.connectedAt = this.#now();
      managed.error = undefined;
      this.#register(managed, connection.tools);
      this.#deps.readiness.setDegraded(`mcp:${name}`, undefined);
      this.#deps.logger.info(`MCP server ${name} connected with ${managed.toolNames.length} tool(s)`);
      connection.onLost((reason) => this.#lost(managed, connection, reason));
    } catch (error) {
      if (this.#servers.get(name) !== managed || managed.state === 'stopped') return;
      this.#scheduleRestart(managed, `could not connect: ${redactor.text((error as Error).message)}`);
    }
  }

  #lost(managed: Managed, connection: McpConnection, reason: string): void {
    if (managed.connection !== connection || managed.state === 'stopped') return;
    managed.connection = undefined;
    this.#unregister(managed);
    // A connection that stayed up a while starts the back-off afresh; a crash loop keeps doubling it.
    if (managed.connectedAt !== undefined && this.#now() - managed.connectedAt >= this.#timing.maxMs) {
      managed.failures = 0;
    }
    void connection.close().catch(() => undefined);
    this.#scheduleRestart(managed, reason);
  }

  #scheduleRestart(managed: Managed, reason: string): void {
    const delay = Math.min(this.#timing.maxMs, this.#timing.initialMs * 2 ** managed.failures);
    managed.failures += 1;
    managed.state = 'restarting';
    const said = managed.lastStderr ? ` (stderr: ${managed.lastStderr.slice(0, 200)})` : '';
    managed.error = `${reason}${said}`;
    const message = `MCP server ${managed.name}: ${reason}; restarting in ${delay} ms${said}`;
    this.#deps.readiness.setDegraded(`mcp:${managed.name}`, message);
    this.#deps.logger.warn(message);
    managed.timer = setTimeout(() => {
      managed.timer = undefined;
      if (this.#servers.get(managed.name) !== managed || this.#closed) return;
      managed.restarts += 1;
      this.#connect(managed);
    }, delay);
    managed.timer.unref();
  }

  #register(managed: Managed, listed: McpListedTool[]): void {
    const taken = new Set(
      this.#deps.tools.registrations().map((registration) => registration.name.toLowerCase()),
    );
    const requestTimeoutMs = managed.definition.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    for (const listedTool of [...listed].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!toolFilterAllows(managed.definition.toolFilter, listedTool.name)) continue;
      const name = toolNameFor(managed.prefix, listedTool.name, taken);
      const tool: AgentTool = {
        name,
        label: listedTool.title ?? listedTool.name,
        description: listedTool.description ?? `${listedTool.name} (MCP server ${managed.name})`,
        parameters: objectSchema(listedTool.inputSchema),
        ...(listedTool.outputSchema ? { outputSchema: listedTool.outputSchema } : {}),
        execute: async (_toolCallId, params, signal) => {
          const connection = managed.connection;
          if (!connection) {
            throw new Error(
              `MCP server ${managed.name} is not connected (${managed.error ?? managed.state})`,
            );
          }
          return connection.call(listedTool.name, params, requestTimeoutMs, signal);
        },
      };
      try {
        managed.unregister.push(
          this.#deps.tools.register({
            name,
            source: { kind: 'mcp', server: managed.name },
            factory: (ctx) => this.#guarded(managed, listedTool, tool, ctx),
          }),
        );
        managed.toolNames.push(name);
      } catch (error) {
        this.#deps.logger.warn(`MCP server ${managed.name}: ${(error as Error).message}`);
      }
    }
  }

  /** The tool as one turn sees it: each call first passes the approvals gate; a refusal is the model's error. */
  #guarded(managed: Managed, listed: McpListedTool, tool: AgentTool, ctx: ToolContext): AgentTool {
    const gate = this.#deps.approvals;
    if (!gate) return tool;
    return {
      ...tool,
      execute: async (toolCallId, params, signal, onUpdate) => {
        const decision = await gate.check(
          {
            agentId: ctx.agentId,
            sessionKey: ctx.sessionKey,
            runId: ctx.runId,
            server: managed.name,
            tool: listed.name,
            toolName: tool.name,
            toolCallId,
            // Read at each call, so a changed mode applies to the next call.
            mode: this.#deps.config().mcp.servers[managed.name]?.codex?.defaultToolsApprovalMode,
            annotations: listed.annotations,
          },
          signal ?? new AbortController().signal,
        );
        if (!decision.allowed) return refused(managed.name, listed.name, decision.reason);
        return tool.execute(toolCallId, params, signal, onUpdate);
      },
    };
  }

  #unregister(managed: Managed): void {
    for (const unregister of managed.unregister.splice(0)) unregister();
    managed.toolNames = [];
  }

  async #retire(managed: Managed): Promise<void> {
    managed.state = 'stopped';
    clearTimeout(managed.timer);
    managed.timer = undefined;
    this.#unregister(managed);
    this.#deps.readiness.setDegraded(`mcp:${managed.name}`, undefined);
    const connection = managed.connection;
    managed.connection = undefined;
    // A connect in flight is abandoned (its process stopped), not waited out to its timeout.
    managed.abort?.abort();
    await managed.connecting;
    await connection?.close().catch((error: Error) => {
      this.#deps.logger.warn(`MCP server ${managed.name}: closing failed: ${error.message}`);
    });
  }
}

function refused(server: string, tool: string, reason: string): ToolResult {
  const text = `MCP tool ${server}/${tool} was not called: ${reason}.`;
  return { content: [{ type: 'text', text }], details: { status: 'denied', reason }, isError: true };
}

/** A tool's input schema as providers need it: an object schema (MCP requires one; a sloppy server may not). */
function objectSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  if (schema && schema.type === 'object') return schema;
  return { properties: {}, ...(schema ?? {}), type: 'object' };
}
