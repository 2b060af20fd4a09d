#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/config-error.ts';
import { CLAWGATE_VERSION } from '../version.ts';

/** Exit codes: 1 = the gateway said no or was unreachable; 2 = a bad flag, config key or config file. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const DEFAULT_CALL_TIMEOUT_MS = 10_000;

function parsePortFlag(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return port;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function parseJsonFlag(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`must be JSON (${(error as Error).message})`);
  }
}

type CallFlags = {
  params?: unknown;
  url?: string;
  token?: string;
  password?: string;
  json?: boolean;
  timeout?: number;
  config?: string;
};

function addClientOptions(command: Command): Command {
  return command
    .option('--url <url>', 'gateway WebSocket URL (default: ws://127.0.0.1:<configured port>)')
    .option(
      '--token <token>',
      'gateway token (default: CLAWGATE_GATEWAY_TOKEN, the config file, or the generated token)',
    )
    .option('--password <password>', 'gateway password (password auth mode)')
    .option('--json', 'print the raw JSON result')
    .option(
      '--timeout <ms>',
      'give up after this many milliseconds',
      parsePositiveInt,
      DEFAULT_CALL_TIMEOUT_MS,
    )
    .option('--config <file>', 'config file to read the port and secret from');
}

async function runCall(method: string, flags: CallFlags): Promise<void> {
  const [{ callGateway, GatewayCallError }, { resolveClientSettings }, { leastPrivilegeScope }] =
    await Promise.all([
      import('../client/gateway-client.ts'),
      import('./client-settings.ts'),
      import('../server/core-modules.ts'),
    ]);
  const settings = resolveClientSettings(flags, process.env);
  const scope = leastPrivilegeScope(method);
  try {
    const result = await callGateway({
      url: settings.url,
      token: settings.token,
      password: settings.password,
      method,
      params: flags.params,
      scopes: scope ? [scope] : [],
      timeoutMs: flags.timeout ?? DEFAULT_CALL_TIMEOUT_MS,
    });
    process.stdout.write(`${flags.json ? JSON.stringify(result) : JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    if (!(error instanceof GatewayCallError)) throw error;
    if (flags.json) process.stdout.write(`${JSON.stringify({ ok: false, error: error.shape })}\n`);
    const detail = error.shape.details?.code ? ` [${String(error.shape.details.code)}]` : '';
    process.stderr.write(
      `clawgate: ${method} failed: ${error.shape.code}${detail}: ${error.shape.message}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  }
}

type RunFlags = {
  port?: number;
  bind?: string;
  auth?: 'token' | 'password' | 'none' | 'trusted-proxy';
  token?: string;
  password?: string;
  config?: string;
};

async function runGateway(flags: RunFlags): Promise<void> {
  const { startGatewayServer } = await import('../server/server.ts');
  const server = await startGatewayServer({
    configPath: flags.config,
    overrides: {
      port: flags.port,
      bind: flags.bind,
      authMode: flags.auth,
      token: flags.token,
      password: flags.password,
    },
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A stuck close must not keep a supervisor waiting forever; this timer does not hold the process open.
    setTimeout(() => process.exit(EXIT_FAILURE), 10_000).unref();
    server.close(`gateway stopping (${signal})`).then(
      () => {
        process.exitCode ??= 0;
      },
      (error: unknown) => {
        server.logger.error('shutdown failed', { error: (error as Error).stack });
        process.exit(EXIT_FAILURE);
      },
    );
  };
  // A promise nobody handled is a bug, logged with its stack; it unwound nothing, so the gateway keeps serving.
  process.on('unhandledRejection', (reason) => {
    server.logger.error('unhandled promise rejection (a bug; the gateway keeps serving)', {
      error: reason instanceof Error ? reason.stack : String(reason),
    });
  });
  // A synchronous throw that reached the event loop may have left state half-changed: stop cleanly instead.
  process.on('uncaughtException', (error) => {
    server.logger.error('uncaught exception; stopping the gateway', { error: error.stack });
    process.exitCode = EXIT_FAILURE;
    stop('uncaughtException');
  });
  // Handlers go in before the ready line: a supervisor may signal the moment it reads it.
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.stdout.write(`clawgate ready: ${server.url}\n`);
  if (server.tokenHint) process.stdout.write(`clawgate ${server.tokenHint}\n`);
  if (server.tlsFingerprint)
    process.stdout.write(`clawgate TLS certificate SHA-256: ${server.tlsFingerprint}\n`);
}

export function buildProgram(): Command {
  // exitOverride must be set before subcommands are added: commander copies it to each one at creation, and a
  // subcommand without it calls process.exit(1) itself, so a bad flag would exit 1 instead of 2.
  const program = new Command('clawgate')
    .exitOverride()
    .description('The OpenClaw Gateway, rebuilt in TypeScript')
    .version(CLAWGATE_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)');

  const gateway = program.command('gateway').description('run the gateway');
  gateway
    .command('run')
    .description('run the gateway in the foreground')
    .option('--port <n>', 'port for HTTP and WebSocket (default 18789)', parsePortFlag)
    .option('--bind <where>', 'loopback (default), lan, or a host address')
    .addOption(
      new Option('--auth <mode>', 'auth mode').choices(['token', 'password', 'none', 'trusted-proxy']),
    )
    .option('--token <token>', 'shared token (token mode)')
    .option('--password <password>', 'shared password (password mode)')
    .option('--config <file>', 'config file (default: $CLAWGATE_STATE_DIR/clawgate.json)')
    .action(runGateway);

  addClientOptions(
    program
      .command('call <method>')
      .description('call one gateway method and print the result')
      .option('--params <json>', 'method params as JSON', parseJsonFlag),
  ).action(runCall);
  addClientOptions(program.command('health').description('print the gateway health snapshot')).action(
    (flags: CallFlags) => runCall('health', flags),
  );
  addClientOptions(program.command('status').description('print the gateway status')).action(
    (flags: CallFlags) => runCall('status', flags),
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every usage error exits 2.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`clawgate: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`clawgate: ${(error as Error).message}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

if (import.meta.main) await main(process.argv);
