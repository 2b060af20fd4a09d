import { createHmac } from 'node:crypto';
import { secretsEqual } from '../../server/auth/secret-compare.ts';

export const SIGNATURE_HEADER = 'x-clawgate-signature';
export const TIMESTAMP_HEADER = 'x-clawgate-timestamp';
const SCHEME = 'sha256=';

/**
 * The webhook channel's signature, both directions: HMAC-SHA256 with the shared secret over
 * `<timestamp>.<raw body>` (the timestamp in Unix seconds, as sent in X-Clawgate-Timestamp), hex, sent as
 * `X-Clawgate-Signature: sha256=<hex>`. Signing the timestamp with the body is what lets the receiver refuse a
 * replayed request outside the tolerance: the timestamp cannot be refreshed without the secret.
 */
export function signBody(secret: string, timestamp: number, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `${SCHEME}${hmac.digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks an inbound request's two headers against its raw body; constant-time, the secret never echoed. */
export function checkSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: Buffer,
  nowMs: number,
  toleranceSeconds: number,
): SignatureCheck {
  if (!headers.signature || !headers.timestamp) {
    return { ok: false, reason: 'missing X-Clawgate-Signature or X-Clawgate-Timestamp' };
  }
  if (!/^\d{1,12}$/.test(headers.timestamp))
    return { ok: false, reason: 'X-Clawgate-Timestamp must be Unix seconds' };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) {
    return { ok: false, reason: `timestamp outside the ${toleranceSeconds} s tolerance` };
  }
  if (!secretsEqual(headers.signature.trim().toLowerCase(), signBody(secret, timestamp, body))) {
    return { ok: false, reason: 'invalid signature' };
  }
  return { ok: true };
}
