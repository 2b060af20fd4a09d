import type { WebSocket } from 'ws';
import type { TailscaleAttribution } from '../auth/tailscale-ingress.ts';

export type ClientRole = 'operator' | 'node';
export type AuthMethod = 'token' | 'password' | 'none' | 'trusted-proxy' | 'device-token' | 'tailscale';

/** What a client said about itself in `connect` (validated), kept for presence and pairing. */
export type ClientInfo = {
  id: string;
  mode: string;
  version: string;
  platform: string;
  displayName?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  instanceId?: string;
};

/** The per-socket record: handshake state, identity, grants, and the event sequence it has been sent. */
export class GatewayWsClient {
  readonly connId: string;
  readonly ws: WebSocket;
  readonly ip: string;
  readonly loopback: boolean;
  /** Loopback and not forwarded by a proxy: the cases where OpenClaw trusts a local caller more. */
  readonly directLocal: boolean;
  /** Pre-auth budget and failed-auth key: all loopback addresses share one. */
  readonly bucket: string;
  readonly origin: string | undefined;
  /** `x-openclaw-scopes` upgrade header: caps the socket's scopes whatever it is granted. */
  readonly scopeCap: ReadonlySet<string> | undefined;
  readonly trustedProxyUser: string | undefined;
  /** Set when the socket came through the managed `tailscale serve|funnel` listener. */
  readonly tailscale: TailscaleAttribution | undefined;
  readonly nonce: string;
  readonly challengeTs: number;
  readonly openedAt: number;

  authenticated = false;
  /** True between `connect` arriving and its answer; frames sent meanwhile are queued. */
  connecting = false;
  queued: string[] = [];
  role: ClientRole = 'operator';
  scopes: ReadonlySet<string> = new Set();
  authMethod: AuthMethod | undefined;
  authGeneration = 0;
  deviceId: string | undefined;
  info: ClientInfo | undefined;
  /**
   * `connect.caps`: contracts the client opted into (`tool-events`: it wants the `agent` tool stream;
   * `exec-approvals`: it shows approval prompts).
   */
  caps: ReadonlySet<string> = new Set();
  /** Number of the last event frame sent (protocol.md §8); the next event takes seq + 1. */
  seq = 0;
  /** When (performance.now()) the unanswered ping went out; undefined once it is answered. */
  pingSentAt: number | undefined;
  /** Writes are held (corked) until the end of the current tick; see broadcast.ts. */
  corked = false;
  wrongRoleCalls = 0;
  handshakeTimer: NodeJS.Timeout | undefined;
  closed = false;
  /** `sessions.subscribe`: receives `sessions.changed` (and every session's messages). */
  sessionsSubscribed = false;
  /** `sessions.messages.subscribe`: session keys whose `session.message` events this client receives. */
  messageSubscriptions = new Set<string>();

  constructor(init: {
    connId: string;
    ws: WebSocket;
    ip: string;
    loopback: boolean;
    directLocal: boolean;
    bucket: string;
    origin: string | undefined;
    scopeCap: ReadonlySet<string> | undefined;
    trustedProxyUser: string | undefined;
    tailscale?: TailscaleAttribution;
    nonce: string;
    challengeTs: number;
  }) {
    this.connId = init.connId;
    this.ws = init.ws;
    this.ip = init.ip;
    this.loopback = init.loopback;
    this.directLocal = init.directLocal;
    this.bucket = init.bucket;
    this.origin = init.origin;
    this.scopeCap = init.scopeCap;
    this.trustedProxyUser = init.trustedProxyUser;
    this.tailscale = init.tailscale;
    this.nonce = init.nonce;
    this.challengeTs = init.challengeTs;
    this.openedAt = init.challengeTs;
  }
}

/** What a method handler sees of its caller: identity, grants and subscriptions; never the socket. */
export type ClientView = Omit<GatewayWsClient, 'ws' | 'queued' | 'corked' | 'handshakeTimer' | 'pingSentAt'>;
