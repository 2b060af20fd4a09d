import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { DeviceIdentity, GatewayClientHostDeps } from '@openclaw/gateway-client';
import { connectParams, type Frame, RawClient } from './raw-client.ts';

/** SPKI DER prefix of an Ed25519 public key; the raw 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A device identity in the shape the reference client wants, plus the raw key as sent on the wire. */
export type TestDevice = DeviceIdentity & { publicKeyRaw: string };

export function rawPublicKeyFromPem(publicKeyPem: string): Buffer {
  const der = createPublicKey(publicKeyPem).export({ format: 'der', type: 'spki' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX))
    throw new Error('not an Ed25519 public key');
  return der.subarray(12);
}

/** A fresh Ed25519 device: `deviceId` is the lowercase hex SHA-256 of the raw 32-byte public key. */
export function createTestDevice(): TestDevice {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const raw = rawPublicKeyFromPem(publicKeyPem);
  return {
    deviceId: createHash('sha256').update(raw).digest('hex'),
    publicKeyPem,
    privateKeyPem,
    publicKeyRaw: raw.toString('base64url'),
  };
}

/** Base64url Ed25519 signature of the UTF-8 payload. */
export function signDevicePayload(privateKeyPem: string, payload: string): string {
  return sign(null, Buffer.from(payload, 'utf8'), createPrivateKey(privateKeyPem)).toString('base64url');
}

export function publicKeyRawBase64UrlFromPem(publicKeyPem: string): string {
  return rawPublicKeyFromPem(publicKeyPem).toString('base64url');
}

export type StoredDeviceToken = { token: string; scopes: string[] };

/**
 * The reference client's device-token persistence, in memory: what `hello-ok.auth.deviceToken` it was given,
 * per device and role, and whether it was told to forget one.
 */
export class MemoryDeviceTokenStore {
  readonly tokens = new Map<string, StoredDeviceToken>();
  readonly cleared: string[] = [];

  get(deviceId: string, role = 'operator'): StoredDeviceToken | undefined {
    return this.tokens.get(`${deviceId}|${role}`);
  }

  set(deviceId: string, role: string, record: StoredDeviceToken): void {
    this.tokens.set(`${deviceId}|${role}`, record);
  }

  /** `hostDeps` for a GatewayClient: signing with node:crypto, tokens kept in this store. */
  hostDeps(): GatewayClientHostDeps {
    return {
      signDevicePayload,
      publicKeyRawBase64UrlFromPem,
      loadDeviceAuthToken: ({ deviceId, role }) => this.get(deviceId, role) ?? null,
      storeDeviceAuthToken: ({ deviceId, role, token, scopes }) =>
        this.set(deviceId, role, { token, scopes: [...scopes] }),
      clearDeviceAuthToken: ({ deviceId, role }) => {
        this.tokens.delete(`${deviceId}|${role}`);
        this.cleared.push(`${deviceId}|${role}`);
      },
    };
  }
}

export type DeviceProofInput = {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  /** `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""`. */
  token: string;
  nonce: string;
  signedAt: number;
  platform?: string;
  deviceFamily?: string;
  /** `v3` (default) or the older `v2` payload without platform and device family. */
  version?: 'v2' | 'v3';
};

function normalizeMeta(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The string a device signs (protocol.md §4). */
export function deviceAuthPayload(deviceId: string, input: DeviceProofInput): string {
  const fields = [
    deviceId,
    input.clientId,
    input.clientMode,
    input.role,
    input.scopes.join(','),
    String(input.signedAt),
    input.token,
    input.nonce,
  ];
  if (input.version === 'v2') return ['v2', ...fields].join('|');
  return ['v3', ...fields, normalizeMeta(input.platform), normalizeMeta(input.deviceFamily)].join('|');
}

/** The `connect.device` object for raw-socket tests. */
export function deviceProof(device: TestDevice, input: DeviceProofInput) {
  return {
    id: device.deviceId,
    publicKey: device.publicKeyRaw,
    signature: signDevicePayload(device.privateKeyPem, deviceAuthPayload(device.deviceId, input)),
    signedAt: input.signedAt,
    nonce: input.nonce,
  };
}

/** The upgrade header that makes a loopback socket count as proxied, so it is not "direct local". */
export const FORWARDED_HEADERS = { 'x-forwarded-for': '10.1.2.3' } as const;

export type DeviceConnectOptions = {
  /** `auth.token` (the shared secret, or a device token the way the reference client sends it). */
  token?: string;
  deviceToken?: string;
  role?: string;
  scopes?: string[];
  client?: { id?: string; mode?: string; platform?: string; deviceFamily?: string; displayName?: string };
  headers?: Record<string, string>;
  /** Changes what gets signed (wrong nonce, stale `signedAt`, v2 payload). */
  signed?: (input: DeviceProofInput) => DeviceProofInput;
  /** Further connect params (a node's `caps`, `commands`, `pathEnv`, `permissions`). */
  extra?: Record<string, unknown>;
  /** Changes the `device` object after signing (tampered signature, foreign id). */
  proof?: (proof: ReturnType<typeof deviceProof>) => Record<string, unknown>;
};

/**
 * Opens a raw socket and connects with a signed device: the proof is built from the socket's own challenge, as a
 * real client does. Returns the client (left open) and the `connect` response.
 */
export async function connectDevice(
  url: string,
  device: TestDevice,
  options: DeviceConnectOptions = {},
): Promise<{ client: RawClient; hello: Frame; challenge: { nonce: string; ts: number } }> {
  const client = new RawClient(url, { headers: options.headers });
  const challenge = await client.challenge();
  const role = options.role ?? 'operator';
  const scopes = options.scopes ?? ['operator.admin'];
  const info = { id: 'cli', mode: 'cli', platform: 'linux', ...options.client };
  const auth: Record<string, string> = {};
  if (options.token !== undefined) auth.token = options.token;
  if (options.deviceToken !== undefined) auth.deviceToken = options.deviceToken;
  const input: DeviceProofInput = {
    clientId: info.id,
    clientMode: info.mode,
    role,
    scopes,
    token: auth.token ?? auth.deviceToken ?? '',
    nonce: challenge.nonce,
    signedAt: challenge.ts,
    platform: info.platform,
    deviceFamily: info.deviceFamily,
  };
  const proof = deviceProof(device, options.signed ? options.signed(input) : input);
  const params = connectParams(undefined, {
    client: info,
    role,
    scopes,
    auth,
    device: options.proof ? options.proof(proof) : proof,
    ...options.extra,
  });
  client.send({ type: 'req', id: 'connect', method: 'connect', params });
  const hello = await client.response('connect');
  return { client, hello, challenge };
}
