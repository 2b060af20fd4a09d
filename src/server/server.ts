import type { GatewayServer, StartGatewayOptions } from './start.ts';

export type { GatewayServer, StartGatewayOptions } from './start.ts';

/**
 * Public entry. The implementation (HTTP, TLS, ws, methods) is imported only when a gateway actually starts, so
 * CLI commands that merely talk to one never load it.
 */
export async function startGatewayServer(options: StartGatewayOptions = {}): Promise<GatewayServer> {
  const impl = await import('./start.ts');
  return impl.startGatewayServer(options);
}
