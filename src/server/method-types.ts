import type { GatewayContext } from './context.ts';
import type { GatewayWsClient } from './ws/client.ts';

export type MethodContext = {
  gateway: GatewayContext;
  client: GatewayWsClient;
  requestId: string;
  /** Runs once the handler's result has been sent (methods that answer twice, like `agent`). */
  afterResponse(callback: () => void): void;
  /** Sends a second `res` on the same request id. */
  respondAgain(payload: unknown): void;
};

// biome-ignore lint/suspicious/noExplicitAny: params are validated against the method's schema before the call.
export type MethodHandler = (params: any, ctx: MethodContext) => unknown;

export type MethodTable = Record<string, MethodHandler>;
