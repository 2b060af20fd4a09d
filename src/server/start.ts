import type { McpRestartTiming } from '../agents/mcp/mcp-servers.ts';
import { SHUTDOWN_GRACE_MS } from '../config/limits.ts';
import type { ConfigOverrides } from '../config/load.ts';
import type { Logger } from '../logging/logger.ts';
import { CLAWGATE_VERSION } from '../version.ts';
import type { AuthDelay } from './auth/auth-delay.ts';
import type { GatewayContext } from './context.ts';
import { startAuth } from './phases/auth.ts';
import type { Closer } from './phases/closer.ts';
import { loadConfigAndSecrets } from './phases/config-secrets.ts';
import { startEarlyRuntime } from './phases/early-runtime.ts';
import { type Listener, listen } from './phases/http-listen.ts';
import { bootstrapPlugins } from './phases/plugin-bootstrap.ts';
import { startPostAttachRuntime } from './phases/post-attach.ts';
import { openState } from './phases/state.ts';
import { prepareTls } from './phases/tls.ts';
import { attachWsHandlers } from './phases/ws-handlers.ts';
import type { GatewayModule } from './registry.ts';
import type { UpdateCheckTiming } from './runtime/update-check.ts';
import { StartupTrace, startupTraceEnabled } from './startup-trace.ts';
import { CLOSE } from './ws/close-codes.ts';

export type StartGatewayOptions = {
  env?: NodeJS.ProcessEnv;
  /** `--config`: the config file, instead of `<state>/clawgate.json`. */
  configPath?: string;
  /** Command-line flags; they beat the file and the environment. */
  overrides?: ConfigOverrides;
  /** Where human-readable log lines go; `null` silences them (tests). Default: stderr. */
  console?: ((line: string) => void) | null;
  /** Modules registered at plugin bootstrap, after the core's: methods, events, routes and services. */
  modules?: readonly GatewayModule[];
  /**
   * Testing seam: how a failed loopback auth waits before it is answered (the limiter's 250 ms → 5 s backoff),
   * so a test can record the delays instead of sleeping through them. Default: a real timer, cleared on close.
   */
  authFailureDelay?: AuthDelay;
  /**
   * Testing seam: the update check's first delay, interval and request timeout, so a test sees a check in
   * milliseconds rather than seconds and days. Default: `UPDATE_CHECK_*` in config/limits.ts.
   */
  updateCheck?: Partial<UpdateCheckTiming>;
  /** Testing seam: how soon a crashed MCP server is restarted. Default: DEFAULT_MCP_RESTART (1 s doubling to 60 s). */
  mcpRestart?: Partial<McpRestartTiming>;
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
  /** The gateway's log (file and console), for the process-level handlers of `gateway run`. */
  readonly logger: Logger;
  /** Stops accepting, tells clients (`shutdown`, close 1012), stops every timer. Safe to call twice. */
  close(reason?: string): Promise<void>;
};

/**
 * The composition root: runs the seed's start-up phases in order, each timed by the start-up trace, and owns
 * the closers they leave. A phase registers a closer as soon as it holds the resource, so a start that fails
 * half-way still releases everything acquired so far.
 */
export async function startGatewayServer(options: StartGatewayOptions = {}): Promise<GatewayServer> {
  const env = options.env ?? process.env;
  const trace = new StartupTrace();
  const closers: Closer[] = [];
  const startedAt = Date.now();
  const overrides = options.overrides ?? {};
  let logger: Logger | undefined;

  try {
    const {
      loaded,
      logger: log,
      tokenHint,
    } = await trace.phase('config', () =>
      loadConfigAndSecrets(
        { env, configPath: options.configPath, overrides, console: options.console },
        closers,
      ),
    );
    logger = log;
    let started = false;
    // Pushed right after the logger's closer, so it runs just before it: the last line still reaches the file.
    closers.push({
      name: 'stopped-line',
      close: () => {
        if (started) log.info('clawgate stopped');
      },
    });
    const { config, paths } = loaded;
    const tls = await trace.phase('tls', () => prepareTls(config, paths.stateDir, log));
    const ctx = await trace.phase('state', () =>
      openState(
        {
          loaded,
          logger: log,
          env,
          overrides,
          startedAt,
          tlsFingerprint: tls?.fingerprint256,
          authFailureDelay: options.authFailureDelay,
          updateCheck: options.updateCheck,
          mcpRestart: options.mcpRestart,
        },
        closers,
      ),
    );
    const listener = await trace.phase('http-listen', () => listen(ctx, tls, closers));
    await trace.phase('early-runtime', () => startEarlyRuntime(ctx, listener, closers));
    await trace.phase('plugin-bootstrap', () => bootstrapPlugins(ctx, closers, options.modules ?? []));
    await trace.phase('auth', () => startAuth(ctx, closers));
    await trace.phase('post-attach-runtime', () => startPostAttachRuntime(ctx, closers));
    await trace.phase('ws-handlers', () => attachWsHandlers(ctx));

    if (startupTraceEnabled(env))
      (options.console ?? ((line: string) => process.stderr.write(`${line}\n`)))?.(trace.format());
    log.info(
      `clawgate ${CLAWGATE_VERSION} listening on ${listener.url} (auth ${config.gateway.auth.mode}, ready in ${trace.totalMs()} ms)`,
    );
    started = true;
    return runningGateway(ctx, listener, closers, { trace, tokenHint, tls: tls?.fingerprint256 });
  } catch (error) {
    await runClosers(closers, logger);
    throw error;
  }
}

function runningGateway(
  ctx: GatewayContext,
  listener: Listener,
  closers: Closer[],
  extra: { trace: StartupTrace; tokenHint: string | undefined; tls: string | undefined },
): GatewayServer {
  let closing: Promise<void> | undefined;
  return {
    host: listener.host,
    port: ctx.boundPort,
    url: listener.url,
    tlsFingerprint: extra.tls,
    trace: extra.trace,
    tokenHint: extra.tokenHint,
    logger: ctx.logger,
    close(reason = 'gateway stopping') {
      closing ??= (async () => {
        ctx.readiness.startDraining();
        // Running turns are aborted and their partial replies committed before clients are told to go.
        await ctx.chat.close();
        ctx.events.broadcast('shutdown', { reason });
        await listener.ws.closeAll(CLOSE.RESTART, 'service restart', SHUTDOWN_GRACE_MS);
        await runClosers(closers, ctx.logger);
      })();
      return closing;
    },
  };
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
