import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Browser Origin policy, decided at the upgrade (HTTP 403) rather than after it as OpenClaw does: same origin
 * as the request's Host, an origin in `gateway.controlUi.allowedOrigins`, or a loopback page talking to a
 * loopback gateway (the Control UI's `?gatewayUrl=` flow). Non-browser clients send no Origin.
 */
export function originAllowed(
  req: IncomingMessage,
  origin: string,
  allowed: readonly string[],
  loopbackPeer: boolean,
): boolean {
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  const host = req.headers.host;
  if (host) {
    try {
      const url = new URL(origin);
      if (url.host === host) return true;
    } catch {
      return false;
    }
  }
  const originHost = hostOf(origin);
  return loopbackPeer && originHost !== undefined && LOOPBACK_HOSTS.has(originHost);
}
