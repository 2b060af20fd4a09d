import { BlockList, isIP } from 'node:net';
import type { WebFetchLimits } from '../tools-config.ts';
import { normalizeHost } from '../tools-config.ts';

export type ResolvedAddress = { address: string; family: 4 | 6 };
/** DNS: every address a host name resolves to. web_fetch takes it as a dependency so tests never ask real DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export class SsrfBlockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

/** Private, loopback, link-local and otherwise non-public ranges: never fetched unless the policy opens them. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}
const BENCHMARK = new BlockList();
BENCHMARK.addSubnet('198.18.0.0', 15, 'ipv4');
const UNIQUE_LOCAL = new BlockList();
UNIQUE_LOCAL.addSubnet('fc00::', 7, 'ipv6');

/** Names that mean "this machine or its private network" whatever DNS says. */
const INTERNAL_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /^metadata$/];

/** The IPv4 address an IPv6 one carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::`, 6to4 `2002:`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) return hexPair(hex[1] as string, hex[2] as string);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4})(?::|$)/.exec(lower);
  if (sixToFour) return hexPair(sixToFour[1] as string, sixToFour[2] as string);
  return undefined;
}

function hexPair(high: string, low: string): string {
  const a = Number.parseInt(high, 16);
  const b = Number.parseInt(low, 16);
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** Why an address may not be fetched, or undefined when it may. */
export function blockedAddressReason(address: string, limits: WebFetchLimits): string | undefined {
  if (limits.allowPrivateNetwork) return undefined;
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const v4 = family === 6 ? embeddedIpv4(address) : address;
  if (v4) {
    if (BENCHMARK.check(v4, 'ipv4')) {
      return limits.allowRfc2544BenchmarkRange
        ? undefined
        : `${address} is in the benchmark range 198.18.0.0/15`;
    }
    return PRIVATE.check(v4, 'ipv4') ? `${address} is a private, loopback or link-local address` : undefined;
  }
  if (UNIQUE_LOCAL.check(address, 'ipv6')) {
    return limits.allowIpv6UniqueLocalRange ? undefined : `${address} is an IPv6 unique-local address`;
  }
  return PRIVATE.check(address, 'ipv6')
    ? `${address} is a private, loopback or link-local address`
    : undefined;
}

function hostMatches(host: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/**
 * Decides where one request may go and pins it: the host name is checked against `blockedHostnames` and the
 * internal names, then resolved once; every address it resolves to must be public (unless the policy allows
 * private targets or names the host in `allowedHostnames`), and the request connects to the first of those
 * addresses, never resolving the name again, so DNS rebinding cannot swap in another target after the check.
 */
export async function pinTarget(
  url: URL,
  limits: WebFetchLimits,
  resolveHost: HostResolver,
): Promise<ResolvedAddress> {
  const host = normalizeHost(url.hostname.replace(/^\[|\]$/g, ''));
  if (limits.blockedHostnames.some((pattern) => hostMatches(host, pattern))) {
    throw new SsrfBlockedError(`${host} is blocked by tools.web.fetch.ssrfPolicy.blockedHostnames`);
  }
  const allowedHost = limits.allowedHostnames.includes(host);
  const literal = isIP(host);
  if (literal !== 0) {
    const reason = allowedHost ? undefined : blockedAddressReason(host, limits);
    if (reason) throw new SsrfBlockedError(`refused to fetch ${url.origin}: ${reason}`);
    return { address: host, family: literal as 4 | 6 };
  }
  if (!allowedHost && !limits.allowPrivateNetwork && INTERNAL_NAMES.some((name) => name.test(host))) {
    throw new SsrfBlockedError(`refused to fetch ${url.origin}: ${host} names an internal host`);
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolveHost(host);
  } catch (error) {
    throw new Error(`could not resolve ${host}: ${(error as Error).message}`);
  }
  if (addresses.length === 0) throw new Error(`could not resolve ${host}: no addresses`);
  if (!allowedHost) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address, limits);
      if (reason) throw new SsrfBlockedError(`refused to fetch ${url.origin}: ${host} resolves to ${reason}`);
    }
  }
  return addresses[0] as ResolvedAddress;
}
