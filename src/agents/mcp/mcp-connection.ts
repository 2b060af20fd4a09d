import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpTransport } from '../../config/mcp-types.ts';
import { CLAWGATE_VERSION } from '../../version.ts';
import { within } from '../../within.ts';
import type { ToolResult, ToolResultContent } from '../tools/tool-types.ts';
import { ownedFetch } from './agent-fetch.ts';
import { type McpToolAnnotations, safetyHints } from './mcp-approval-mode.ts';

/**
 * One live connection to an MCP server through the official SDK (loaded only here, and this file only once a server
 * is configured and needed). What it resolves with is connected and has listed the server's tools.
 */

export type McpConnectOptions = {
  transport: McpTransport;
  command?: string;
  args?: string[];
  /** Extra environment, already resolved and filtered (mcp-env.ts). */
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  connectionTimeoutMs: number;
  /** Gives up connecting (the server was retired, the gateway is stopping): the process is stopped at once. */
  signal?: AbortSignal;
  /** Each line the stdio server writes to stderr. */
  onStderr(line: string): void;
};

export type McpListedTool = {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** The server's safety hints, which `auto` approval mode reads. */
  annotations?: McpToolAnnotations;
};

export type McpConnection = {
  tools: McpListedTool[];
  /** The stdio server's process id. */
  pid: number | undefined;
  call(
    name: string,
    args: Record<string, unknown>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ToolResult>;
  /** Called once when the connection ends without `close()` (the process died, the HTTP session failed). */
  onLost(listener: (reason: string) => void): void;
  close(): Promise<void>;
};

/** How long a stdio server has to exit after SIGTERM before it is killed. */
const KILL_AFTER_MS = 2_000;
/** How long a Streamable HTTP server gets to acknowledge the end of its session at close. */
const TERMINATE_SESSION_MS = 2_000;

export async function connectMcp(options: McpConnectOptions): Promise<McpConnection> {
  const owned = options.transport === 'stdio' ? undefined : ownedFetch();
  let transport: Transport;
  let stdio: StdioClientTransport | undefined;
  if (options.transport === 'stdio') {
    stdio = new StdioClientTransport({
      command: options.command as string,
      args: options.args ?? [],
      env: options.env ?? {},
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stderr: 'pipe',
    });
    pipeLines(stdio.stderr as NodeJS.ReadableStream | null, options.onStderr);
    transport = stdio;
  } else {
    const url = new URL(options.url as string);
    const requestInit = { headers: options.headers ?? {} };
    transport =
      options.transport === 'streamable-http'
        ? new StreamableHTTPClientTransport(url, { requestInit, fetch: owned?.fetch })
        : new SSEClientTransport(url, { requestInit, fetch: owned?.fetch });
  }
  const client = new Client({ name: 'clawgate', version: CLAWGATE_VERSION });
  let closing = false;
  let lostListener: ((reason: string) => void) | undefined;
  let lost: string | undefined;
  client.onclose = () => {
    if (closing) return;
    lost ??= stdio ? 'the server process exited' : 'the connection closed';
    lostListener?.(lost);
  };
  client.onerror = () => {
    // Transport errors surface as a failed request or a close; the close is what restarts the server.
  };

  const close = async () => {
    if (closing) return;
    closing = true;
    try {
      if (stdio) await stopProcess(stdio);
      else if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
        // A stateful server keeps the session until told; best effort, it may already be gone, and a server that
        // no longer answers must not hold up shutdown (the owned sockets are destroyed below).
        await within(transport.terminateSession(), TERMINATE_SESSION_MS, 'session end timed out').catch(
          () => undefined,
        );
      }
      await client.close();
    } finally {
      owned?.close();
    }
  };

  const abandon = () => void close().catch(() => undefined);
  options.signal?.addEventListener('abort', abandon, { once: true });
  try {
    options.signal?.throwIfAborted();
    await client.connect(transport, { timeout: options.connectionTimeoutMs });
    const tools: McpListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: options.connectionTimeoutMs });
      for (const tool of page.tools) {
        tools.push({
          name: tool.name,
          ...(tool.title ? { title: tool.title } : {}),
          ...(tool.description ? { description: tool.description } : {}),
          inputSchema: tool.inputSchema as Record<string, unknown>,
          ...(tool.outputSchema ? { outputSchema: tool.outputSchema as Record<string, unknown> } : {}),
          ...(tool.annotations ? { annotations: safetyHints(tool.annotations) } : {}),
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    options.signal?.throwIfAborted();
    options.signal?.removeEventListener('abort', abandon);
    return {
      tools,
      pid: stdio?.pid ?? undefined,
      async call(name, args, timeoutMs, signal) {
        const result = await client.callTool({ name, arguments: args }, undefined, {
          timeout: timeoutMs,
          ...(signal ? { signal } : {}),
        });
        return toToolResult(result as McpCallResult);
      },
      onLost(listener) {
        lostListener = listener;
        if (lost !== undefined) listener(lost);
      },
      close,
    };
  } catch (error) {
    options.signal?.removeEventListener('abort', abandon);
    await close().catch(() => undefined);
    throw error;
  }
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process has gone (its `close` reached the transport). */
async function stopProcess(stdio: StdioClientTransport): Promise<void> {
  const pid = stdio.pid;
  if (pid === null) return;
  const gone = new Promise<void>((resolve) => {
    const previous = stdio.onclose;
    stdio.onclose = () => {
      previous?.();
      resolve();
    };
  });
  signal(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), KILL_AFTER_MS);
  });
  try {
    if ((await Promise.race([gone, late])) === 'late') {
      signal(pid, 'SIGKILL');
      await gone;
    }
  } finally {
    clearTimeout(timer);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trimEnd();
      buffered = buffered.slice(newline + 1);
      if (line) onLine(line);
      newline = buffered.indexOf('\n');
    }
    // A diagnostic without a newline is not held forever.
    if (buffered.length > 8192) {
      onLine(buffered);
      buffered = '';
    }
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered.trimEnd());
  });
}

type McpContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; mimeType: string }
  | { type: 'resource'; resource: { uri: string; text?: string; mimeType?: string } }
  | { type: 'resource_link'; uri: string; name?: string };
type McpCallResult = { content?: McpContent[]; structuredContent?: unknown; isError?: boolean };

/** An MCP `CallToolResult` as an agent tool's result: text and images kept, other blocks described in text. */
export function toToolResult(result: McpCallResult): ToolResult {
  const content: ToolResultContent[] = [];
  for (const block of result.content ?? []) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'image')
      content.push({ type: 'image', data: block.data, mimeType: block.mimeType });
    else if (block.type === 'resource')
      content.push({ type: 'text', text: block.resource.text ?? `[resource ${block.resource.uri}]` });
    else if (block.type === 'resource_link') content.push({ type: 'text', text: `[resource ${block.uri}]` });
    else if (block.type === 'audio') content.push({ type: 'text', text: `[audio ${block.mimeType}]` });
  }
  if (content.length === 0) {
    content.push({
      type: 'text',
      text: result.structuredContent !== undefined ? JSON.stringify(result.structuredContent) : '(no output)',
    });
  }
  return {
    content,
    ...(result.structuredContent !== undefined ? { details: result.structuredContent } : {}),
    ...(result.isError ? { isError: true } : {}),
  };
}
