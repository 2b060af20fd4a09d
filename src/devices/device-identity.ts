import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { GatewayError } from '../protocol/gateway-error.ts';

/** SPKI DER prefix of an Ed25519 public key; the raw 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type DeviceProof = {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce: string;
};

export type DeviceSignatureContext = {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  token: string;
  nonce: string;
  platform?: string;
  deviceFamily?: string;
};

/** Platform and family enter the v3 payload trimmed and ASCII-lowercased. */
function normalizeMeta(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The strings a device signs (protocol.md §4): v3 first, v2 (no platform/family) still accepted. */
export function deviceAuthPayloads(
  deviceId: string,
  signedAt: number,
  ctx: DeviceSignatureContext,
): string[] {
  const v2Fields = [
    deviceId,
    ctx.clientId,
    ctx.clientMode,
    ctx.role,
    ctx.scopes.join(','),
    String(signedAt),
    ctx.token,
    ctx.nonce,
  ];
  return [
    ['v3', ...v2Fields, normalizeMeta(ctx.platform), normalizeMeta(ctx.deviceFamily)].join('|'),
    ['v2', ...v2Fields].join('|'),
  ];
}

export function rawPublicKey(publicKey: string): Buffer | undefined {
  try {
    if (publicKey.includes('BEGIN PUBLIC KEY')) {
      const der = createPublicKey(publicKey).export({ format: 'der', type: 'spki' });
      return der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)
        ? der.subarray(12)
        : undefined;
    }
    const raw = Buffer.from(publicKey, 'base64url');
    return raw.length === 32 ? raw : undefined;
  } catch {
    return undefined;
  }
}

export function deviceIdFromRawKey(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function keyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function deviceAuthError(detailCode: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, {
    details: {
      code: detailCode,
      reason: detailCode.toLowerCase(),
      recommendedNextStep: 'update_auth_credentials',
    },
  });
}

/** One Ed25519 check on libuv's thread pool: a wrong key or a malformed signature is just "not valid". */
function verifiesOffThread(payload: string, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(null, Buffer.from(payload, 'utf8'), key, signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Verifies a connect's signed device: the id is the key's SHA-256, the nonce is this socket's challenge, the
 * signature is fresh (±skew) and valid over the v3 or v2 payload. Returns the raw key, base64url. The signature
 * check runs on the thread pool: it was a fifth of the main thread's time in a burst of Control UI connects.
 */
export async function verifyDeviceProof(
  device: DeviceProof,
  ctx: DeviceSignatureContext,
  now: number,
  skewMs: number,
): Promise<{ deviceId: string; publicKey: string }> {
  const raw = rawPublicKey(device.publicKey);
  if (!raw)
    throw deviceAuthError('DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device public key is not a valid Ed25519 key');
  const deviceId = deviceIdFromRawKey(raw);
  if (device.id !== deviceId) {
    throw deviceAuthError('DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device id does not match its public key');
  }
  if (device.nonce !== ctx.nonce) {
    throw deviceAuthError('DEVICE_AUTH_NONCE_MISMATCH', 'device nonce does not match the connect challenge');
  }
  if (Math.abs(now - device.signedAt) > skewMs) {
    throw deviceAuthError(
      'DEVICE_AUTH_SIGNATURE_EXPIRED',
      'device signature expired: check the device clock',
    );
  }
  const signature = Buffer.from(device.signature, 'base64url');
  const key = keyObject(raw);
  // v3 first (what current clients sign); v2 only when that fails.
  for (const payload of deviceAuthPayloads(deviceId, device.signedAt, ctx)) {
    if (await verifiesOffThread(payload, key, signature))
      return { deviceId, publicKey: raw.toString('base64url') };
  }
  throw deviceAuthError('DEVICE_AUTH_SIGNATURE_INVALID', 'device signature invalid');
}
