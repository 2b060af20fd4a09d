import { BlockList, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { TailscaleCli } from './tailscale-cli.ts';

// Tailscale's ranges: CGNAT 100.64.0.0/10 for IPv4, its ULA prefix for IPv6.
const TAILNET = new BlockList();
TAILNET.addSubnet('100.64.0.0', 10, 'ipv4');
TAILNET.addSubnet('fd7a:115c:a1e0::', 48, 'ipv6');

export function isTailnetAddress(ip: string): boolean {
  return TAILNET.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}

export type TailnetAddresses = { ipv4: string | undefined; ipv6: string | undefined };

/**
 * This host's tailnet addresses: from its interfaces (a `tailscale0` tun, as OpenClaw reads them), else from
 * the daemon, which also answers when tailscaled runs with userspace networking and no interface exists.
 */
export async function tailnetAddresses(cli: TailscaleCli): Promise<TailnetAddresses> {
  const found: TailnetAddresses = { ipv4: undefined, ipv6: undefined };
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal || !isTailnetAddress(entry.address)) continue;
      if (entry.family === 'IPv4') found.ipv4 ??= entry.address;
      else found.ipv6 ??= entry.address;
    }
  }
  if (found.ipv4) return found;
  try {
    const self = await cli.self();
    return { ipv4: self.ipv4, ipv6: found.ipv6 ?? self.ipv6 };
  } catch {
    return found;
  }
}
