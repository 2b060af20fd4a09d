import type { DiscoveryMode } from '../../../config/types.ts';

/** DNS-SD service type of the gateway beacon, as OpenClaw's clients browse for it. */
export const GATEWAY_SERVICE_TYPE = 'openclaw-gw';
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_LABEL_BYTES = 63;

/** What the beacon says about this gateway; the LAN advertiser and the wide-area zone render it. */
export type Beacon = {
  /** The operator-facing machine name (`displayName`). */
  displayName: string;
  /** DNS-SD instance name (one label, at most 63 bytes). */
  instanceName: string;
  /** The `.local` host label, without the suffix. */
  hostLabel: string;
  gatewayPort: number;
  /** Lowercase hex SHA-256 of the served certificate when TLS is on. */
  tlsSha256: string | undefined;
  tls: boolean;
  /** Bound beyond loopback: clients may connect to the advertised address itself. */
  directReachable: boolean;
  mode: DiscoveryMode;
  /** `full` only. */
  sshPort: number | undefined;
  cliPath: string | undefined;
  tailnetDns: string | undefined;
};

/** OpenClaw's wire form of a pin: 64 lowercase hex digits (Node prints `AB:CD:…`). */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
}

/** Truncates to one DNS label's 63 bytes without splitting a UTF-8 character. */
export function truncateLabel(name: string): string {
  const bytes = new TextEncoder().encode(name);
  if (bytes.byteLength <= MAX_LABEL_BYTES) return name;
  let end = MAX_LABEL_BYTES;
  // Continuation bytes are 10xxxxxx: back up to the start of the character that crosses the limit.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1;
  return new TextDecoder().decode(bytes.subarray(0, end)).replace(/-+$/, '').trim();
}

/**
 * The `.local` host label: `…_MDNS_HOSTNAME`, else the system hostname's first label when it is a valid DNS
 * label (spaces or underscores are not), else `openclaw` as OpenClaw falls back.
 */
export function hostLabel(configured: string | undefined, systemHostname: string): string {
  const candidate =
    (configured ?? systemHostname)
      .trim()
      .replace(/\.local$/i, '')
      .split('.')[0] ?? '';
  if (configured && candidate) return truncateLabel(candidate) || 'openclaw';
  return DNS_LABEL.test(candidate) ? candidate : 'openclaw';
}

/** The instance a browser lists: the machine name, marked as a gateway unless it already says so. */
export function instanceName(displayName: string): string {
  const name = displayName.trim() || 'clawgate';
  return truncateLabel(/clawgate|openclaw/i.test(name) ? name : `${name} (clawgate)`) || 'clawgate';
}

/**
 * The TXT record, in OpenClaw's keys and order. Records are unauthenticated hints: clients route by SRV/A, and
 * nothing secret goes here; the certificate fingerprint is public by nature.
 */
export function beaconTxt(beacon: Beacon): Record<string, string> {
  const full = beacon.mode === 'full';
  const txt: Record<string, string> = {
    role: 'gateway',
    gatewayPort: String(beacon.gatewayPort),
    lanHost: `${beacon.hostLabel}.local`,
    displayName: beacon.displayName,
  };
  if (beacon.tls) {
    txt.gatewayTls = '1';
    if (beacon.tlsSha256) txt.gatewayTlsSha256 = beacon.tlsSha256;
  }
  if (beacon.directReachable) txt.gatewayDirectReachable = '1';
  if (full && beacon.tailnetDns) txt.tailnetDns = beacon.tailnetDns;
  if (full && beacon.cliPath) txt.cliPath = beacon.cliPath;
  txt.transport = 'gateway';
  // OpenClaw's LAN beacon names SSH's default port when none is configured.
  if (full) txt.sshPort = String(beacon.sshPort ?? 22);
  return txt;
}
