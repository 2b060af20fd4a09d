/** clawgate's public API: start a gateway in-process. Everything else is internal. */

export type { GatewayServer, StartGatewayOptions } from './server/server.ts';
export { startGatewayServer } from './server/server.ts';
