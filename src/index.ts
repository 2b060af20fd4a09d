/** clawgate's public API: start a gateway in-process. Everything else is internal. */

export type { GatewayServer, StartGatewayOptions } from './gateway/server.ts';
export { startGatewayServer } from './gateway/server.ts';
