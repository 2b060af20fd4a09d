import type { TSchema } from 'typebox';
import { MAX_UNAUTHORIZED_ROLE_CALLS, STARTUP_RETRY_AFTER_MS } from '../config/limits.ts';
import { checkRequestFrame, errorResponse, okResponse } from '../protocol/frames.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { compileSchema, describeIssues, loadSchemas } from '../protocol/validators.ts';
import { ADMIN, NODE } from './authz/access.ts';
import { missingScopeError } from './authz/missing-scope.ts';
import { openClawMethodScope } from './authz/openclaw-methods.ts';
import type { OperatorScope } from './authz/scopes.ts';
import { scopeSatisfied } from './authz/scopes.ts';
import type { GatewayContext } from './context.ts';
import type { MethodContext } from './method-types.ts';
import type { MethodAccess, MethodDefinition } from './registry.ts';
import type { GatewayWsClient } from './ws/client.ts';
import { CLOSE } from './ws/close-codes.ts';
import { corkUntilTickEnds } from './ws/cork.ts';

function send(client: GatewayWsClient, text: string): void {
  if (client.closed) return;
  corkUntilTickEnds(client);
  client.ws.send(text);
}

/** A post-hello text frame: parse → frame check → role → scope → handler → `res`. Never throws. */
export async function handleClientFrame(
  ctx: GatewayContext,
  client: GatewayWsClient,
  text: string,
): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    send(
      client,
      errorResponse('invalid', { code: 'INVALID_REQUEST', message: 'invalid request frame: not valid JSON' }),
    );
    return;
  }
  const check = checkRequestFrame(parsed);
  if (!check.ok) {
    send(
      client,
      errorResponse(check.id ?? 'invalid', {
        code: 'INVALID_REQUEST',
        message: `invalid request frame: ${check.reason}`,
      }),
    );
    return;
  }
  const { id, method } = check.frame;
  let after: (() => void) | undefined;
  try {
    const payload = await dispatch(ctx, client, method, check.frame.params, {
      requestId: id,
      afterResponse: (callback) => {
        after = callback;
      },
      respondAgain: (again) => send(client, okResponse(id, again)),
    });
    send(client, okResponse(id, payload));
    after?.();
  } catch (error) {
    if (error instanceof GatewayError) {
      send(client, errorResponse(id, error.toShape()));
      return;
    }
    ctx.logger.error(`method ${method} failed`, { connId: client.connId, error: (error as Error).stack });
    send(
      client,
      errorResponse(id, { code: 'UNAVAILABLE', message: `internal error while handling ${method}` }),
    );
  }
}

type ResponseHooks = Pick<MethodContext, 'requestId' | 'afterResponse' | 'respondAgain'>;

async function dispatch(
  ctx: GatewayContext,
  client: GatewayWsClient,
  method: string,
  params: unknown,
  hooks: ResponseHooks,
): Promise<unknown> {
  const definition = ctx.registry.method(method);
  if (!definition) {
    // A method OpenClaw has but clawgate lacks is refused as unsupported to whoever holds OpenClaw's scope for
    // it; any other name needs admin, checked before its existence, so probing names reveals nothing to others.
    const openClawScope = openClawMethodScope(method);
    authorize(client, openClawScope ? accessOf(openClawScope) : ADMIN);
    if (openClawScope) {
      throw new GatewayError('INVALID_REQUEST', `${method} is not supported by this gateway (clawgate) yet`, {
        details: { code: 'METHOD_NOT_SUPPORTED', method },
      });
    }
    throw new GatewayError('INVALID_REQUEST', `unknown method: ${method}`);
  }
  authorize(client, definition.access);
  if (definition.requiresReady && !ctx.readiness.ready) {
    throw new GatewayError('UNAVAILABLE', `${method} unavailable: gateway starting; retry shortly`, {
      retryable: true,
      retryAfterMs: STARTUP_RETRY_AFTER_MS,
      details: { reason: 'startup-sidecars' },
    });
  }
  const value = params ?? {};
  await validateParams(method, definition, value);
  return definition.handler(value, { gateway: ctx, client, ...hooks });
}

async function validateParams(method: string, definition: MethodDefinition, value: unknown): Promise<void> {
  const schemas = await loadSchemas();
  const schema = definition.schema ?? (schemas.METHOD_PARAM_SCHEMAS as Record<string, TSchema>)[method];
  if (!schema) return;
  const validator = compileSchema(schemas, schema);
  if (validator.Check(value)) return;
  throw new GatewayError(
    'INVALID_REQUEST',
    `invalid ${method} params: ${describeIssues(validator, value).join('; ')}`,
  );
}

function accessOf(scope: string): MethodAccess {
  return scope === 'node' ? NODE : { scope: scope as OperatorScope };
}

/** Role first (coarse), then scope (fine), as OpenClaw's handleGatewayRequest does. */
function authorize(client: GatewayWsClient, access: MethodAccess): void {
  const nodeOnly = 'role' in access;
  if (nodeOnly !== (client.role === 'node')) {
    client.wrongRoleCalls += 1;
    if (client.wrongRoleCalls > MAX_UNAUTHORIZED_ROLE_CALLS) {
      client.ws.close(CLOSE.POLICY, 'repeated unauthorized calls');
    }
    throw new GatewayError('INVALID_REQUEST', `unauthorized role: ${client.role}`);
  }
  client.wrongRoleCalls = 0;
  if ('role' in access || access.scope === null) return;
  const { scope } = access;
  const sessionScope = 'sessionScope' in access ? access.sessionScope : undefined;
  if (scopeSatisfied(client.scopes, scope)) return;
  if (sessionScope && scopeSatisfied(client.scopes, sessionScope)) return;
  const requiredScopes = sessionScope ? [scope, sessionScope] : [scope];
  throw missingScopeError(scope, requiredScopes);
}
