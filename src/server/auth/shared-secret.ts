import { GatewayError } from '../../protocol/gateway-error.ts';
import { secretsEqual } from './secret-compare.ts';
import type { CurrentAuth } from './secret-source.ts';

export type ConnectAuth = {
  token?: string;
  password?: string;
  deviceToken?: string;
  bootstrapToken?: string;
};

export type SharedSecretResult =
  /** The shared secret matched (or the mode needs none). */
  | { kind: 'ok'; method: 'token' | 'password' | 'none' | 'trusted-proxy' | 'tailscale' }
  /** No shared secret was offered: the caller may still succeed with a device token. */
  | { kind: 'absent' }
  /** A wrong secret: counts against the failed-auth limit. */
  | { kind: 'mismatch'; error: GatewayError };

function authFailure(message: string, detailCode: string, authReason: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, {
    details: {
      code: detailCode,
      authReason,
      canRetryWithDeviceToken: false,
      recommendedNextStep: 'update_auth_credentials',
    },
  });
}

/**
 * Checks the shared secret for the configured mode. The secret may arrive in `auth.token` or `auth.password`
 * (the Control UI sends it in both); the mode decides which configured secret it is compared with.
 */
export function checkSharedSecret(
  auth: CurrentAuth,
  offered: ConnectAuth | undefined,
  trustedProxyUser: string | undefined,
): SharedSecretResult {
  if (auth.mode === 'none') return { kind: 'ok', method: 'none' };
  if (auth.mode === 'trusted-proxy') {
    if (trustedProxyUser) return { kind: 'ok', method: 'trusted-proxy' };
    return {
      kind: 'mismatch',
      error: authFailure(
        'unauthorized: trusted proxy identity missing',
        'AUTH_TRUSTED_PROXY_MISSING',
        'trusted_proxy_missing',
      ),
    };
  }
  const candidates = [offered?.token, offered?.password].filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  if (candidates.length === 0) return { kind: 'absent' };
  const expected = auth.mode === 'token' ? auth.token : auth.password;
  // Every candidate is compared, so timing does not reveal which field held the right secret.
  let matched = false;
  for (const candidate of candidates)
    if (expected !== undefined && secretsEqual(candidate, expected)) matched = true;
  if (matched) return { kind: 'ok', method: auth.mode };
  return auth.mode === 'token'
    ? {
        kind: 'mismatch',
        error: authFailure(
          'unauthorized: gateway token mismatch (set the gateway token: --token or CLAWGATE_GATEWAY_TOKEN)',
          'AUTH_TOKEN_MISMATCH',
          'token_mismatch',
        ),
      }
    : {
        kind: 'mismatch',
        error: authFailure(
          'unauthorized: gateway password mismatch',
          'AUTH_PASSWORD_MISMATCH',
          'password_mismatch',
        ),
      };
}

export function missingSecretError(mode: CurrentAuth['mode']): GatewayError {
  return mode === 'password'
    ? authFailure('unauthorized: gateway password missing', 'AUTH_PASSWORD_MISSING', 'password_missing')
    : authFailure(
        'unauthorized: gateway token missing (provide the gateway token: --token or CLAWGATE_GATEWAY_TOKEN)',
        'AUTH_TOKEN_MISSING',
        'token_missing',
      );
}
