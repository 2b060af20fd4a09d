import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.ts';
import { deviceIdFromRawKey } from './device-identity.ts';

export type GatewayIdentity = { deviceId: string; publicKey: string; sign(payload: string): string };

const IDENTITY_FILE = 'gateway-identity.pem';

/** The gateway's own Ed25519 identity (what `gateway.identity.get` reports), created once in the state dir. */
export function loadOrCreateGatewayIdentity(stateDir: string): GatewayIdentity {
  const path = join(stateDir, IDENTITY_FILE);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `gateway identity ${path} is unreadable or corrupt: move it away to create a new identity`,
      );
    }
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileAtomic(path, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  }
  const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
  return {
    deviceId: deviceIdFromRawKey(raw),
    publicKey: raw.toString('base64url'),
    sign: (payload) => sign(null, Buffer.from(payload), privateKey).toString('base64url'),
  };
}
