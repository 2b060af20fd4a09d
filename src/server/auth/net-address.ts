import { isIPv4 } from 'node:net';

/** Strips the IPv4-mapped prefix Node reports for dual-stack sockets. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function isLoopbackIp(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip === 'localhost';
}

/**
 * The key per-source budgets are kept under. Every loopback address shares one bucket: OpenClaw keyed them per
 * exact address, so a local process could reset its failed-auth delay by rotating through 127.0.0.0/8.
 */
export function sourceBucket(ip: string): string {
  return isLoopbackIp(ip) ? 'loopback' : ip;
}
