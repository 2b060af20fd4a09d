import type { ExecApprovals } from '../agents/approvals/exec-approvals.ts';
import type { MemoryBackend } from '../agents/memory/memory-backend.ts';
import type { ToolRegistry } from '../agents/tools/tool-registry.ts';
import type { ChannelManager } from '../channels/manager.ts';
import type { ChatService } from '../chat/chat-service.ts';
import type { ConfigOverrides } from '../config/load.ts';
import type { StatePaths } from '../config/paths.ts';
import type { ConfigReloader, ConfigState } from '../config/reload.ts';
import type { Automation } from '../cron/automation.ts';
import type { DeviceStore } from '../devices/device-store.ts';
import type { GatewayIdentity } from '../devices/gateway-identity.ts';
import type { NodeService } from '../devices/nodes/node-service.ts';
import type { HealthSnapshot } from '../health/health-snapshot.ts';
import type { HealthState } from '../health/health-state.ts';
import type { Readiness } from '../health/readiness.ts';
import type { HookIngress } from '../hooks/hook-ingress.ts';
import type { Logger } from '../logging/logger.ts';
import type { PluginSystem } from '../plugins/plugin-system.ts';
import type { PresenceRegistry } from '../presence/presence-registry.ts';
import type { SessionEvents } from '../sessions/session-events.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { ChannelStore } from '../storage/channel-store.ts';
import type { GatewayStore } from '../storage/store.ts';
import type { UpdateAvailable } from '../update/update-status.ts';
import type { AuthDelay } from './auth/auth-delay.ts';
import type { FailedAuthLimiter } from './auth/rate-limit.ts';
import type { AuthSecretSource } from './auth/secret-source.ts';
import type { GatewayBroadcast } from './broadcast.ts';
import type { ConnectionControl, Connections } from './connections.ts';
import type { Lanes } from './lanes.ts';
import type { GatewayRegistry } from './registry.ts';
import type { NetworkStatus } from './runtime/network-status.ts';

/**
 * Everything a handler or the connection layer may use, built once at start-up and passed down; nothing reads a
 * module-level singleton or `process.env` after config load.
 */
export type GatewayContext = {
  readonly version: string;
  readonly bootId: string;
  readonly startedAt: number;
  readonly paths: StatePaths;
  readonly env: NodeJS.ProcessEnv;
  /** The command-line flags the gateway started with; they still beat the file after config.set. */
  readonly configOverrides: ConfigOverrides;
  readonly logger: Logger;
  /** The live config; each reload replaces its fields together, so read `configState.config` at use. */
  readonly configState: ConfigState;
  /** Live configuration: subscribe to changes, write through config methods, pending-restart keys. */
  readonly config: ConfigReloader;
  readonly readiness: Readiness;
  readonly health: HealthState;
  readonly presence: PresenceRegistry;
  readonly connections: Connections;
  readonly events: GatewayBroadcast;
  readonly devices: DeviceStore;
  /** Nodes: their records, live sessions, surface approvals and `node.invoke` in flight. */
  readonly nodes: NodeService;
  readonly secrets: AuthSecretSource;
  readonly authLimiter: FailedAuthLimiter;
  /** Holds back the answer to a failed loopback auth by the limiter's delay. */
  readonly authDelay: AuthDelay;
  /** Everything the gateway serves (methods, events, routes, services). */
  readonly registry: GatewayRegistry;
  readonly identity: GatewayIdentity;
  readonly store: GatewayStore;
  readonly chat: ChatService;
  /** Agent tools: `ctx.tools.register(…)` adds one (a plugin's `api.registerTool`, an MCP server's). */
  readonly tools: ToolRegistry;
  readonly sessions: SessionService;
  readonly sessionEvents: SessionEvents;
  readonly lanes: Lanes;
  /** Cron jobs, the heartbeat and the task ledger (armed by the post-attach phase). */
  readonly automation: Automation;
  /** The webhook endpoints' own failed-auth limiter, counters and runs in flight. */
  readonly hooks: HookIngress;
  /** Messaging channels: their accounts, status, pairing and outbound delivery (started at plugin bootstrap). */
  readonly channels: ChannelManager;
  /** Channel state, DM pairing, handled commands and dead letters. */
  readonly channelStore: ChannelStore;
  /** Loaded plugins and their records (their tools are in `tools`); the loader itself loads only once a plugin is configured. */
  readonly plugins: PluginSystem;
  /** Memory search: the index over workspace memory files and transcripts (opened by the post-attach phase). */
  readonly memory: MemoryBackend;
  /** Exec approvals: the document, prompts, standing grants and the gate the exec tool asks. */
  readonly approvals: ExecApprovals;
  /** Set by start-up once the listener is bound. */
  boundPort: number;
  tlsFingerprint: string | undefined;
  /** TLS pin, LAN and wide-area discovery, Tailscale exposure: what `status` reports of the network side. */
  network: NetworkStatus;
  /** A newer clawgate release, once the update check has seen one: what `update.status` reports. */
  updateAvailable: UpdateAvailable | null;
  now(): number;
  /** The cached health object (what `health` returns and `hello-ok.snapshot.health` carries). */
  healthSnapshot(): HealthSnapshot;
  /** Rebuilds the health snapshot now. */
  refreshHealth(): HealthSnapshot;
};

/**
 * What a method handler sees of the gateway: everything above except the socket set and the start-up wiring.
 * Connections are reached only through `ConnectionControl`; the registry and the auth limiter stay in the
 * network layer.
 */
export type HandlerContext = Omit<
  GatewayContext,
  'connections' | 'registry' | 'authLimiter' | 'boundPort'
> & {
  readonly connections: ConnectionControl;
  readonly boundPort: number;
};
