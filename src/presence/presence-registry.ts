import { hostname, networkInterfaces } from 'node:os';
import { serializeOnce } from '../protocol/frames.ts';

export type PresenceEntry = {
  host?: string;
  ip?: string;
  version?: string;
  platform?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  mode?: string;
  lastInputSeconds?: number;
  reason?: string;
  tags?: string[];
  text?: string;
  ts: number;
  deviceId?: string;
  roles?: string[];
  scopes?: string[];
  instanceId?: string;
};

const DEVICE_FAMILY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Linux',
  darwin: 'macOS',
  win32: 'Windows',
  freebsd: 'FreeBSD',
};

/** The host's first non-internal IPv4 address, as OpenClaw shows it for the gateway's own entry. */
function primaryIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? [])
      if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

/** Entries not refreshed for this long are dropped from `system-presence` (system events from absent hosts). */
const PRESENCE_TTL_MS = 5 * 60_000;
/** How often expired entries are looked for, at most: the sweep walks every entry. */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * Entries `hello-ok.snapshot.presence` and `presence` events carry at most: the gateway and the most recently
 * arrived clients. Without a cap each connect costs O(N) bytes to the newcomer and to every reader, O(N²) for a
 * burst; `system-presence` always answers the whole list (what OpenClaw's Control UI reads for its device and
 * instance pages). 64 (~25 KB) rather than 200: each Control UI parses the list in its hello-ok and every broadcast.
 */
export const PRESENCE_WIRE_MAX = 64;

/**
 * Who is here: the gateway itself, every connected client, and hosts that reported via `system-event`.
 * Keyed by instance id so a reconnecting client replaces its own entry.
 */
export class PresenceRegistry {
  #entries = new Map<string, PresenceEntry>();
  #self: PresenceEntry;
  #wire: PresenceEntry[] | undefined;
  /** The list of the last `presence` broadcast, serialized: what hello-ok snapshots carry until the next one. */
  #publishedJson: string | undefined;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(version: string, instanceId: string, now: number) {
    const host = hostname();
    const ip = primaryIpv4();
    this.#self = {
      host,
      ...(ip ? { ip } : {}),
      version,
      platform: `${process.platform} ${process.arch}`,
      deviceFamily: DEVICE_FAMILY[process.platform] ?? process.platform,
      mode: 'gateway',
      reason: 'self',
      text: `Gateway: ${host}${ip ? ` (${ip})` : ''} · app ${version} · mode gateway · reason self`,
      ts: now,
      instanceId,
      roles: ['gateway'],
    };
  }

  upsert(key: string, entry: PresenceEntry): void {
    // Re-inserted, so the Map's order stays "least recently arrived first".
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#wire = undefined;
  }

  remove(key: string): boolean {
    const removed = this.#entries.delete(key);
    if (removed) this.#wire = undefined;
    return removed;
  }

  /** Everything, for `system-presence`. */
  list(now: number): PresenceEntry[] {
    this.#sweep(now, true);
    return [{ ...this.#self, ts: now }, ...this.#entries.values()];
  }

  /**
   * What goes on the wire (hello-ok, `presence` events): the gateway and the newest PRESENCE_WIRE_MAX - 1
   * clients, rebuilt only after a change, so a connect reuses it instead of copying the whole list.
   */
  wireList(now: number): PresenceEntry[] {
    this.#sweep(now, false);
    if (this.#wire) return this.#wire;
    const clients = [...this.#entries.values()];
    const newest = clients.length < PRESENCE_WIRE_MAX ? clients : clients.slice(-(PRESENCE_WIRE_MAX - 1));
    this.#wire = [{ ...this.#self, ts: now }, ...newest];
    return this.#wire;
  }

  /** The `presence` event payload for a broadcast now (serialized once); hello-ok snapshots carry it from now on. */
  publish(now: number): { presence: PresenceEntry[] } {
    const presence = this.wireList(now);
    const json = JSON.stringify(presence);
    this.#publishedJson = json;
    return serializeOnce({ presence }, `{"presence":${json}}`);
  }

  /**
   * The JSON of hello-ok's `snapshot.presence`: the list of the last broadcast, matching `stateVersion.presence`,
   * so a burst of N connects serializes it once per broadcast window instead of once per connect. Changes since are
   * on their way in the broadcast that follows every change (presence-publisher.ts). Before any broadcast, the
   * list as it is now.
   */
  snapshotJson(now: number): string {
    return this.#publishedJson ?? JSON.stringify(this.wireList(now));
  }

  #sweep(now: number, force: boolean): void {
    if (!force && now - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#sweptAt = now;
    for (const [key, entry] of this.#entries) {
      if (entry.reason !== 'connect' && now - entry.ts > PRESENCE_TTL_MS) {
        this.#entries.delete(key);
        this.#wire = undefined;
      }
    }
  }
}

export function presenceText(entry: PresenceEntry): string {
  const parts = [`${entry.host ?? entry.instanceId ?? 'client'}${entry.ip ? ` (${entry.ip})` : ''}`];
  if (entry.version) parts.push(`app ${entry.version}`);
  if (entry.mode) parts.push(`mode ${entry.mode}`);
  if (entry.reason) parts.push(`reason ${entry.reason}`);
  return `Node: ${parts.join(' · ')}`;
}
