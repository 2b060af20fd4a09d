import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { resolveModel } from '../agents/providers/registry.ts';
import { resolveAgent } from '../agents/registry.ts';
import { ChatService } from '../chat/chat-service.ts';
import { ensureGatewayToken } from '../config/gateway-token.ts';
import {
  HTTP_CONNECTIONS_CHECK_MS,
  HTTP_REQUEST_TIMEOUT_MS,
  SECRET_POLL_INTERVAL_MS,
  SHUTDOWN_GRACE_MS,
} from '../config/limits.ts';
import {
  buildConfig,
  type ConfigOverrides,
  hashConfigText,
  LOOPBACK_BINDS,
  loadConfig,
} from '../config/load.ts';
import { DeviceStore } from '../devices/device-store.ts';
import { loadOrCreateGatewayIdentity } from '../devices/gateway-identity.ts';
import { buildHealthSnapshot, type HealthSnapshot } from '../health/health-snapshot.ts';
import { HealthState } from '../health/health-state.ts';
import { Readiness } from '../health/readiness.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { PresenceRegistry } from '../presence/presence-registry.ts';
import { serializeOnce } from '../protocol/frames.ts';
import { mainSessionKey } from '../routing/session-key.ts';
import { SessionEvents } from '../sessions/session-events.ts';
import { SessionService } from '../sessions/session-service.ts';
import { writeFileAtomic } from '../storage/atomic-file.ts';
import { SqliteStore } from '../storage/sqlite-store.ts';
import { CLAWGATE_VERSION } from '../version.ts';
import { FailedAuthLimiter } from './auth/rate-limit.ts';
import { AuthSecretSource } from './auth/secret-source.ts';
import { InProcessBroadcast } from './broadcast.ts';
import type { ConfigState, GatewayContext } from './context.ts';
import { registerCoreMethods } from './core-methods.ts';
import { prepareControlUi } from './http/control-ui.ts';
import { handleHttpRequest } from './http/router.ts';
import { Lanes } from './lanes.ts';
import { MethodRegistry } from './method-registry.ts';
import { StartupTrace, startupTraceEnabled } from './startup-trace.ts';
import { loadTlsRuntime } from './tls.ts';
import type { GatewayWsClient } from './ws/client.ts';
import { CLOSE } from './ws/close-codes.ts';
import { createWsRuntime } from './ws/connection.ts';

// Loaded through require on purpose: building the ES-module facade of node:http touches its lazy `WebSocket`
// export, which loads Node's bundled undici (measured: +45-70 ms to start-up, +2.7 MB RSS).
const require = createRequire(import.meta.url);
const { createServer: createHttpServer } = require('node:http') as typeof import('node:http');
const { createServer: createHttpsServer } = require('node:https') as typeof import('node:https');

export type StartGatewayOptions = {
  env?: NodeJS.ProcessEnv;
  /** `--config`: the config file, instead of `<state>/clawgate.json`. */
  configPath?: string;
  /** Command-line flags; they beat the file and the environment. */
  overrides?: ConfigOverrides;
  /** Where human-readable log lines go; `null` silences them (tests). Default: stderr. */
  console?: ((line: string) => void) | null;
};

export type GatewayServer = {
  readonly host: string;
  readonly port: number;
  /** `ws://` or `wss://` URL clients connect to. */
  readonly url: string;
  readonly tlsFingerprint: string | undefined;
  readonly trace: StartupTrace;
  /** How the operator reads the token, when one was generated for this state dir. */
  readonly tokenHint: string | undefined;
  /** Stops accepting, tells clients (`shutdown`, close 1012), stops every timer. Safe to call twice. */
  close(reason?: string): Promise<void>;
};

type Closer = { name: string; close(): void | Promise<void> };

function bindHost(bind: string): string {
  if (LOOPBACK_BINDS.has(bind)) return bind === '::1' ? '::1' : '127.0.0.1';
  if (bind === 'lan') return '0.0.0.0';
  return bind;
}

export async function startGatewayServer(options: StartGatewayOptions = {}): Promise<GatewayServer> {
  const env = options.env ?? process.env;
  const trace = new StartupTrace();
  const closers: Closer[] = [];
  const startedAt = Date.now();
  let logger: Logger | undefined;

  try {
    // 1. Config and secrets: the file, env and flags, secret references resolved, the token ensured.
    const loaded = await trace.phase('config', () =>
      loadConfig({ env, configFlag: options.configPath, overrides: options.overrides }),
    );
    const { config, paths } = loaded;
    mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
    logger = createLogger({
      level: config.logging.level,
      file: config.logging.file ?? join(paths.stateDir, 'logs', 'gateway.log'),
      console: options.console,
    });
    const log = logger;
    let tokenHint: string | undefined;
    if (config.gateway.auth.mode === 'token' && config.gateway.auth.token === undefined) {
      const ensured = ensureGatewayToken(paths.stateDir, paths.tokenPath);
      config.gateway.auth.token = ensured.token;
      tokenHint = `token stored in ${paths.tokenPath} (read it with: cat ${paths.tokenPath})`;
      if (ensured.created) log.info(`generated a gateway token: ${tokenHint}`);
    }

    // 2. TLS, when configured.
    const tls = await trace.phase('tls', () => loadTlsRuntime(config, paths.stateDir));
    if (tls) log.info('TLS enabled', { fingerprint256: tls.fingerprint256, generated: tls.generated });

    // The session store opens with the config: a corrupt or newer database stops start-up with a clear error.
    const store = SqliteStore.open(paths.stateDir);
    closers.push({ name: 'store', close: () => store.close() });
    const interrupted = await store.failInterruptedRuns(
      Date.now(),
      'the run was interrupted by a gateway restart',
    );
    if (interrupted > 0) log.warn(`${interrupted} agent run(s) were interrupted by the previous shutdown`);

    const readiness = new Readiness();
    const health = new HealthState();
    closers.push({ name: 'health-state', close: () => health.close() });
    const clients = new Set<GatewayWsClient>();
    const configState: ConfigState = {
      config,
      file: loaded.file,
      text: loaded.text,
      hash: loaded.hash,
      exists: loaded.fileExists,
    };
    const bootId = randomUUID();
    let wsRuntime: ReturnType<typeof createWsRuntime> | undefined;
    let healthCache: HealthSnapshot | undefined;
    let timers: { stop(): void; restart(): void } | undefined;
    const sessionsPath = join(paths.stateDir, 'sessions');

    const events = new InProcessBroadcast({
      clients,
      health,
      maxBufferedBytes: () => configState.config.gateway.limits.maxBufferedBytes,
      onSlowConsumer: (client) => client.ws.close(CLOSE.POLICY, 'slow consumer'),
    });
    const lanes = new Lanes({ main: config.gateway.limits.mainLaneConcurrency });
    const mainKeyOf = (agentId: string) =>
      mainSessionKey(agentId, configState.config.session.mainKey, configState.config.session.scope);
    const sessionEvents = new SessionEvents(events, Date.now, mainKeyOf);
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
    });
    sessionEvents.activeRuns = (sessionKey) => chat.activeRunIds(sessionKey);
    const sessions = new SessionService(store, sessionEvents, chat, Date.now);

    const ctx: GatewayContext = {
      version: CLAWGATE_VERSION,
      bootId,
      startedAt,
      paths,
      env,
      configOverrides: options.overrides ?? {},
      logger: log,
      configState,
      readiness,
      health,
      presence: new PresenceRegistry(CLAWGATE_VERSION, bootId, startedAt),
      clients,
      events,
      store,
      chat,
      sessions,
      sessionEvents,
      lanes,
      devices: new DeviceStore(join(paths.stateDir, 'devices.json')),
      secrets: new AuthSecretSource({
        configPath: paths.configPath,
        tokenPath: paths.tokenPath,
        env,
        overrides: options.overrides ?? {},
        initial: config.gateway.auth,
        onError: (error) => log.warn(`config change ignored for auth: ${error.message}`),
      }),
      authLimiter: new FailedAuthLimiter(config.gateway.auth.rateLimit),
      methods: new MethodRegistry(),
      identity: loadOrCreateGatewayIdentity(paths.stateDir),
      boundPort: 0,
      tlsFingerprint: tls?.fingerprint256,
      lastHeartbeat: null,
      now: () => Date.now(),
      healthSnapshot: () => healthCache ?? ctx.refreshHealth(),
      refreshHealth: () => {
        healthCache = serializeOnce(
          buildHealthSnapshot(configState.config, sessionsPath, health.sampleEventLoop(), Date.now()),
        );
        return healthCache;
      },
      applyConfigFile: async (file, text) => applyConfigFile(ctx, file, text, () => timers?.restart()),
      closeStaleSecretSockets: (generation) => {
        for (const client of clients) {
          if (
            client.authenticated &&
            client.authGeneration < generation &&
            isSharedSecret(client.authMethod)
          ) {
            client.ws.close(CLOSE.AUTH_CHANGED, 'gateway auth changed');
          }
        }
      },
    };

    // 3. HTTP + WebSocket listener: probes answer from here on; connects get UNAVAILABLE until started.
    const host = bindHost(config.gateway.bind);
    const server: Server = await trace.phase('http-listen', async () => {
      const handler = (
        req: Parameters<typeof handleHttpRequest>[1],
        res: Parameters<typeof handleHttpRequest>[2],
      ) => handleHttpRequest(ctx, req, res);
      // Slow request headers (slowloris) get as long as a WebSocket handshake, checked every second rather than
      // Node's default 60 s / 30 s.
      const timeouts = {
        headersTimeout: config.gateway.limits.handshakeTimeoutMs,
        requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: HTTP_CONNECTIONS_CHECK_MS,
      };
      const srv = tls
        ? createHttpsServer({ cert: tls.cert, key: tls.key, ...timeouts }, handler)
        : createHttpServer(timeouts, handler);
      wsRuntime = createWsRuntime(ctx);
      const ws = wsRuntime;
      // Registered before listen: if listening fails, start-up's cleanup still clears the runtime's timers.
      closers.push({ name: 'ws-runtime', close: () => ws.close() });
      srv.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
      srv.on('clientError', (_error, socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(config.gateway.port, host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      return srv;
    });
    closers.push({
      name: 'http-listener',
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    ctx.boundPort = (server.address() as AddressInfo).port;
    await prepareControlUi(ctx); // a bad gateway.controlUi.root is a logged warning, not a failed start

    // 4. Early runtime: maintenance timers (tick, health refresh). Discovery and Tailscale exposure arrive later.
    await trace.phase('early-runtime', () => {
      timers = startMaintenanceTimers(ctx);
      closers.push({ name: 'maintenance-timers', close: () => timers?.stop() });
    });

    // 5. Plugin bootstrap: no channel plugins exist yet; the method registry is where they will register.
    await trace.phase('plugin-bootstrap', () => undefined);

    // 6. Auth: the secret source goes live and watches for rotation.
    await trace.phase('auth', () => {
      // One coarse poll covers the config file, the token file and any `file:` secret: each check is a few
      // stat calls, and sockets using a rotated secret are closed within a second even if nobody connects.
      const poll = setInterval(() => {
        const { auth, changed } = ctx.secrets.current();
        if (changed) {
          log.info('gateway auth changed: closing sockets that used the old secret');
          ctx.closeStaleSecretSockets(auth.generation);
        }
      }, SECRET_POLL_INTERVAL_MS);
      poll.unref();
      closers.push({ name: 'auth-watch', close: () => clearInterval(poll) });
    });

    // 7. Post-attach runtime: cron, memory backend, hooks and update checks arrive with later issues.
    await trace.phase('post-attach-runtime', () => undefined);

    // 8. Methods attached: from now on connects are accepted.
    await trace.phase('ws-handlers', () => {
      registerCoreMethods(ctx.methods);
      readiness.markStarted();
    });

    const scheme = tls ? 'wss' : 'ws';
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const url = `${scheme}://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${ctx.boundPort}`;
    if (startupTraceEnabled(env))
      (options.console ?? ((line: string) => process.stderr.write(`${line}\n`)))?.(trace.format());
    log.info(
      `clawgate ${CLAWGATE_VERSION} listening on ${url} (auth ${config.gateway.auth.mode}, ready in ${trace.totalMs()} ms)`,
    );

    let closing: Promise<void> | undefined;
    return {
      host,
      port: ctx.boundPort,
      url,
      tlsFingerprint: tls?.fingerprint256,
      trace,
      tokenHint,
      close(reason = 'gateway stopping') {
        closing ??= (async () => {
          readiness.startDraining();
          // Running turns are aborted and their partial replies committed before clients are told to go.
          await chat.close();
          ctx.events.broadcast('shutdown', { reason });
          await wsRuntime?.closeAll(CLOSE.RESTART, 'service restart', SHUTDOWN_GRACE_MS);
          await runClosers(closers, log);
          log.info('clawgate stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    await runClosers(closers, logger);
    throw error;
  }
}

function isSharedSecret(method: string | undefined): boolean {
  return method === 'token' || method === 'password';
}

async function runClosers(closers: Closer[], logger: Logger | undefined): Promise<void> {
  for (const closer of closers.reverse()) {
    try {
      await closer.close();
    } catch (error) {
      logger?.warn(`closing ${closer.name} failed`, { error: (error as Error).message });
    }
  }
  closers.length = 0;
}

/** Tick and health refresh, each one `unref`ed interval rescheduled when their config changes. */
function startMaintenanceTimers(ctx: GatewayContext): { stop(): void; restart(): void } {
  let tick: NodeJS.Timeout | undefined;
  let refresh: NodeJS.Timeout | undefined;
  const start = () => {
    const { tickIntervalMs, healthRefreshMs } = ctx.configState.config.gateway.limits;
    tick = setInterval(
      () => ctx.events.broadcast('tick', { ts: ctx.now() }, { dropIfSlow: true }),
      tickIntervalMs,
    );
    tick.unref();
    refresh = setInterval(() => {
      const snapshot = ctx.refreshHealth();
      ctx.health.bumpHealth();
      ctx.events.broadcast('health', snapshot, { dropIfSlow: true, stateVersion: true });
    }, healthRefreshMs);
    refresh.unref();
  };
  const stop = () => {
    clearInterval(tick);
    clearInterval(refresh);
  };
  start();
  return {
    stop,
    restart: () => {
      stop();
      start();
    },
  };
}

/** Settings that only take effect on restart; everything else applies live. */
const RESTART_KEYS = ['port', 'bind', 'tls', 'controlUi'] as const;

async function applyConfigFile(
  ctx: GatewayContext,
  file: Record<string, unknown>,
  text: string,
  restartTimers: () => void,
): Promise<{ restartRequired: string[] }> {
  const next = buildConfig(file, ctx.env, ctx.configOverrides);
  const before = ctx.configState.config;
  if (next.gateway.auth.mode === 'token' && next.gateway.auth.token === undefined)
    next.gateway.auth.token = before.gateway.auth.token;
  writeFileAtomic(ctx.paths.configPath, text, 0o600);
  const restartRequired = RESTART_KEYS.filter(
    (key) => JSON.stringify(before.gateway[key]) !== JSON.stringify(next.gateway[key]),
  ).map((key) => `gateway.${key}`);
  Object.assign(ctx.configState, { config: next, file, text, hash: hashConfigText(text), exists: true });
  ctx.logger.setLevel(next.logging.level);
  ctx.authLimiter.updateSettings(next.gateway.auth.rateLimit);
  const limitsChanged = ['tickIntervalMs', 'healthRefreshMs'].some(
    (key) => before.gateway.limits[key as 'tickIntervalMs'] !== next.gateway.limits[key as 'tickIntervalMs'],
  );
  if (limitsChanged) restartTimers();
  ctx.lanes.setLimit('main', next.gateway.limits.mainLaneConcurrency);
  const { auth, changed } = ctx.secrets.reload();
  // Deferred one turn so the config.set/patch caller, usually one of those sockets, gets its answer first.
  if (changed) setImmediate(() => ctx.closeStaleSecretSockets(auth.generation));
  ctx.refreshHealth();
  return { restartRequired };
}
