import type { TSchema } from 'typebox';
import { DEVICE_SIGNATURE_SKEW_MS, STARTUP_RETRY_AFTER_MS } from '../../config/limits.ts';
import { verifyDeviceProof } from '../../devices/device-identity.ts';
import type { DeviceClaims, PairedDevice, PairingReason } from '../../devices/device-store.ts';
import { ClawgateError } from '../../protocol/clawgate-error.ts';
import { checkRequestFrame, errorResponse, okResponseJson } from '../../protocol/frames.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { compileSchema, describeIssues, loadSchemas } from '../../protocol/validators.ts';
import {
  MIN_NODE_PROTOCOL_VERSION,
  MIN_PROBE_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '../../protocol/version.ts';
import { type ConnectAuth, checkSharedSecret, missingSecretError } from '../auth/shared-secret.ts';
import { normalizeScopes, scopesCovered } from '../authz/scopes.ts';
import type { GatewayContext } from '../context.ts';
import type { AuthMethod, ClientInfo, ClientRole, GatewayWsClient } from './client.ts';
import { CLOSE } from './close-codes.ts';
import { helloOkJson } from './hello.ts';

type ConnectParams = {
  minProtocol: number;
  maxProtocol: number;
  client: ClientInfo;
  role?: string;
  scopes?: string[];
  caps?: string[];
  /** Node claims: the commands it offers, OS permissions it holds, its PATH. */
  commands?: string[];
  permissions?: Record<string, boolean>;
  pathEnv?: string;
  auth?: ConnectAuth;
  device?: { id: string; publicKey: string; signature: string; signedAt: number; nonce: string };
};

/** ws refuses close reasons over 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

function closeReason(message: string): string {
  const buf = Buffer.from(message);
  if (buf.length <= MAX_CLOSE_REASON_BYTES) return message;
  // Cut on a byte budget, then drop a trailing partial UTF-8 character.
  const cut = buf
    .subarray(0, MAX_CLOSE_REASON_BYTES - 3)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}...`;
}

/** Answers the connect with an error and closes the socket; a handshake failure never leaves it open. */
function reject(client: GatewayWsClient, id: string | undefined, error: GatewayError, code: number): void {
  if (client.closed) return;
  if (id !== undefined) client.ws.send(errorResponse(id, error.toShape()));
  client.ws.close(code, closeReason(error.message));
}

/** The first frame of a socket: must be a `connect` request. Never throws. */
export async function handleConnectFrame(
  ctx: GatewayContext,
  client: GatewayWsClient,
  text: string,
  onAccepted: (client: GatewayWsClient) => void,
): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // OpenClaw closes a non-JSON first frame with 1000 and no reason (observed).
    client.ws.close(CLOSE.NORMAL);
    return;
  }
  const check = checkRequestFrame(parsed);
  if (!check.ok) {
    client.ws.close(CLOSE.POLICY, 'invalid request frame');
    return;
  }
  const { id, method } = check.frame;
  if (method !== 'connect') {
    reject(
      client,
      id,
      new GatewayError('INVALID_REQUEST', 'invalid handshake: first request must be connect'),
      CLOSE.POLICY,
    );
    return;
  }
  try {
    const params = await validateConnectParams(check.frame.params);
    await connect(ctx, client, id, params);
    onAccepted(client);
  } catch (error) {
    if (error instanceof HandshakeRejection) {
      reject(client, id, error.error, error.closeCode);
      return;
    }
    if (error instanceof GatewayError) {
      reject(client, id, error, CLOSE.POLICY);
      return;
    }
    ctx.logger.error('connect failed', { connId: client.connId, error: (error as Error).stack });
    reject(
      client,
      id,
      new GatewayError('UNAVAILABLE', 'gateway message handler unavailable'),
      CLOSE.INTERNAL,
    );
  }
}

export class HandshakeRejection extends ClawgateError {
  readonly error: GatewayError;
  readonly closeCode: number;
  constructor(error: GatewayError, closeCode: number) {
    super(error.code, error.message, { cause: error });
    this.error = error;
    this.closeCode = closeCode;
  }
}

async function validateConnectParams(params: unknown): Promise<ConnectParams> {
  const schemas = await loadSchemas();
  const validator = compileSchema(schemas, schemas.ConnectParamsSchema as TSchema);
  if (validator.Check(params)) return params as ConnectParams;
  throw new GatewayError(
    'INVALID_REQUEST',
    `invalid connect params: ${describeIssues(validator, params ?? {}).join('; ')}`,
  );
}

function negotiate(params: ConnectParams, role: string): void {
  const { minProtocol: min, maxProtocol: max } = params;
  const current = min <= PROTOCOL_VERSION && PROTOCOL_VERSION <= max;
  const probe =
    params.client.mode === 'probe' && max >= MIN_PROBE_PROTOCOL_VERSION && min <= PROTOCOL_VERSION;
  const legacyNode =
    role === 'node' &&
    params.client.mode === 'node' &&
    max >= MIN_NODE_PROTOCOL_VERSION &&
    min <= MIN_NODE_PROTOCOL_VERSION;
  if (current || probe || legacyNode) return;
  throw new HandshakeRejection(
    new GatewayError('INVALID_REQUEST', 'protocol mismatch', {
      details: {
        code: 'PROTOCOL_MISMATCH',
        clientMinProtocol: min,
        clientMaxProtocol: max,
        expectedProtocol: PROTOCOL_VERSION,
        minimumProbeProtocol: MIN_PROBE_PROTOCOL_VERSION,
      },
    }),
    CLOSE.PROTOCOL_MISMATCH,
  );
}

/** Keys the failed-auth limiter: browsers are limited per Origin, everything else per source bucket. */
function limiterKey(client: GatewayWsClient): { key: string; exemptable: boolean } {
  if (client.origin) return { key: `origin:${client.origin}`, exemptable: false };
  return { key: `ip:${client.bucket}`, exemptable: client.loopback };
}

async function connect(
  ctx: GatewayContext,
  client: GatewayWsClient,
  id: string,
  params: ConnectParams,
): Promise<void> {
  const role = params.role ?? 'operator';
  negotiate(params, role);
  if (role !== 'operator' && role !== 'node') {
    throw new HandshakeRejection(new GatewayError('INVALID_REQUEST', 'invalid role'), CLOSE.POLICY);
  }
  // Nodes and probes may connect while start-up sidecars finish; everyone else is asked to retry.
  if (!ctx.readiness.started && role !== 'node' && params.client.mode !== 'probe') {
    throw new HandshakeRejection(
      new GatewayError('UNAVAILABLE', 'gateway starting; retry shortly', {
        retryable: true,
        retryAfterMs: STARTUP_RETRY_AFTER_MS,
        details: { reason: 'startup-sidecars' },
      }),
      CLOSE.TRY_AGAIN_LATER,
    );
  }

  // A node is a paired device: its id is the device id, and what it may run is approved against that identity.
  if (role === 'node' && !params.device) {
    throw new GatewayError('NOT_PAIRED', 'device identity required: a node connects with a signed device', {
      details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'update_auth_credentials' },
    });
  }

  const limiter = limiterKey(client);
  const verdict = ctx.authLimiter.check(limiter.key, limiter.exemptable);
  if (verdict.locked) throw rateLimited(verdict.retryAfterMs);

  const { auth, changed } = ctx.secrets.current();
  if (changed) ctx.connections.disconnectStaleSecret(auth.generation);

  let secret = checkSharedSecret(auth, params.auth, client.trustedProxyUser);
  if (secret.kind === 'absent' && (await tailscaleIdentityVerified(ctx, client)))
    secret = { kind: 'ok', method: 'tailscale' };
  // A signed device may carry its device token in auth.token (the reference client sends a device token in both
  // fields): as OpenClaw does, a token that is not the shared secret is then tried as the device token.
  const explicitDeviceToken = params.auth?.deviceToken || undefined;
  const deviceTokenCandidate = params.device
    ? (explicitDeviceToken ?? (secret.kind === 'mismatch' ? params.auth?.token || undefined : undefined))
    : undefined;
  if (secret.kind === 'mismatch' && !deviceTokenCandidate) {
    // The failure that reaches the limit is still answered as a mismatch; the lockout applies from the next
    // attempt, as OpenClaw's check-then-record limiter does.
    const failed = ctx.authLimiter.fail(limiter.key, limiter.exemptable);
    if (!failed.locked && failed.delayMs > 0) await ctx.authDelay(failed.delayMs);
    throw secret.error;
  }

  const requested = normalizeScopes(params.scopes);
  let scopes: string[];
  let authMethod: AuthMethod;
  let deviceId: string | undefined;
  let issuedDeviceToken: { token: string; issuedAtMs: number; scopes: string[] } | undefined;

  if (params.device) {
    const signatureToken =
      params.auth?.token ?? params.auth?.deviceToken ?? params.auth?.bootstrapToken ?? '';
    const verified = await verifyDeviceProof(
      params.device,
      {
        clientId: params.client.id,
        clientMode: params.client.mode,
        role,
        scopes: params.scopes ?? [],
        token: signatureToken,
        nonce: client.nonce,
        platform: params.client.platform,
        deviceFamily: params.client.deviceFamily,
      },
      ctx.now(),
      DEVICE_SIGNATURE_SKEW_MS,
    );
    deviceId = verified.deviceId;
    const claims: DeviceClaims = {
      deviceId,
      publicKey: verified.publicKey,
      displayName: params.client.displayName,
      platform: params.client.platform,
      deviceFamily: params.client.deviceFamily,
      clientId: params.client.id,
      clientMode: params.client.mode,
      role,
      scopes: requested,
      remoteIp: client.ip,
    };
    if (secret.kind === 'ok') {
      scopes = requested;
      authMethod = secret.method;
      const now = ctx.now();
      let device: PairedDevice;
      try {
        device = admitDevice(ctx, client, claims);
      } catch (error) {
        // The pairing request is on disk before the client is told to wait for its approval.
        await ctx.devices.flushed();
        throw error;
      }
      ctx.devices.markSeen(device.deviceId, now, 'connect');
      const issued = ctx.devices.issueToken(device.deviceId, role, requested, now);
      // Pairing (if new), last seen and token are one commit, on disk before hello-ok.
      await ctx.devices.flushed();
      issuedDeviceToken = { token: issued.token, issuedAtMs: now, scopes: requested };
    } else if (deviceTokenCandidate) {
      const record = ctx.devices.matchToken(deviceId, role, deviceTokenCandidate);
      if (!record) {
        const failed = ctx.authLimiter.fail(limiter.key, limiter.exemptable);
        if (!failed.locked && failed.delayMs > 0) await ctx.authDelay(failed.delayMs);
        // Only auth.token was offered: it was meant as the shared secret, so that is the failure to report.
        if (secret.kind === 'mismatch' && !explicitDeviceToken) throw secret.error;
        throw new GatewayError(
          'INVALID_REQUEST',
          'unauthorized: device token mismatch (re-pair or use the gateway token)',
          {
            details: {
              code: 'AUTH_DEVICE_TOKEN_MISMATCH',
              authReason: 'device_token_mismatch',
              canRetryWithDeviceToken: false,
              recommendedNextStep: 'update_auth_credentials',
            },
          },
        );
      }
      const wanted = params.scopes === undefined ? record.scopes : requested;
      if (!scopesCovered(new Set(record.scopes), wanted)) {
        throw new GatewayError('INVALID_REQUEST', 'unauthorized: requested scopes exceed the device token', {
          details: {
            code: 'AUTH_SCOPE_MISMATCH',
            authReason: 'scope_mismatch',
            recommendedNextStep: 'update_auth_credentials',
          },
        });
      }
      scopes = wanted;
      authMethod = 'device-token';
      ctx.devices.markSeen(deviceId, ctx.now(), 'device-token-auth');
    } else {
      throw missingSecretError(auth.mode);
    }
  } else {
    // Without a device there is no device-token candidate: a mismatch was answered above.
    if (secret.kind === 'mismatch') throw secret.error;
    if (secret.kind === 'absent') {
      if (params.auth?.deviceToken) {
        throw new GatewayError('NOT_PAIRED', 'device identity required to use a device token', {
          details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'update_auth_credentials' },
        });
      }
      if (!params.auth?.token && !params.auth?.password) {
        throw new GatewayError('NOT_PAIRED', 'device identity required', {
          details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'update_auth_credentials' },
        });
      }
      throw missingSecretError(auth.mode);
    }
    // A Tailscale identity names a person, not a client: OpenClaw still wants a signed device behind it.
    if (secret.method === 'tailscale') {
      throw new GatewayError('NOT_PAIRED', 'device identity required', {
        details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'update_auth_credentials' },
      });
    }
    authMethod = secret.method;
    scopes = keepsSelfDeclaredScopes(client, params, authMethod) ? requested : [];
  }

  ctx.authLimiter.succeed(limiter.key);
  if (client.scopeCap) scopes = scopes.filter((scope) => client.scopeCap?.has(scope));
  if (role === 'node') scopes = [];

  client.role = role as ClientRole;
  client.scopes = new Set(scopes);
  client.authMethod = authMethod;
  client.authGeneration = auth.generation;
  client.deviceId = deviceId;
  client.info = params.client;
  client.caps = new Set(params.caps ?? []);
  // A socket that closed during the awaits above has had its close handled already: registering its node now
  // would leave a session nothing removes (listed as connected, invokes sent into a dead socket).
  if (role === 'node' && !client.closed) {
    await ctx.nodes.connected(client, {
      caps: params.caps,
      commands: params.commands,
      permissions: params.permissions,
      pathEnv: params.pathEnv,
    });
    // Closed while its record was written: that close came before there was a node to take down.
    if (client.closed) ctx.nodes.disconnected(client);
  }
  // Only now: a node registration that fails leaves the client unauthenticated, so its close frees its pre-auth slot.
  client.authenticated = true;

  client.ws.send(
    okResponseJson(id, helloOkJson(ctx, client, { scopes, authMode: auth.mode, issuedDeviceToken })),
  );
}

function rateLimited(retryAfterMs: number): GatewayError {
  return new GatewayError(
    'INVALID_REQUEST',
    'unauthorized: too many failed authentication attempts; retry later',
    {
      retryable: true,
      retryAfterMs,
      details: {
        code: 'AUTH_RATE_LIMITED',
        authReason: 'rate_limited',
        recommendedNextStep: 'wait_then_retry',
      },
    },
  );
}

/**
 * Tailscale Serve identity in place of the shared secret: only with `gateway.auth.allowTailscale` (default on
 * with `gateway.tailscale.mode` serve), only on the managed Serve listener, and only when `tailscale whois` for
 * the connecting address names the login the header claims. Funnel traffic never qualifies.
 */
async function tailscaleIdentityVerified(ctx: GatewayContext, client: GatewayWsClient): Promise<boolean> {
  if (client.tailscale?.kind !== 'serve') return false;
  const { gateway } = ctx.configState.config;
  if (!(gateway.auth.allowTailscale ?? gateway.tailscale.mode === 'serve')) return false;
  const identity = await client.tailscale.verify();
  if (identity) ctx.logger.info('tailscale identity verified', { login: identity.login, ip: client.ip });
  return identity !== undefined;
}

/**
 * A shared secret without a device keeps its self-declared scopes only in the local cases OpenClaw allows:
 * the CLI and the backend client on direct loopback (also under auth none), and the Control UI behind a trusted
 * proxy. Probes and everyone else get no scopes (protocol.md §5).
 */
function keepsSelfDeclaredScopes(
  client: GatewayWsClient,
  params: ConnectParams,
  method: AuthMethod,
): boolean {
  const { id, mode } = params.client;
  if (mode === 'probe') return false;
  if (
    client.directLocal &&
    ((id === 'cli' && mode === 'cli') || (id === 'gateway-client' && mode === 'backend'))
  )
    return true;
  return method === 'trusted-proxy' && id === 'openclaw-control-ui';
}

/** Why a signed device cannot connect as it asks yet; undefined when it is paired for that role and scopes. */
function pairingReason(existing: PairedDevice | undefined, claims: DeviceClaims): PairingReason | undefined {
  if (!existing) return 'not-paired';
  if (!existing.roles.includes(claims.role)) return 'role-upgrade';
  if (!scopesCovered(new Set(existing.scopes), claims.scopes)) return 'scope-upgrade';
  return undefined;
}

/**
 * A signed device with a valid secret: already paired for this role and scopes → in; on direct loopback with
 * auto-approval → paired now; otherwise a pairing request goes to operators and the client gets NOT_PAIRED.
 */
function admitDevice(ctx: GatewayContext, client: GatewayWsClient, claims: DeviceClaims): PairedDevice {
  const existing = ctx.devices.get(claims.deviceId);
  const reason = pairingReason(existing, claims);
  if (!reason && existing) return existing;
  const { gateway } = ctx.configState.config;
  // OpenClaw's gateway.nodes.pairing.autoApproveLocal and clawgate's own key: either one off makes it manual.
  if (client.directLocal && gateway.pairing.autoApproveLoopback && gateway.nodes.pairing.autoApproveLocal) {
    const device = ctx.devices.pairDirectly(claims, ctx.now());
    ctx.logger.info('device paired (direct loopback)', { deviceId: claims.deviceId, role: claims.role });
    return device;
  }
  const { request, created } = ctx.devices.requestPairing(claims, reason ?? 'not-paired', ctx.now());
  if (created) {
    ctx.events.broadcast('device.pair.requested', {
      requestId: request.requestId,
      deviceId: request.deviceId,
      publicKey: request.publicKey,
      displayName: request.displayName,
      platform: request.platform,
      deviceFamily: request.deviceFamily,
      clientId: request.clientId,
      clientMode: request.clientMode,
      role: request.role,
      scopes: request.scopes,
      remoteIp: request.remoteIp,
      isRepair: request.isRepair,
      ts: request.ts,
    });
  }
  throw new GatewayError('NOT_PAIRED', 'pairing required: approve this device with device.pair.approve', {
    details: {
      code: 'PAIRING_REQUIRED',
      reason: request.reason,
      requestId: request.requestId,
      recommendedNextStep: 'wait_for_approval',
    },
  });
}
