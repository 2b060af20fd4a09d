import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../storage/atomic-file.ts';
import { type Beacon, beaconTxt, GATEWAY_SERVICE_TYPE } from './beacon.ts';

export type ZoneAddresses = { ipv4: string; ipv6: string | undefined };

/** Lowercased labels of `domain`, without the root dot: `openclaw.internal`. The schema checked the syntax. */
export function zoneDomain(domain: string): string {
  return domain.trim().replace(/\.$/, '').toLowerCase();
}

/** Where the zone lives: `<state>/dns/<domain>.db`, the file OpenClaw's CoreDNS set-up serves. */
export function zonePath(stateDir: string, domain: string): string {
  return join(stateDir, 'dns', `${zoneDomain(domain)}.db`);
}

/** One DNS label from free text: lowercase letters, digits and inner hyphens, at most 63. */
function dnsLabel(text: string, fallback: string): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || fallback;
}

function quoteTxt(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

const SERIAL_PLACEHOLDER = 'SERIAL';
const HASH_LINE = /^; clawgate-content-hash: ([0-9a-f]+)$/m;
const SOA_SERIAL = /^@\s+IN\s+SOA\s+\S+\s+\S+\s+(\d+)\s/m;

/**
 * The zone's records, OpenClaw's layout: SOA and NS, the host's A (and AAAA), then the DNS-SD triple
 * PTR → SRV + TXT. The TXT follows `discovery.mdns.mode` except `lanHost`, which only a LAN beacon has, and
 * `sshPort`, present only when one is configured; the tailnet name is included whenever it is known.
 */
function zoneRecords(beacon: Beacon, domain: string, addresses: ZoneAddresses, serial: string): string[] {
  const host = dnsLabel(beacon.hostLabel, 'clawgate');
  const instance = dnsLabel(`${beacon.hostLabel}-gateway`, 'clawgate-gw');
  const service = `_${GATEWAY_SERVICE_TYPE}._tcp`;
  const { lanHost: _lanHost, sshPort: _sshPort, tailnetDns: _tailnetDns, ...txt } = beaconTxt(beacon);
  const values: Record<string, string> = { ...txt };
  if (beacon.tailnetDns) values.tailnetDns = beacon.tailnetDns;
  if (beacon.mode === 'full' && beacon.sshPort !== undefined) values.sshPort = String(beacon.sshPort);
  const records = [
    `$ORIGIN ${domain}.`,
    '$TTL 60',
    `@ IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 60`,
    '@ IN NS ns1',
    `ns1 IN A ${addresses.ipv4}`,
    `${host} IN A ${addresses.ipv4}`,
  ];
  if (addresses.ipv6) records.push(`${host} IN AAAA ${addresses.ipv6}`);
  records.push(
    `${service} IN PTR ${instance}.${service}`,
    `${instance}.${service} IN SRV 0 0 ${beacon.gatewayPort} ${host}`,
    `${instance}.${service} IN TXT ${Object.entries(values)
      .map(([key, value]) => quoteTxt(`${key}=${value}`))
      .join(' ')}`,
  );
  return records;
}

/** YYYYMMDDnn, moving forward from the previous serial so secondaries and caches see every change. */
function nextSerial(previous: number | undefined, now: Date): number {
  const today = Number(
    `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}01`,
  );
  if (previous === undefined) return today;
  // RFC 1982 serial arithmetic: today's base only if it is "after" the previous serial.
  const distance = (today - previous) >>> 0;
  return distance > 0 && distance < 2 ** 31 ? today : (previous + 1) >>> 0;
}

/**
 * Writes the zone when its content changed (a hash of the records with the serial blanked decides), with the
 * next serial; an unchanged beacon leaves the file, and its serial, alone. Written to a temp file and renamed,
 * so the DNS server never reads half a zone.
 */
export function writeZone(
  stateDir: string,
  domainInput: string,
  beacon: Beacon,
  addresses: ZoneAddresses,
  now: Date,
): { path: string; changed: boolean } {
  const domain = zoneDomain(domainInput);
  const path = zonePath(stateDir, domain);
  const hash = createHash('sha256')
    .update(zoneRecords(beacon, domain, addresses, SERIAL_PLACEHOLDER).join('\n'))
    .digest('hex')
    .slice(0, 16);
  let existing: string | undefined;
  try {
    existing = readFileSync(path, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing && HASH_LINE.exec(existing)?.[1] === hash) return { path, changed: false };
  const previous = existing ? SOA_SERIAL.exec(existing)?.[1] : undefined;
  const serial = nextSerial(previous === undefined ? undefined : Number(previous), now);
  const text = `; clawgate-content-hash: ${hash}\n${zoneRecords(beacon, domain, addresses, String(serial)).join('\n')}\n`;
  mkdirSync(join(stateDir, 'dns'), { recursive: true, mode: 0o700 });
  // The DNS server reads it: world-readable, and never seen half-written.
  writeFileAtomic(path, text, 0o644);
  return { path, changed: true };
}
