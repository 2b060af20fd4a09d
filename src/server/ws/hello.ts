import { defaultAgentId } from '../../agents/registry.ts';
import type { AuthMode } from '../../config/types.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { mainSessionKey } from '../../routing/session-key.ts';
import { CLAWGATE_BUILD_ID } from '../../version.ts';
import { scopeSatisfied } from '../authz/scopes.ts';
import type { GatewayContext } from '../context.ts';
import type { GatewayWsClient } from './client.ts';

type HelloExtras = {
  scopes: string[];
  authMode: AuthMode;
  issuedDeviceToken?: { token: string; issuedAtMs: number; scopes: string[] };
};

export function sessionDefaults(ctx: GatewayContext) {
  const { config } = ctx.configState;
  const agentId = defaultAgentId(config);
  const mainKey = config.session.mainKey;
  return {
    defaultAgentId: agentId,
    mainKey,
    mainSessionKey: mainSessionKey(agentId, mainKey, config.session.scope),
    scope: config.session.scope,
  };
}

/**
 * The `hello-ok` payload's JSON (protocol.md §4). Admin-only details (paths) go to admins only. The presence list
 * (up to PRESENCE_WIRE_MAX entries, most of the bytes) is spliced in as the registry keeps it serialized.
 */
export function helloOkJson(ctx: GatewayContext, client: GatewayWsClient, extras: HelloExtras): string {
  const now = ctx.now();
  const { snapshot, ...hello } = buildHelloOk(ctx, client, extras, now);
  return `${JSON.stringify(hello).slice(0, -1)},"snapshot":{"presence":${ctx.presence.snapshotJson(now)},${JSON.stringify(snapshot).slice(1)}}`;
}

function buildHelloOk(ctx: GatewayContext, client: GatewayWsClient, extras: HelloExtras, now: number) {
  const { limits } = ctx.configState.config.gateway;
  const admin = scopeSatisfied(client.scopes, 'operator.admin');
  const auth: Record<string, unknown> = {
    ...(client.authMethod ? { method: client.authMethod } : {}),
    role: client.role,
    scopes: extras.scopes,
  };
  if (extras.issuedDeviceToken) {
    auth.deviceToken = extras.issuedDeviceToken.token;
    auth.issuedAtMs = extras.issuedDeviceToken.issuedAtMs;
  }
  return {
    type: 'hello-ok',
    protocol: PROTOCOL_VERSION,
    server: {
      version: ctx.version,
      buildId: CLAWGATE_BUILD_ID,
      // The UI clawgate serves is always one the operator pointed it at (it bundles none); "configured" tells the
      // Control UI not to compare its own build with clawgate's, which never match, and demand a refresh.
      ...(ctx.configState.config.gateway.controlUi.root ? { controlUiBuildSource: 'configured' } : {}),
      connId: client.connId,
      bootId: ctx.bootId,
    },
    features: {
      methods: ctx.registry.advertisedMethods(),
      events: ctx.registry.advertisedEvents(),
      capabilities: ctx.registry.capabilities(),
    },
    snapshot: {
      health: ctx.healthSnapshot(),
      stateVersion: ctx.health.stateVersion,
      uptimeMs: Math.max(0, now - ctx.startedAt),
      // What is in force: the Control UI compares it with config.get's hash to tell an unapplied change.
      appliedConfigHash: ctx.configState.hash,
      sessionDefaults: sessionDefaults(ctx),
      authMode: extras.authMode,
      ...(admin ? { configPath: ctx.paths.configPath, stateDir: ctx.paths.stateDir } : {}),
    },
    auth,
    policy: {
      maxPayload: limits.maxPayloadBytes,
      maxBufferedBytes: limits.maxBufferedBytes,
      tickIntervalMs: limits.tickIntervalMs,
      attachments: { maxBytes: limits.attachmentMaxBytes, maxImageBytes: limits.attachmentMaxImageBytes },
    },
  };
}
