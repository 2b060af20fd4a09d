import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../storage/atomic-file.ts';

export type DeviceTokenRecord = {
  role: string;
  tokenHash: string;
  scopes: string[];
  /** When the device first got a token for this role. */
  createdAtMs: number;
  /** When the current token replaced an earlier one. */
  rotatedAtMs?: number;
};

/** How a pairing was approved (OpenClaw's `approvedVia`): automatically on direct loopback, or by an operator. */
export type ApprovedVia = 'silent' | 'owner';

/** A device seen this recently is not written to disk again just to move `lastSeenAtMs` (reconnect storms). */
const LAST_SEEN_PERSIST_MS = 60_000;

export type PairedDevice = {
  deviceId: string;
  publicKey: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  roles: string[];
  scopes: string[];
  createdAtMs: number;
  approvedAtMs: number;
  approvedVia?: ApprovedVia;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
  tokens: Record<string, DeviceTokenRecord>;
};

export type PairingReason = 'not-paired' | 'role-upgrade' | 'scope-upgrade' | 'metadata-upgrade';

export type PairingRequest = {
  requestId: string;
  deviceId: string;
  publicKey: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  role: string;
  scopes: string[];
  remoteIp?: string;
  reason: PairingReason;
  isRepair: boolean;
  ts: number;
};

export type DeviceClaims = Omit<PairingRequest, 'requestId' | 'reason' | 'isRepair' | 'ts'>;

type StoreFile = { version: 1; devices: PairedDevice[]; pending: PairingRequest[] };

const STORE_VERSION = 1;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function copyClaims(claims: DeviceClaims): Partial<PairedDevice> {
  const { displayName, platform, deviceFamily, clientId, clientMode } = claims;
  return { displayName, platform, deviceFamily, clientId, clientMode };
}

/**
 * Paired devices, pending pairing requests and device tokens, kept in one JSON file in the state dir and
 * rewritten atomically on every change, so an approved pairing survives a crash or restart. Tokens are stored
 * as SHA-256 hashes: the file never holds a usable credential.
 */
export class DeviceStore {
  #path: string;
  #devices = new Map<string, PairedDevice>();
  #pending = new Map<string, PairingRequest>();
  /** When each device's lastSeenAtMs last reached the disk. */
  #seenSavedAt = new Map<string, number>();

  constructor(path: string) {
    this.#path = path;
    this.#load();
  }

  #load(): void {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read device store ${this.#path}: ${(error as Error).message}`);
    }
    let parsed: StoreFile;
    try {
      parsed = JSON.parse(text) as StoreFile;
    } catch {
      throw new Error(
        `device store ${this.#path} is corrupt (not JSON): restore it from a backup or move it away to re-pair devices`,
      );
    }
    if (
      parsed.version !== STORE_VERSION ||
      !Array.isArray(parsed.devices) ||
      !Array.isArray(parsed.pending)
    ) {
      throw new Error(
        `device store ${this.#path} has an unsupported format (version ${String(parsed.version)})`,
      );
    }
    for (const device of parsed.devices) {
      // Files written before tokens carried createdAtMs had issuedAtMs.
      for (const record of Object.values(device.tokens) as (DeviceTokenRecord & { issuedAtMs?: number })[]) {
        if (record.createdAtMs === undefined && record.issuedAtMs !== undefined) {
          record.createdAtMs = record.issuedAtMs;
          delete record.issuedAtMs;
        }
      }
      this.#devices.set(device.deviceId, device);
    }
    for (const request of parsed.pending) this.#pending.set(request.requestId, request);
  }

  #save(): void {
    const file: StoreFile = {
      version: STORE_VERSION,
      devices: [...this.#devices.values()],
      pending: [...this.#pending.values()],
    };
    writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  }

  get(deviceId: string): PairedDevice | undefined {
    return this.#devices.get(deviceId);
  }

  listPaired(): PairedDevice[] {
    return [...this.#devices.values()];
  }

  listPending(): PairingRequest[] {
    return [...this.#pending.values()];
  }

  getRequest(requestId: string): PairingRequest | undefined {
    return this.#pending.get(requestId);
  }

  /** Opens (or refreshes) the pending request for this device; `created` tells whether operators must be told. */
  requestPairing(
    claims: DeviceClaims,
    reason: PairingReason,
    now: number,
  ): { request: PairingRequest; created: boolean } {
    for (const request of this.#pending.values()) {
      if (request.deviceId === claims.deviceId && request.role === claims.role) {
        const sameScopes = request.scopes.join(',') === claims.scopes.join(',');
        if (sameScopes) return { request, created: false };
        this.#pending.delete(request.requestId);
      }
    }
    const request: PairingRequest = {
      ...claims,
      requestId: randomUUID(),
      reason,
      isRepair: this.#devices.has(claims.deviceId),
      ts: now,
    };
    this.#pending.set(request.requestId, request);
    this.#save();
    return { request, created: true };
  }

  /** Approves a request: the device is paired (or widened) with the requested role and scopes. */
  approve(requestId: string, now: number): { request: PairingRequest; device: PairedDevice } | undefined {
    const request = this.#pending.get(requestId);
    if (!request) return undefined;
    this.#pending.delete(requestId);
    const device = this.#upsert(request, now, 'owner');
    this.#save();
    return { request, device };
  }

  /**
   * Pairs a device at once (direct loopback auto-approval); no request is kept. With `deferWrite` the caller's
   * next change (the token it issues right away) writes the file: one rewrite per new device, not two.
   */
  pairDirectly(claims: DeviceClaims, now: number, deferWrite = false): PairedDevice {
    for (const [id, request] of this.#pending)
      if (request.deviceId === claims.deviceId) this.#pending.delete(id);
    const device = this.#upsert(claims, now, 'silent');
    if (!deferWrite) this.#save();
    return device;
  }

  #upsert(claims: DeviceClaims, now: number, via: ApprovedVia): PairedDevice {
    const existing = this.#devices.get(claims.deviceId);
    const device: PairedDevice = existing ?? {
      deviceId: claims.deviceId,
      publicKey: claims.publicKey,
      roles: [],
      scopes: [],
      createdAtMs: now,
      approvedAtMs: now,
      tokens: {},
    };
    Object.assign(device, copyClaims(claims));
    device.approvedAtMs = now;
    // An operator's approval is not downgraded by a later automatic widening.
    if (device.approvedVia !== 'owner') device.approvedVia = via;
    if (!device.roles.includes(claims.role)) device.roles.push(claims.role);
    device.scopes = [...new Set([...device.scopes, ...claims.scopes])];
    this.#devices.set(device.deviceId, device);
    return device;
  }

  reject(requestId: string): PairingRequest | undefined {
    const request = this.#pending.get(requestId);
    if (!request) return undefined;
    this.#pending.delete(requestId);
    this.#save();
    return request;
  }

  remove(deviceId: string): boolean {
    const removed = this.#devices.delete(deviceId);
    for (const [id, request] of this.#pending) if (request.deviceId === deviceId) this.#pending.delete(id);
    if (removed) this.#save();
    return removed;
  }

  /** Issues a fresh device token for a role, replacing any earlier one; returns the plaintext once. */
  issueToken(
    deviceId: string,
    role: string,
    scopes: string[],
    now: number,
  ): { token: string; record: DeviceTokenRecord } {
    const device = this.#devices.get(deviceId);
    if (!device) throw new Error(`device ${deviceId} is not paired`);
    const token = randomBytes(32).toString('base64url');
    const earlier = device.tokens[role];
    const record: DeviceTokenRecord = {
      role,
      tokenHash: hashToken(token),
      scopes: [...scopes],
      createdAtMs: earlier?.createdAtMs ?? now,
      ...(earlier ? { rotatedAtMs: now } : {}),
    };
    device.tokens[role] = record;
    this.#save();
    return { token, record };
  }

  /**
   * Records a device's connect; written to disk at most once a minute per device (the file is rewritten whole),
   * or not at all with `deferWrite` when the caller's next change writes the file anyway.
   */
  markSeen(deviceId: string, now: number, reason: string, deferWrite = false): void {
    const device = this.#devices.get(deviceId);
    if (!device) return;
    device.lastSeenAtMs = now;
    device.lastSeenReason = reason;
    const savedAt = this.#seenSavedAt.get(deviceId);
    if (deferWrite || (savedAt !== undefined && now - savedAt < LAST_SEEN_PERSIST_MS)) return;
    this.#seenSavedAt.set(deviceId, now);
    this.#save();
  }

  /** The token record the presented device token matches, compared in constant time. */
  matchToken(deviceId: string, role: string, token: string): DeviceTokenRecord | undefined {
    const record = this.#devices.get(deviceId)?.tokens[role];
    if (!record) return undefined;
    const a = Buffer.from(hashToken(token), 'hex');
    const b = Buffer.from(record.tokenHash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? record : undefined;
  }

  revokeToken(deviceId: string, role: string): boolean {
    const device = this.#devices.get(deviceId);
    if (!device?.tokens[role]) return false;
    delete device.tokens[role];
    this.#save();
    return true;
  }
}
