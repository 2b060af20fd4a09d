import type { GatewayContext } from '../context.ts';
import type { GatewayWsClient } from '../ws/client.ts';

export type MethodContext = { gateway: GatewayContext; client: GatewayWsClient };

// biome-ignore lint/suspicious/noExplicitAny: params are validated against the method's schema before the call.
export type MethodHandler = (params: any, ctx: MethodContext) => unknown;

export type MethodTable = Record<string, MethodHandler>;
