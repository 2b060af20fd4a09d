import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ExecApprovals } from '../../agents/approvals/exec-approvals.ts';
import { automationJob } from '../../agents/approvals/standing-grants.ts';
import { type McpRestartTiming, McpServers } from '../../agents/mcp/mcp-servers.ts';
import { MemoryBackend } from '../../agents/memory/memory-backend.ts';
import { memoryToolRegistrations } from '../../agents/memory/memory-tools.ts';
import { resolveModel } from '../../agents/providers/registry.ts';
import { resolveAgent } from '../../agents/registry.ts';
import { registerCoreTools } from '../../agents/tools/builtin/core-tools.ts';
import { refuseAllExecGate } from '../../agents/tools/default-exec-gate.ts';
import { gatewaySecrets } from '../../agents/tools/gateway-secrets.ts';
import { ToolRegistry } from '../../agents/tools/tool-registry.ts';
import { channelHealth } from '../../channels/health.ts';
import { ChannelManager } from '../../channels/manager.ts';
import { ChatService } from '../../chat/chat-service.ts';
import { ContextTailStore } from '../../chat/context-tail.ts';
import { markInterruptedToolCalls } from '../../chat/interrupted-tools.ts';
import type { ConfigOverrides, LoadedConfig } from '../../config/load.ts';
import { ConfigReloader, type ConfigState } from '../../config/reload.ts';
import { Automation } from '../../cron/automation.ts';
import { leaseTimingFromEnv } from '../../cron/lease-timing.ts';
import { DeviceStore } from '../../devices/device-store.ts';
import { loadOrCreateGatewayIdentity } from '../../devices/gateway-identity.ts';
import { NodeService } from '../../devices/nodes/node-service.ts';
import { buildHealthSnapshot, type HealthSnapshot } from '../../health/health-snapshot.ts';
import { HealthState } from '../../health/health-state.ts';
import { Readiness } from '../../health/readiness.ts';
import { HookIngress } from '../../hooks/hook-ingress.ts';
import type { Logger } from '../../logging/logger.ts';
import { PluginSystem } from '../../plugins/plugin-system.ts';
import { PresenceRegistry } from '../../presence/presence-registry.ts';
import { serializeOnce } from '../../protocol/frames.ts';
import { mainSessionKey } from '../../routing/session-key.ts';
import { SessionEvents } from '../../sessions/session-events.ts';
import { SessionService } from '../../sessions/session-service.ts';
import { databasePath } from '../../storage/database.ts';
import { SqliteApprovalStore } from '../../storage/sqlite-approval-store.ts';
import { SqliteChannelStore } from '../../storage/sqlite-channel-store.ts';
import { SqliteCronStore } from '../../storage/sqlite-cron-store.ts';
import { SqliteNodeStore } from '../../storage/sqlite-node-store.ts';
import { GATEWAY_STORE_OPTIONS, SqliteStore } from '../../storage/sqlite-store.ts';
import { CLAWGATE_VERSION } from '../../version.ts';
import { type AuthDelay, TimerAuthDelay } from '../auth/auth-delay.ts';
import { FailedAuthLimiter } from '../auth/rate-limit.ts';
import { AuthSecretSource } from '../auth/secret-source.ts';
import { InProcessBroadcast } from '../broadcast.ts';
import { Connections } from '../connections.ts';
import type { GatewayContext } from '../context.ts';
import { CORE_MODULES } from '../core-modules.ts';
import { Lanes } from '../lanes.ts';
import { GatewayRegistry } from '../registry.ts';
import { normalizeFingerprint } from '../runtime/discovery/beacon.ts';
import { initialNetworkStatus } from '../runtime/network-status.ts';
import type { UpdateCheckTiming } from '../runtime/update-check.ts';
import { serverModule } from '../server-module.ts';
import { CLOSE } from '../ws/close-codes.ts';
import type { Closer } from './closer.ts';

export type StatePhaseInput = {
  loaded: LoadedConfig;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  overrides: ConfigOverrides;
  startedAt: number;
  tlsFingerprint: string | undefined;
  /** Replaces the real failed-auth delay (a testing seam; see StartGatewayOptions). */
  authFailureDelay?: AuthDelay;
  /** Shortens the update check's delays (a testing seam; see StartGatewayOptions). */
  updateCheck?: Partial<UpdateCheckTiming>;
  /** How soon a crashed MCP server restarts (a testing seam; see StartGatewayOptions). */
  mcpRestart?: Partial<McpRestartTiming>;
};

/**
 * The gateway's state, opened before anything listens: the session store (a corrupt or newer database stops
 * start-up with a clear error), the gateway identity, the device store, and the services built on them, with
 * the core modules registered. Returns the context every later phase and every handler uses.
 */
export async function openState(input: StatePhaseInput, closers: Closer[]): Promise<GatewayContext> {
  const { loaded, logger: log, env, overrides } = input;
  const { paths } = loaded;
  // Before anything is opened: a bad value stops start-up with nothing to undo.
  const lease = leaseTimingFromEnv(env);
  // Every reader and writer shares this one instance: the chat context's tail sees each committed message write.
  // The log's fsync after each group commit runs on libuv's pool: the event loop serves other turns meanwhile.
  const sqlite = SqliteStore.open(paths.stateDir, GATEWAY_STORE_OPTIONS);
  const store = new ContextTailStore(sqlite);
  closers.push({ name: 'store', close: () => store.close() });
  const interruptedTools = await markInterruptedToolCalls(store, Date.now());
  if (interruptedTools > 0)
    log.warn(`${interruptedTools} tool call(s) were interrupted by the previous shutdown`);
  const interrupted = await store.failInterruptedRuns(
    Date.now(),
    'the run was interrupted by a gateway restart',
  );
  if (interrupted > 0) log.warn(`${interrupted} agent run(s) were interrupted by the previous shutdown`);
  const identity = loadOrCreateGatewayIdentity(paths.stateDir);
  const devices = new DeviceStore(paths.stateDir);
  closers.push({ name: 'devices', close: () => devices.close() });

  const health = new HealthState();
  closers.push({ name: 'health-state', close: () => health.close() });
  const configState: ConfigState = {
    config: loaded.config,
    file: loaded.file,
    text: loaded.text,
    hash: loaded.hash,
    exists: loaded.fileExists,
  };
  const registry = new GatewayRegistry();
  const connections = new Connections();
  const production = env.NODE_ENV === 'production';
  const events = new InProcessBroadcast({
    clients: connections.clients,
    health,
    registry,
    maxBufferedBytes: () => configState.config.gateway.limits.maxBufferedBytes,
    onSlowConsumer: (client) => client.ws.close(CLOSE.POLICY, 'slow consumer'),
    onUnregistered: (event) => {
      const message = `event ${event} is not registered: declare it in its module's events`;
      // Loud in development and tests; in production the event is refused and the bug logged, never a crash.
      if (!production) throw new Error(message);
      log.error(message);
    },
  });
  closers.push({ name: 'events', close: () => events.close() });
  const lanes = new Lanes({ main: loaded.config.gateway.limits.mainLaneConcurrency });
  const mainKeyOf = (agentId: string) =>
    mainSessionKey(agentId, configState.config.session.mainKey, configState.config.session.scope);
  const sessionEvents = new SessionEvents(events, Date.now, mainKeyOf);
  // Agent tools: the built-ins now, plugins and MCP servers register into the same registry later. `exec` asks the
  // exec gate: refuse-all until the exec approvals below take over, so no command runs unchecked in between.
  const tools = new ToolRegistry({
    config: () => configState.config,
    logger: log,
    stateDir: paths.stateDir,
    configPath: paths.configPath,
    execGate: refuseAllExecGate,
    secrets: () => gatewaySecrets(configState.config, ctx.secrets.current().auth, env),
  });
  registerCoreTools(tools, {
    stateDir: paths.stateDir,
    configPath: paths.configPath,
    env: { ...process.env, ...env },
  });
  closers.push({ name: 'tools', close: () => tools.close() });
  const memory = new MemoryBackend({
    database: sqlite.database,
    write: (work) => sqlite.write(work),
    onCommit: (listener) => sqlite.onCommit(listener),
    config: () => configState.config,
    stateDir: paths.stateDir,
    logger: log,
    now: Date.now,
  });
  for (const registration of memoryToolRegistrations(memory)) tools.register(registration);
  const chat = new ChatService({
    store,
    events,
    lanes,
    logger: log,
    now: Date.now,
    config: () => configState.config,
    resolveModel: (ref) => resolveModel(ref, configState.config, env),
    agentSettings: (agentId) => {
      const agent = resolveAgent(configState.config, agentId);
      return { models: [agent.model, ...agent.fallbacks], systemPrompt: agent.systemPrompt };
    },
    sessionEvents,
    tools: async (target) => {
      await tools.prepare();
      return tools.resolve(target, 'turn').map((entry) => entry.tool);
    },
  });
  sessionEvents.activeRuns = (sessionKey) => chat.activeRunIds(sessionKey);
  const sessions = new SessionService(store, sessionEvents, chat, Date.now);
  const config = new ConfigReloader({
    state: configState,
    configPath: paths.configPath,
    env,
    overrides,
    logger: log,
    onApplied: (change, state) =>
      events.broadcast('config.changed', {
        path: paths.configPath,
        hash: state.hash,
        changedPaths: change.changedPaths,
        restartRequired: change.restartRequired,
      }),
  });
  closers.push({ name: 'config-reloader', close: () => config.close() });

  let authDelay = input.authFailureDelay;
  if (!authDelay) {
    const timers = new TimerAuthDelay();
    closers.push({ name: 'auth-delay', close: () => timers.close() });
    authDelay = timers.wait;
  }

  const bootId = randomUUID();
  const readiness = new Readiness();
  const channelStore = new SqliteChannelStore(sqlite.database, (work) => sqlite.write(work));
  const channels = new ChannelManager({
    channels: () => registry.channels(),
    config: () => configState.config,
    channelStore,
    store,
    chat,
    sessions,
    readiness,
    logger: log,
    now: Date.now,
  });
  const automation = new Automation({
    cronStore: new SqliteCronStore(sqlite.database, (work) => sqlite.write(work)),
    storePath: databasePath(paths.stateDir),
    store,
    chat,
    lanes,
    events,
    logger: log,
    owner: bootId,
    config: () => configState.config,
    now: Date.now,
    lease,
    deliver: async (request) => (await import('../../channels/outbound.ts')).deliverText(channels, request),
  });
  const approvals = new ExecApprovals({
    store: new SqliteApprovalStore(sqlite.database, (work) => sqlite.write(work)),
    events,
    logger: log,
    config: () => configState.config,
    env,
    owner: bootId,
    documentPath: `${databasePath(paths.stateDir)}#exec_approvals_config`,
    lookupJob: async (jobId) => {
      const job = await automation.store.getJob(jobId);
      return job && automationJob(job);
    },
  });
  tools.setExecGate(approvals.gate);
  const nodes = new NodeService({
    store: new SqliteNodeStore(sqlite.database, (work) => sqlite.write(work)),
    events,
    devices,
    connections,
    config: () => configState.config.gateway.nodes,
    logger: log,
    now: Date.now,
    idempotency: {
      ttlMs: loaded.config.gateway.limits.idempotencyTtlMs,
      maxEntries: loaded.config.gateway.limits.idempotencyMaxEntries,
    },
  });
  // Before the store closes: invokes in flight are answered, not left to a closed database.
  closers.push({ name: 'nodes', close: () => nodes.close() });
  // MCP servers' tools join the registry when a turn first needs them; the SDK loads only then.
  const mcp = new McpServers({
    config: () => configState.config,
    env,
    logger: log,
    tools,
    readiness,
    approvals: approvals.mcpGate,
    defaultCwd: paths.stateDir,
    restart: input.mcpRestart,
  });
  tools.onPrepare(() => mcp.ensureStarted());
  tools.onClose(() => mcp.close());
  config.subscribe(({ after }) => mcp.apply(after));
  const sessionsPath = join(paths.stateDir, 'sessions');
  let healthCache: HealthSnapshot | undefined;
  const ctx: GatewayContext = {
    version: CLAWGATE_VERSION,
    bootId,
    startedAt: input.startedAt,
    paths,
    env,
    configOverrides: overrides,
    logger: log,
    configState,
    config,
    readiness,
    health,
    presence: new PresenceRegistry(CLAWGATE_VERSION, bootId, input.startedAt),
    connections,
    events,
    store,
    chat,
    tools,
    sessions,
    sessionEvents,
    lanes,
    automation,
    hooks: new HookIngress(),
    channels,
    channelStore,
    plugins: new PluginSystem(),
    memory,
    approvals,
    devices,
    nodes,
    secrets: new AuthSecretSource({
      configPath: paths.configPath,
      tokenPath: paths.tokenPath,
      env,
      overrides,
      initial: loaded.config.gateway.auth,
      onError: (error) => log.warn(`config change ignored for auth: ${error.message}`),
    }),
    authLimiter: new FailedAuthLimiter(loaded.config.gateway.auth.rateLimit),
    authDelay,
    registry,
    identity,
    boundPort: 0,
    tlsFingerprint: input.tlsFingerprint,
    network: initialNetworkStatus(
      input.tlsFingerprint === undefined ? undefined : normalizeFingerprint(input.tlsFingerprint),
    ),
    updateAvailable: null,
    now: () => Date.now(),
    healthSnapshot: () => healthCache ?? ctx.refreshHealth(),
    refreshHealth: () => {
      healthCache = serializeOnce(
        buildHealthSnapshot(
          configState.config,
          sessionsPath,
          health.sampleEventLoop(),
          Date.now(),
          channelHealth(channels),
        ),
      );
      return healthCache;
    },
  };

  // What the core serves registers exactly as a plugin's contributions will (plugin bootstrap, phase 5).
  registry.register(serverModule({ updateCheck: input.updateCheck }));
  for (const module of CORE_MODULES) registry.register(module);
  subscribeCoreToConfig(ctx);
  return ctx;
}

/** The core's live-config subscribers: logging, limits and lanes, and the agents/models the health lists. */
function subscribeCoreToConfig(ctx: GatewayContext): void {
  ctx.config.subscribe(({ after }) => {
    ctx.logger.setLevel(after.logging.level);
    ctx.logger.setRotation({ maxFileBytes: after.logging.maxFileBytes, maxFiles: after.logging.maxFiles });
    ctx.lanes.setLimit('main', after.gateway.limits.mainLaneConcurrency);
    // Agents, models and bindings are read from the live config at use; the cached health lists the agents.
    ctx.refreshHealth();
  });
}
