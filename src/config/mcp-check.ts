import { ConfigError } from './config-error.ts';
import type { McpServerConfig, McpTransport } from './mcp-types.ts';
import type { GatewayConfig } from './types.ts';

/** The transport a server definition means: its own, else stdio for a command and SSE for a url (OpenClaw's rule). */
export function mcpTransportOf(server: McpServerConfig): McpTransport {
  return server.transport ?? (server.command !== undefined ? 'stdio' : 'sse');
}

/**
 * What the schema cannot say about `mcp.servers`: an enabled server names exactly one of a command (stdio) and a
 * url (HTTP), matching its transport; `__proto__` is reserved (as in OpenClaw). Disabled definitions are kept as
 * they are written.
 */
export function checkMcpServers(config: GatewayConfig): void {
  for (const [name, server] of Object.entries(config.mcp.servers)) {
    const at = `mcp.servers.${name}`;
    if (name === '__proto__')
      throw new ConfigError(`${at}: the server name __proto__ is reserved; choose another`);
    if (server.enabled === false) continue;
    if (server.command !== undefined && server.url !== undefined) {
      throw new ConfigError(`${at}: set command (stdio) or url (HTTP), not both`);
    }
    if (server.command === undefined && server.url === undefined) {
      throw new ConfigError(
        `${at}: an enabled server needs a command (stdio) or a url (sse, streamable-http)`,
      );
    }
    const transport = mcpTransportOf(server);
    if (transport === 'stdio' && server.command === undefined) {
      throw new ConfigError(`${at}.transport: stdio needs a command`);
    }
    if (transport !== 'stdio' && server.url === undefined) {
      throw new ConfigError(`${at}.transport: ${transport} needs a url`);
    }
    if (server.url !== undefined) {
      try {
        new URL(server.url);
      } catch {
        throw new ConfigError(`${at}.url: not a valid URL`);
      }
    }
    if (
      server.cwd !== undefined &&
      server.workingDirectory !== undefined &&
      server.cwd !== server.workingDirectory
    ) {
      throw new ConfigError(`${at}: cwd and workingDirectory disagree; keep one`);
    }
  }
}
