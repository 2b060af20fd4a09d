import { ERROR_CODES, type ErrorCode } from '../protocol/error-codes.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { OPERATOR_SCOPES, type OperatorScope } from '../server/authz/scopes.ts';
import type { MethodContext } from '../server/method-types.ts';
import type { MethodDefinition } from '../server/registry.ts';
import type {
  PluginGatewayMethodHandler,
  PluginGatewayMethodOptions,
  PluginGatewayRequest,
  PluginRespond,
} from './api.ts';

const METHOD_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

/** OpenClaw's reserved admin namespaces: a plugin method under one always needs `operator.admin`. */
const ADMIN_NAMESPACES = ['config.', 'exec.approvals.', 'wizard.', 'update.', 'operator.admin.'];

/** The scope a plugin method requires: what it asks for (default admin), admin under a reserved namespace. */
export function pluginMethodScope(
  name: string,
  options: PluginGatewayMethodOptions | undefined,
): OperatorScope {
  const requested = options?.scope ?? 'operator.admin';
  if (!OPERATOR_SCOPES.includes(requested)) {
    throw new Error(`gateway method ${name}: scope ${String(requested)} is not an operator scope`);
  }
  return ADMIN_NAMESPACES.some((prefix) => name.startsWith(prefix)) ? 'operator.admin' : requested;
}

export function checkMethodName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METHOD_NAME.test(name)) {
    throw new Error(`gateway method name ${JSON.stringify(name)} must be dotted words (my-plugin.status)`);
  }
}

const isObj = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A plugin's `respond(false, …, error)` as the protocol's error: an unknown code keeps its name in details. */
function refusal(method: string, error: Parameters<PluginRespond>[2]): GatewayError {
  const message = typeof error?.message === 'string' ? error.message : `${method} failed`;
  const code = error?.code;
  const known = typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
  const details = isObj(error?.details) ? error.details : undefined;
  return new GatewayError(known ? (code as ErrorCode) : 'INVALID_REQUEST', message, {
    details: known || code === undefined ? details : { ...details, code },
    retryable: error?.retryable,
    retryAfterMs: error?.retryAfterMs,
  });
}

/**
 * A plugin method in the registry's shape. The plugin answers OpenClaw's way, through `respond`; a handler that
 * returns a value without calling `respond` answers with that value. A handler that throws is an internal error
 * (logged by dispatch, never shown to the caller).
 */
export function pluginMethod(
  name: string,
  handler: PluginGatewayMethodHandler,
  scope: OperatorScope,
): MethodDefinition {
  return {
    access: { scope },
    handler: (params: unknown, ctx: MethodContext) => {
      if (!isObj(params)) {
        throw new GatewayError('INVALID_REQUEST', `invalid ${name} params: must be an object`);
      }
      return new Promise((resolve, reject) => {
        let answered = false;
        const respond: PluginRespond = (ok, payload, error) => {
          if (answered) return;
          answered = true;
          if (ok) resolve(payload);
          else reject(refusal(name, error));
        };
        const request: PluginGatewayRequest = {
          req: { type: 'req', id: ctx.requestId, method: name, params },
          params,
          client: Object.freeze({
            connId: ctx.client.connId,
            role: ctx.client.role,
            scopes: [...ctx.client.scopes],
            ...(ctx.client.deviceId ? { deviceId: ctx.client.deviceId } : {}),
            connect: { client: ctx.client.info },
          }),
          respond,
          context: Object.freeze({}),
          isWebchatConnect: () => ctx.client.info?.mode === 'webchat',
        };
        Promise.resolve()
          .then(() => handler(request))
          .then(
            (value) => {
              if (!answered && value !== undefined) respond(true, value);
            },
            (error: unknown) => {
              if (answered) return;
              answered = true;
              reject(error);
            },
          );
      });
    },
  };
}
