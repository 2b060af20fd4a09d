import type { McpApprovalMode } from '../agents/mcp/mcp-approval-mode.ts';
/** How a server is reached: a child process on stdin/stdout, or HTTP (Server-Sent Events or Streamable HTTP). */
export const MCP_TRANSPORTS = ['stdio', 'sse', 'streamable-http'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** One `mcp.servers.<name>` entry (OpenClaw's keys clawgate implements; see docs/mcp.md). */
export type McpServerConfig = {
  /** `false` keeps the definition without connecting it. */
  enabled?: boolean;
  /** Stdio: the executable, its arguments, extra environment (values may be `env:`/`file:` refs), cwd. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** OpenClaw's alias of `cwd`. */
  workingDirectory?: string;
  /** HTTP: the endpoint and extra request headers (values may be `env:`/`file:` refs). */
  url?: string;
  /** Absent: `stdio` with a command; with a url, `sse` (OpenClaw's default). */
  transport?: McpTransport;
  headers?: Record<string, string>;
  /** Milliseconds to connect and list the tools. */
  connectionTimeoutMs?: number;
  /** Milliseconds one tool call may take. */
  requestTimeoutMs?: number;
  /** Which of the server's tools are offered, by name or `*` glob; exclude wins. */
  toolFilter?: { include?: string[]; exclude?: string[] };
  /** OpenClaw's per-server approval mode for its tools (see docs/mcp.md); absent: the agent's exec posture decides. */
  codex?: { defaultToolsApprovalMode?: McpApprovalMode };
};

export type McpConfig = { servers: Record<string, McpServerConfig> };
