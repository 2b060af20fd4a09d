import { type TSchema, Type } from 'typebox';
import { MCP_APPROVAL_MODES } from '../agents/mcp/mcp-approval-mode.ts';
import { MCP_TRANSPORTS } from './mcp-types.ts';

/** The `mcp` section (OpenClaw's `mcp.servers` keys clawgate implements), placed by schema.ts. */

const about = <T extends TSchema>(title: string, description: string, schema: T) =>
  ({ ...schema, title, description }) as T;
const key = <T extends TSchema>(title: string, description: string, schema: T) =>
  Type.Optional(about(title, description, schema));
const closed = (properties: Record<string, TSchema>) =>
  Type.Object(properties, { additionalProperties: false });
const NonEmpty = Type.String({ minLength: 1 });
const Names = Type.Array(NonEmpty);
const Ms = Type.Integer({ minimum: 1 });
const Values = Type.Record(NonEmpty, Type.String());

const McpServerSchema = closed({
  enabled: key('Enabled', 'false keeps the definition without connecting it.', Type.Boolean()),
  command: key('Command', 'Stdio: the executable to spawn.', NonEmpty),
  args: key('Arguments', 'Stdio: the command’s arguments.', Type.Array(Type.String())),
  env: key(
    'Environment',
    'Stdio: extra environment variables (values may be env:NAME or file:/path); never shown or logged.',
    Values,
  ),
  cwd: key('Working directory', 'Stdio: where the command runs.', NonEmpty),
  workingDirectory: key('Working directory', 'Alias of cwd.', NonEmpty),
  url: key('URL', 'HTTP: the server’s http:// or https:// endpoint.', Type.String({ pattern: '^https?://' })),
  transport: key(
    'Transport',
    'stdio, sse or streamable-http; absent: stdio with a command, sse with a url.',
    Type.Union(MCP_TRANSPORTS.map((id) => Type.Literal(id))),
  ),
  headers: key(
    'Headers',
    'HTTP: extra request headers (values may be env:NAME or file:/path); never shown or logged.',
    Values,
  ),
  connectionTimeoutMs: key(
    'Connection timeout',
    'Milliseconds to connect and list the tools (default 30000).',
    Ms,
  ),
  requestTimeoutMs: key('Request timeout', 'Milliseconds one tool call may take (default 60000).', Ms),
  toolFilter: key(
    'Tool filter',
    'Which of the server’s tools are offered: include and exclude by name or * glob; exclude wins.',
    closed({
      include: key('Include', 'Only these tools (names or * globs).', Names),
      exclude: key('Exclude', 'Never these tools (names or * globs).', Names),
    }),
  ),
  codex: key(
    'Approvals',
    'OpenClaw’s per-server tool approval settings (the key is shared with its Codex runs).',
    closed({
      defaultToolsApprovalMode: key(
        'Tool approval mode',
        'approve never asks, prompt asks every call, auto asks unless the tool is read-only or granted; absent: approve when tools.exec is full/off, else auto.',
        Type.Union(MCP_APPROVAL_MODES.map((id) => Type.Literal(id))),
      ),
    }),
  ),
});

export const McpSchema = Type.Optional(
  about(
    'MCP',
    'Model Context Protocol servers whose tools agents may call, under the same tool policy. Applied live.',
    closed({
      servers: key(
        'Servers',
        'By name: a stdio command or an HTTP url; tools are named <server>__<tool>.',
        Type.Record(NonEmpty, McpServerSchema),
      ),
    }),
  ),
);
