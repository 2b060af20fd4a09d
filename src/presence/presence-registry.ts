import { hostname, networkInterfaces } from 'node:os';

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

/**
 * Who is here: the gateway itself, every connected client, and hosts that reported via `system-event`.
 * Keyed by instance id so a reconnecting client replaces its own entry.
 */
export class PresenceRegistry {
  #entries = new Map<string, PresenceEntry>();
  #self: PresenceEntry;

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
    this.#entries.set(key, entry);
  }

  remove(key: string): boolean {
    return this.#entries.delete(key);
  }

  list(now: number): PresenceEntry[] {
    for (const [key, entry] of this.#entries) {
      if (entry.reason !== 'connect' && now - entry.ts > PRESENCE_TTL_MS) this.#entries.delete(key);
    }
    return [{ ...this.#self, ts: now }, ...this.#entries.values()];
  }
}

export function presenceText(entry: PresenceEntry): string {
  const parts = [`${entry.host ?? entry.instanceId ?? 'client'}${entry.ip ? ` (${entry.ip})` : ''}`];
  if (entry.version) parts.push(`app ${entry.version}`);
  if (entry.mode) parts.push(`mode ${entry.mode}`);
  if (entry.reason) parts.push(`reason ${entry.reason}`);
  return `Node: ${parts.join(' · ')}`;
}
