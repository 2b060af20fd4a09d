import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { isLoopbackIp, normalizeIp } from './net-address.ts';

/** Who Tailscale says a tailnet address belongs to. */
export type TailnetIdentity = { login: string; name: string | undefined };

/** What the managed listener knows: its route's mode, and how to ask the daemon who an address is. */
export type ManagedIngress = {
  mode: 'serve' | 'funnel';
  whois(ip: string): Promise<TailnetIdentity | undefined>;
};

export type TailscaleAttribution =
  /** Public Funnel traffic: a client address for limits, never an identity (OpenClaw's rule). */
  | { kind: 'funnel'; clientIp: string }
  /** Tailnet traffic through Serve; `verify` resolves the header login against `tailscale whois`. */
  | { kind: 'serve'; clientIp: string; verify(): Promise<TailnetIdentity | undefined> }
  /** Proxy-shaped but not what tailscaled sends: refused rather than guessed at. */
  | { kind: 'unattributable'; reason: string };

/**
 * Sockets accepted by the dedicated listener `tailscale serve|funnel` proxies to. Provenance belongs to the
 * listener, not to headers: the same headers on the ordinary port earn nothing, so a local process that forges
 * `tailscale-user-login` there is just another loopback client. Weak: a closed socket takes its mark with it.
 */
const managed = new WeakMap<Socket, ManagedIngress>();

export function markManagedIngress(socket: Socket, ingress: ManagedIngress): void {
  managed.set(socket, ingress);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() ? first.trim() : undefined;
}

/** undefined: the request came in on an ordinary listener. */
export function tailscaleAttribution(req: IncomingMessage): TailscaleAttribution | undefined {
  const ingress = managed.get(req.socket);
  if (!ingress) return undefined;
  const remote = normalizeIp(req.socket.remoteAddress);
  const forwarded = header(req, 'x-forwarded-for');
  // tailscaled connects from loopback and always sets all three; anything else did not come through it.
  if (
    !isLoopbackIp(remote) ||
    !forwarded ||
    !header(req, 'x-forwarded-proto') ||
    !header(req, 'x-forwarded-host')
  )
    return { kind: 'unattributable', reason: 'request did not come from the local tailscaled proxy' };
  // The hop tailscaled appended is the rightmost one; earlier entries are whatever the client claimed.
  const clientIp = normalizeIp(forwarded.split(',').at(-1)?.trim());
  if (clientIp === 'unknown' || isLoopbackIp(clientIp))
    return { kind: 'unattributable', reason: 'no client address in x-forwarded-for' };
  const funnelMarker = header(req, 'tailscale-funnel-request');
  if (ingress.mode === 'funnel') {
    // Tailnet peers reach a Funnel URL through the Serve identity path: still no tokenless auth on Funnel.
    return !funnelMarker || funnelMarker === '?1'
      ? { kind: 'funnel', clientIp }
      : { kind: 'unattributable', reason: 'unexpected tailscale-funnel-request value' };
  }
  if (funnelMarker) return { kind: 'unattributable', reason: 'Funnel traffic on a Serve route' };
  const login = header(req, 'tailscale-user-login');
  let verified: Promise<TailnetIdentity | undefined> | undefined;
  return {
    kind: 'serve',
    clientIp,
    verify() {
      if (!login) return Promise.resolve(undefined);
      // The header is only a claim: the daemon's answer for the address the connection came from decides.
      verified ??= ingress.whois(clientIp).then(
        (identity) =>
          identity && identity.login.toLowerCase() === login.toLowerCase() ? identity : undefined,
        () => undefined,
      );
      return verified;
    },
  };
}

/**
 * The address a request is accounted to: the tailnet or public client behind the managed listener, else the
 * socket's peer. Loopback checks read this, so Serve/Funnel traffic (which arrives from 127.0.0.1) never counts
 * as a local caller.
 */
export function requestSourceIp(req: IncomingMessage): string {
  const attribution = tailscaleAttribution(req);
  if (!attribution) return normalizeIp(req.socket.remoteAddress);
  return attribution.kind === 'unattributable' ? 'tailscale-unattributed' : attribution.clientIp;
}
