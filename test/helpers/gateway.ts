import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { McpRestartTiming } from '../../src/agents/mcp/mcp-servers.ts';
import type { ConfigOverrides } from '../../src/config/load.ts';
import type { AuthDelay } from '../../src/server/auth/auth-delay.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import type { UpdateCheckTiming } from '../../src/server/runtime/update-check.ts';
import { type GatewayServer, startGatewayServer } from '../../src/server/server.ts';

export type TestGateway = {
  server: GatewayServer;
  url: string;
  httpUrl: string;
  port: number;
  /** The shared secret clients should use (the configured or generated token). */
  token: string;
  stateDir: string;
  configPath: string;
  /** Each failed-auth delay the gateway asked for, in order (the default delay records and does not wait). */
  authDelays: number[];
  close(): Promise<void>;
};

export type TestGatewayOptions = {
  /** Written to `<state>/clawgate.json` before start. */
  config?: Record<string, unknown>;
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  /** Reuse a state dir (restart tests); by default a fresh temp dir, removed on close. */
  stateDir?: string;
  keepStateDir?: boolean;
  /** Registered at plugin bootstrap, as a plugin's would be. */
  modules?: GatewayModule[];
  /**
   * How a failed loopback auth is held back. Default: recorded in `authDelays` and answered at once, so no test
   * sleeps through the 250 ms → 5 s backoff; a test of the backoff itself injects its own.
   */
  authFailureDelay?: AuthDelay;
  /**
   * Runs the update check with these delays against the config's `update.registryUrl`. Without it the check is
   * off (`CLAWGATE_NO_AUTO_UPDATE=1`), so no test ever asks the real registry.
   */
  updateCheck?: Partial<UpdateCheckTiming>;
  /** How soon a crashed MCP server restarts (default 1 s doubling to 60 s). */
  mcpRestart?: Partial<McpRestartTiming>;
};

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A real gateway on 127.0.0.1, port 0, with a temp state dir; silent; token auth with TEST_TOKEN by default. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  const configPath = join(stateDir, 'clawgate.json');
  if (options.config) writeFileSync(configPath, JSON.stringify(options.config, null, 2));
  const overrides: ConfigOverrides = { port: 0, ...options.overrides };
  const usesOwnAuth =
    options.overrides?.authMode !== undefined ||
    options.overrides?.token !== undefined ||
    (options.config?.gateway as { auth?: unknown } | undefined)?.auth !== undefined;
  if (!usesOwnAuth) overrides.token = TEST_TOKEN;
  const authDelays: number[] = [];
  const recordDelay: AuthDelay = async (ms) => {
    authDelays.push(ms);
  };
  const server = await startGatewayServer({
    env: {
      CLAWGATE_STATE_DIR: stateDir,
      ...(options.updateCheck ? {} : { CLAWGATE_NO_AUTO_UPDATE: '1' }),
      ...options.env,
    },
    overrides,
    console: null,
    modules: options.modules,
    authFailureDelay: options.authFailureDelay ?? recordDelay,
    updateCheck: options.updateCheck,
    mcpRestart: options.mcpRestart,
  });
  let token = overrides.token ?? TEST_TOKEN;
  if (!usesOwnAuth || overrides.token !== undefined) token = overrides.token ?? TEST_TOKEN;
  else {
    try {
      token = readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
    } catch {
      token = '';
    }
  }
  return {
    server,
    url: server.url,
    httpUrl: server.url.replace(/^ws/, 'http'),
    port: server.port,
    token,
    stateDir,
    configPath,
    authDelays,
    async close() {
      await server.close();
      if (!options.keepStateDir && !options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
