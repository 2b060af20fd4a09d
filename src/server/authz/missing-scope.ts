import { GatewayError } from '../../protocol/gateway-error.ts';
import type { OperatorScope } from './scopes.ts';

/** OpenClaw's refusal for a missing scope: `FORBIDDEN "missing scope: <scope>"` with `MISSING_SCOPE` details. */
export function missingScopeError(
  scope: OperatorScope,
  requiredScopes: readonly string[] = [scope],
  extra: Record<string, unknown> = {},
): GatewayError {
  return new GatewayError('FORBIDDEN', `missing scope: ${scope}`, {
    details: { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [...requiredScopes], ...extra },
  });
}
