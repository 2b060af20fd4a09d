import type { ExecAsk, ExecSecurity } from '../agents/approvals/policy.ts';
import type { GatewayLimits } from './limits.ts';
import type { McpConfig } from './mcp-types.ts';
import type { AgentToolsConfig, ExecToolConfig, GatewayToolsConfig, ToolsConfig } from './tools-types.ts';

export const AUTH_MODES = ['token', 'password', 'none', 'trusted-proxy'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** `agents.defaults.heartbeat` / `agents.list[].heartbeat` (OpenClaw's keys clawgate runs). */
export type HeartbeatConfig = {
  /** A duration (`30m`); `0m` turns the cadence off. */
  every?: string;
  prompt?: string;
  /** `owner` (the default: skipped without a channel to reach the owner), `last`, `none`, or a channel id. */
  target?: string;
  /** The recipient when `target` is a channel id (a Telegram chat id, a webhook chat). */
  to?: string;
  /** The channel account to send through (default: the channel's default account). */
  accountId?: string;
  /** The session beats run in, by its main-key tail (default: the agent's main session). */
  session?: string;
  timeoutSeconds?: number;
  activeHours?: { start: string; end: string; timezone?: string };
};

export type AgentConfig = {
  id: string;
  name?: string;
  default?: boolean;
  model?: string;
  /** Set only when the file gives `model: {primary?, fallbacks}`; a string model means no fallbacks (OpenClaw). */
  fallbacks?: string[];
  workspace?: string;
  systemPrompt?: string;
  identity?: { name?: string; theme?: string; emoji?: string; avatar?: string };
  heartbeat?: HeartbeatConfig;
  tools?: AgentToolsConfig;
};

/** USD per million tokens (OpenClaw's `models.providers.*.models[].cost`); what usage reports price with. */
export type ModelCost = { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
export type ProviderModelConfig = { id: string; name?: string; contextWindow?: number; cost?: ModelCost };
export type ProviderConfig = {
  baseUrl?: string;
  apiKey?: string;
  api?: 'openai-completions' | 'anthropic-messages';
  models?: ProviderModelConfig[];
};

/** `session.dmScope`: how direct messages map to sessions (OpenClaw's values). */
export const DM_SCOPES = ['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer'] as const;
export type DmScope = (typeof DM_SCOPES)[number];
/** `session.groupScope`: groups, rooms and channels keep their own session, or join the main one. */
export const GROUP_SCOPES = ['per-group', 'main'] as const;
export type GroupScope = (typeof GROUP_SCOPES)[number];
export const PEER_KINDS = ['direct', 'group', 'channel'] as const;
export type PeerKind = (typeof PEER_KINDS)[number];

/** One `bindings[]` entry: inbound messages matching `match` are answered by `agentId` (OpenClaw's shape). */
export type BindingConfig = {
  agentId: string;
  comment?: string;
  /** Only ordinary `route` bindings are supported (OpenClaw's `acp` bindings are not). */
  type?: 'route';
  match: {
    channel: string;
    /** Omitted: the channel's default account only; `"*"`: any account. */
    accountId?: string;
    /** `id: "*"` matches every peer of that kind. */
    peer?: { kind: PeerKind; id: string };
    guildId?: string;
    teamId?: string;
    roles?: string[];
  };
  /** Overrides `session.dmScope` / `session.groupScope` for messages this binding routes. */
  session?: { dmScope?: DmScope; groupScope?: GroupScope };
};

/** `update.channel`: OpenClaw's release channels, less extended-stable (a package-only line clawgate lacks). */
export const UPDATE_CHANNELS = ['stable', 'beta', 'dev'] as const;
/** `discovery.mdns.mode`: how much the LAN beacon (and the wide-area zone's TXT) discloses. */
export const DISCOVERY_MODES = ['off', 'minimal', 'full'] as const;
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];
/** `gateway.tailscale.mode`: no exposure, tailnet-only `tailscale serve`, or public `tailscale funnel`. */
export const TAILSCALE_MODES = ['off', 'serve', 'funnel'] as const;
export type TailscaleMode = (typeof TAILSCALE_MODES)[number];
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];
export const HOOK_ACTIONS = ['wake', 'agent'] as const;
export const HOOK_WAKE_MODES = ['now', 'next-heartbeat'] as const;
export const HOOK_SESSION_MODES = ['isolated', 'persistent'] as const;
export type HookWakeMode = (typeof HOOK_WAKE_MODES)[number];
export type HookSessionMode = (typeof HOOK_SESSION_MODES)[number];

/** One `hooks.mappings[]` entry (OpenClaw's fields, without transforms, fan-out or channel delivery). */
export type HookMappingConfig = {
  id?: string;
  /** Both must match when set: the subpath after `hooks.path`, the payload's string `source`. */
  match?: { path?: string; source?: string };
  action?: (typeof HOOK_ACTIONS)[number];
  wakeMode?: HookWakeMode;
  name?: string;
  agentId?: string;
  /** Static, or a template (`hook:github:{{payload.number}}`). */
  sessionKey?: string;
  sessionMode?: HookSessionMode;
  messageTemplate?: string;
  textTemplate?: string;
  deliver?: boolean;
  timeoutSeconds?: number;
};

/** `hooks.*`: the HTTP webhook endpoints (OpenClaw's keys clawgate implements). */
export type HooksConfig = {
  enabled: boolean;
  /** Resolved (an `env:`/`file:` reference read) at load. */
  token?: string;
  /** Normalized at load: one leading slash, no trailing one. */
  path: string;
  /** Absent or containing `*`: every agent; `[]`: none. */
  allowedAgentIds?: string[];
  defaultSessionKey?: string;
  allowRequestSessionKey: boolean;
  allowedSessionKeyPrefixes?: string[];
  mappings: HookMappingConfig[];
};

/** `plugins.entries.<id>` (OpenClaw's keys clawgate reads). */
export type PluginEntryConfig = {
  enabled?: boolean;
  /** Validated against the plugin's manifest `configSchema` before the plugin loads. */
  config?: Record<string, unknown>;
};

/** `plugins.*`: which OpenClaw plugins load, from where, and their settings (see docs/plugins.md). */
export type PluginsConfig = {
  enabled: boolean;
  /** Non-empty: only these ids load. */
  allow: string[];
  /** Never load these (beats `allow`). */
  deny: string[];
  load: { paths: string[]; timeoutMs: number };
  entries: Record<string, PluginEntryConfig>;
};

/** `memory.search.sources`: OpenClaw's corpora (memory files, session transcripts). */
export const MEMORY_SOURCES = ['memory', 'sessions'] as const;
export type MemorySource = (typeof MEMORY_SOURCES)[number];
/** `memory.citations`: whether memory_search snippets carry a `Source: path#line` footer. */
export const MEMORY_CITATIONS = ['auto', 'on', 'off'] as const;
export type MemoryCitations = (typeof MEMORY_CITATIONS)[number];

/** `memory.*`: the memory backend's keys (OpenClaw's, those clawgate implements; see docs/memory.md). */
export type MemoryConfig = {
  search: {
    enabled: boolean;
    /** Absent: OpenClaw's default (`["memory"]`). */
    sources?: MemorySource[];
    /** Absent: on unless direct messages are isolated (OpenClaw's rule, docs/memory.md). */
    rememberAcrossConversations?: boolean;
    experimental: { sessionMemory: boolean };
    query: { maxResults: number; minScore: number };
  };
  citations: MemoryCitations;
};

/** The config after defaults, env and flags are applied: what the gateway runs with. */
export type GatewayConfig = {
  gateway: {
    port: number;
    bind: string;
    auth: {
      mode: AuthMode;
      token?: string;
      password?: string;
      rateLimit: { maxAttempts: number; windowMs: number; lockoutMs: number; exemptLoopback: boolean };
      trustedProxy: { userHeader: string; allowUsers: string[] };
      /** Unset: on when `gateway.tailscale.mode` is `serve` (OpenClaw's default). */
      allowTailscale?: boolean;
    };
    trustedProxies: string[];
    tailscale: { mode: TailscaleMode };
    tls: { enabled: boolean; certPath?: string; keyPath?: string; autoGenerate: boolean };
    controlUi: { enabled: boolean; root?: string; basePath: string; allowedOrigins: string[] };
    pairing: { autoApproveLoopback: boolean };
    /** `gateway.nodes` (docs/nodes.md): OpenClaw's pairing and command-policy keys, and clawgate's invoke grants. */
    nodes: {
      pairing: { autoApproveLocal: boolean };
      commands: { allow: string[]; deny: string[] };
      invokeGrants: Record<string, string[]>;
    };
    /** `hybrid`: file edits apply live (restart-only keys wait, reported); `off`: file edits wait for a restart. */
    reload: { mode: 'hybrid' | 'off' };
    http: { endpoints: { chatCompletions: { enabled: boolean } } };
    limits: GatewayLimits;
    /** What `tools.invoke` / `POST /tools/invoke` refuse beyond tool policy. */
    tools?: GatewayToolsConfig;
    /** The periodic retention pass; durations are ms after load (`false`: keep), see docs/operations.md. */
    maintenance: {
      enabled: boolean;
      intervalMs: number;
      runRetention: Retention;
      logRetention: Retention;
      cronRunRetention: Retention;
      /** Entries of each job's run history kept (`false`: no cap). */
      cronRunsPerJob: number | false;
      taskRetention: Retention;
    };
  };
  agents: {
    defaults: {
      model: string;
      fallbacks: string[];
      workspace?: string;
      systemPrompt?: string;
      heartbeat?: HeartbeatConfig;
    };
    list: AgentConfig[];
  };
  bindings: BindingConfig[];
  session: {
    mainKey: string;
    scope: 'per-sender' | 'global';
    dmScope: DmScope;
    groupScope: GroupScope;
    maintenance: { mode: MaintenanceMode; resetArchiveRetention: Retention };
  };
  models: { providers: Record<string, ProviderConfig>; echo?: { wordDelayMs?: number } };
  logging: { level: LogLevel; file?: string; maxFileBytes: number; maxFiles: number };
  discovery: { mdns: { mode: DiscoveryMode }; wideArea: { domain?: string } };
  /** `cron.enabled: false` keeps every job and runs none (heartbeats included). */
  cron: { enabled: boolean };
  update: { channel: UpdateChannel; checkOnStart: boolean; registryUrl: string };
  hooks: HooksConfig;
  /**
   * Channel blocks by channel id (`webhook`, `telegram`, a plugin's), as validated by the file schema: each
   * channel's adapter reads and normalizes its own block.
   */
  channels: Record<string, unknown>;
  plugins: PluginsConfig;
  memory: MemoryConfig;
  /**
   * Tool policy and the built-in tools' limits (absent keys take the defaults in src/agents/tools/tools-config.ts),
   * with `tools.exec`'s approval policy resolved at load beside the exec tool's own limits.
   */
  tools: Omit<ToolsConfig, 'exec'> & { exec: ExecApprovalConfig & ExecToolConfig };
  /** MCP servers whose tools agents may call (src/agents/mcp). */
  mcp: McpConfig;
  /** `approvals.exec.timeoutMs`: how long an exec approval prompt waits before its fallback applies. */
  approvals: { exec: { timeoutMs: number } };
};

/** A custom safe bin's argv policy (`tools.exec.safeBinProfiles.<bin>`, OpenClaw's shape). */
export type SafeBinProfileConfig = {
  minPositional?: number;
  maxPositional?: number;
  allowedValueFlags?: string[];
  deniedFlags?: string[];
};

/**
 * `tools.exec`'s approval policy after load: `mode` (or the legacy `security`/`ask` pair) is resolved into the
 * pair, so the gate reads one shape.
 */
export type ExecApprovalConfig = {
  security: ExecSecurity;
  ask: ExecAsk;
  /** Absent: OpenClaw's default list (cut, uniq, head, tail, tr, wc). */
  safeBins?: string[];
  safeBinTrustedDirs: string[];
  safeBinProfiles: Record<string, SafeBinProfileConfig>;
  /** Days a standing grant minted for an automation lives; absent: until revoked. */
  grantExpiryDays?: number;
};

/** `session.maintenance.mode` (OpenClaw's): `warn` only logs what a pass would prune. */
export const MAINTENANCE_MODES = ['enforce', 'warn'] as const;
export type MaintenanceMode = (typeof MAINTENANCE_MODES)[number];
/**
 * How long something is kept, in ms: the file's duration string (`"30d"`) or ms is parsed once at load, and a
 * zero duration becomes `false` (keep everything), as OpenClaw reads `"0h"`.
 */
export type Retention = number | false;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
