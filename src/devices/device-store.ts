import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS } from '../storage/database.ts';
import { WalSync } from '../storage/wal-sync.ts';

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
const DEVICE_DB_FILE = 'devices.db';
const LEGACY_JSON_FILE = 'devices.json';

/** One row per device and per pending request, the record as JSON: read whole at start, written per change. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS pairing_requests (request_id TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
`;

function prepare(db: DatabaseSync) {
  return {
    allDevices: db.prepare('SELECT record FROM devices'),
    allPending: db.prepare('SELECT record FROM pairing_requests'),
    putDevice: db.prepare(
      'INSERT INTO devices (device_id, record) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET record = excluded.record',
    ),
    deleteDevice: db.prepare('DELETE FROM devices WHERE device_id = ?'),
    putPending: db.prepare(
      'INSERT INTO pairing_requests (request_id, record) VALUES (?, ?) ON CONFLICT (request_id) DO UPDATE SET record = excluded.record',
    ),
    deletePending: db.prepare('DELETE FROM pairing_requests WHERE request_id = ?'),
  };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function copyClaims(claims: DeviceClaims): Partial<PairedDevice> {
  const { displayName, platform, deviceFamily, clientId, clientMode } = claims;
  return { displayName, platform, deviceFamily, clientId, clientMode };
}

/**
 * Paired devices, pending pairing requests and device tokens, held in memory and written to their own SQLite
 * file (`devices.db`, WAL, synchronous FULL), a row per device and per request, the changes of one event-loop turn
 * in one commit (callers await `flushed()` before they answer): a change costs the same with ten devices or ten
 * thousand, where the JSON file it replaces was rewritten whole on every connect (O(N²)
 * for N Control UIs pairing). An approved pairing survives a crash or restart. Tokens are stored as SHA-256
 * hashes: the file never holds a usable credential. A `devices.json` left by an earlier clawgate is imported once
 * and renamed `devices.json.imported`.
 */
export class DeviceStore {
  #db: DatabaseSync;
  #wal: WalSync;
  /** The fsync of the last commit, while it runs. */
  #syncing: Promise<void> | undefined;
  #sql: ReturnType<typeof prepare>;
  #devices = new Map<string, PairedDevice>();
  #pending = new Map<string, PairingRequest>();
  /** When each device's lastSeenAtMs last reached the disk. */
  #seenSavedAt = new Map<string, number>();
  #dirtyDevices = new Set<string>();
  #dirtyRequests = new Set<string>();
  #flushTimer: NodeJS.Immediate | undefined;
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(stateDir: string) {
    const path = join(stateDir, DEVICE_DB_FILE);
    try {
      // Private like the other state: created 0600 here (SQLite would use the umask; -wal/-shm follow it).
      closeSync(openSync(path, 'a', 0o600));
      this.#db = new DatabaseSync(path);
      this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      // NORMAL plus WalSync: a commit is on disk before `flushed()` resolves, as under FULL, but its fsync runs
      // off the event loop (under FULL each new device's commit held every other socket for its fsync).
      this.#db.exec('PRAGMA synchronous = NORMAL');
      // Everything is read once into memory at start-up; the file only takes writes, which need few pages cached
      // (SQLite's default keeps up to 2 MB per connection, ~2 KiB more per paired device until it is full).
      this.#db.exec('PRAGMA cache_size = -256');

      this.#db.exec(SCHEMA);
    } catch (error) {
      throw new Error(`cannot open device store ${path}: ${(error as Error).message}`);
    }
    this.#sql = prepare(this.#db);
    this.#wal = new WalSync(path);
    for (const { record } of this.#sql.allDevices.all() as { record: string }[]) {
      const device = JSON.parse(record) as PairedDevice;
      this.#devices.set(device.deviceId, device);
    }
    for (const { record } of this.#sql.allPending.all() as { record: string }[]) {
      const request = JSON.parse(record) as PairingRequest;
      this.#pending.set(request.requestId, request);
    }
    this.#importJson(join(stateDir, LEGACY_JSON_FILE));
  }

  /** A store file from before devices.db: read once into the database, then renamed out of the way. */
  #importJson(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read device store ${path}: ${(error as Error).message}`);
    }
    let parsed: StoreFile;
    try {
      parsed = JSON.parse(text) as StoreFile;
    } catch {
      throw new Error(
        `device store ${path} is corrupt (not JSON): restore it from a backup or move it away to re-pair devices`,
      );
    }
    if (
      parsed.version !== STORE_VERSION ||
      !Array.isArray(parsed.devices) ||
      !Array.isArray(parsed.pending)
    ) {
      throw new Error(`device store ${path} has an unsupported format (version ${String(parsed.version)})`);
    }
    for (const device of parsed.devices) {
      // Files written before tokens carried createdAtMs had issuedAtMs.
      for (const record of Object.values(device.tokens) as (DeviceTokenRecord & {
        issuedAtMs?: number;
      })[]) {
        if (record.createdAtMs === undefined && record.issuedAtMs !== undefined) {
          record.createdAtMs = record.issuedAtMs;
          delete record.issuedAtMs;
        }
      }
      this.#devices.set(device.deviceId, device);
      this.#touchDevice(device.deviceId);
    }
    for (const request of parsed.pending) {
      this.#pending.set(request.requestId, request);
      this.#touchRequest(request.requestId);
    }
    this.#flush();
    this.#wal.syncNow();
    renameSync(path, `${path}.imported`);
  }

  /** Writes what is still queued, then closes the database. */
  close(): void {
    if (!this.#db.isOpen) return;
    clearImmediate(this.#flushTimer);
    try {
      this.#flush();
      this.#wal.syncNow();
    } finally {
      this.#wal.close();
      this.#db.close();
    }
  }

  /**
   * Resolves once every change made so far is committed. The changes of one event-loop turn are written in one
   * transaction at its end (a new device's pairing, last-seen mark and token: one fsync), so a caller that is
   * about to tell a client "paired" or hand it a token awaits this first.
   */
  flushed(): Promise<void> {
    // Nothing queued, but the last commit's fsync may still be running: that one is what "committed" waits for.
    if (this.#dirtyDevices.size === 0 && this.#dirtyRequests.size === 0)
      return this.#syncing ?? Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Queues a device's row (written as it is in memory at the flush, deleted if gone by then). */
  #touchDevice(deviceId: string): void {
    this.#dirtyDevices.add(deviceId);
    this.#schedule();
  }

  #touchRequest(requestId: string): void {
    this.#dirtyRequests.add(requestId);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushTimer === undefined) this.#flushTimer = setImmediate(() => this.#flushAndNotify());
  }

  #flushAndNotify(): void {
    this.#flushTimer = undefined;
    const waiters = this.#waiters.splice(0);
    try {
      this.#flush();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error as Error);
      return;
    }
    const syncing = this.#wal.sync();
    this.#syncing = syncing;
    syncing.then(
      () => {
        if (this.#syncing === syncing) this.#syncing = undefined;
        for (const waiter of waiters) waiter.resolve();
      },
      (error: Error) => {
        if (this.#syncing === syncing) this.#syncing = undefined;
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  /** Writes the queued rows as they are now in memory (gone from memory: deleted), in one commit. */
  #flush(): void {
    if (this.#dirtyDevices.size === 0 && this.#dirtyRequests.size === 0) return;
    const devices = [...this.#dirtyDevices];
    const requests = [...this.#dirtyRequests];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const id of devices) {
        const device = this.#devices.get(id);
        if (device) this.#sql.putDevice.run(id, JSON.stringify(device));
        else this.#sql.deleteDevice.run(id);
      }
      for (const id of requests) {
        const request = this.#pending.get(id);
        if (request) this.#sql.putPending.run(id, JSON.stringify(request));
        else this.#sql.deletePending.run(id);
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      // Kept queued: the next change (or close) tries again.
      throw error;
    }
    for (const id of devices) this.#dirtyDevices.delete(id);
    for (const id of requests) this.#dirtyRequests.delete(id);
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
    const superseded: string[] = [];
    for (const request of this.#pending.values()) {
      if (request.deviceId === claims.deviceId && request.role === claims.role) {
        const sameScopes = request.scopes.join(',') === claims.scopes.join(',');
        if (sameScopes) return { request, created: false };
        superseded.push(request.requestId);
      }
    }
    const request: PairingRequest = {
      ...claims,
      requestId: randomUUID(),
      reason,
      isRepair: this.#devices.has(claims.deviceId),
      ts: now,
    };
    for (const id of superseded) this.#dropRequest(id);
    this.#pending.set(request.requestId, request);
    this.#touchRequest(request.requestId);
    return { request, created: true };
  }

  /** Approves a request: the device is paired (or widened) with the requested role and scopes. */
  approve(requestId: string, now: number): { request: PairingRequest; device: PairedDevice } | undefined {
    const request = this.#pending.get(requestId);
    if (!request) return undefined;
    this.#dropRequest(requestId);
    return { request, device: this.#upsert(request, now, 'owner') };
  }

  /** Pairs a device at once (direct loopback auto-approval); no request is kept. */
  pairDirectly(claims: DeviceClaims, now: number): PairedDevice {
    this.#dropRequestsOf(claims.deviceId);
    return this.#upsert(claims, now, 'silent');
  }

  #dropRequest(requestId: string): void {
    this.#pending.delete(requestId);
    this.#touchRequest(requestId);
  }

  #dropRequestsOf(deviceId: string): void {
    for (const [id, request] of this.#pending) if (request.deviceId === deviceId) this.#dropRequest(id);
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
    this.#touchDevice(device.deviceId);
    return device;
  }

  reject(requestId: string): PairingRequest | undefined {
    const request = this.#pending.get(requestId);
    if (!request) return undefined;
    this.#dropRequest(requestId);
    return request;
  }

  remove(deviceId: string): boolean {
    const removed = this.#devices.delete(deviceId);
    this.#dropRequestsOf(deviceId);
    if (removed) this.#touchDevice(deviceId);
    this.#seenSavedAt.delete(deviceId);
    return removed;
  }

  /** Takes one role (and its token) from a device; a device left with no role is removed. */
  removeRole(deviceId: string, role: string): boolean {
    const device = this.#devices.get(deviceId);
    if (!device?.roles.includes(role)) return false;
    if (device.roles.length === 1) return this.remove(deviceId);
    device.roles = device.roles.filter((held) => held !== role);
    delete device.tokens[role];
    this.#touchDevice(deviceId);
    return true;
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
    this.#touchDevice(device.deviceId);
    return { token, record };
  }

  /**
   * Records a device's connect; written to disk at most once a minute per device (a reconnect storm is not a
   * storm of fsyncs). Changed with other rows in the same turn (a token), it shares their commit.
   */
  markSeen(deviceId: string, now: number, reason: string): void {
    const device = this.#devices.get(deviceId);
    if (!device) return;
    device.lastSeenAtMs = now;
    device.lastSeenReason = reason;
    const savedAt = this.#seenSavedAt.get(deviceId);
    if (savedAt !== undefined && now - savedAt < LAST_SEEN_PERSIST_MS) return;
    this.#seenSavedAt.set(deviceId, now);
    this.#touchDevice(device.deviceId);
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
    this.#touchDevice(device.deviceId);
    return true;
  }
}
