import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGatewayToken } from '../../config/gateway-token.ts';
import { checkHookTokenReuse } from '../../config/hooks-check.ts';
import { type ConfigOverrides, type LoadedConfig, loadConfig } from '../../config/load.ts';
import { createLogger, type Logger } from '../../logging/logger.ts';
import type { Closer } from './closer.ts';

export type ConfigPhaseInput = {
  env: NodeJS.ProcessEnv;
  configPath: string | undefined;
  overrides: ConfigOverrides;
  console: ((line: string) => void) | null | undefined;
};

export type ConfigPhase = {
  loaded: LoadedConfig;
  logger: Logger;
  /** How the operator reads the token, when one was generated for this state dir. */
  tokenHint: string | undefined;
};

/**
 * Phase 1, config and secrets: the file, env and flags with secret references resolved; the state directory
 * and the log; the token generated on first run. The logger's closer is the first pushed, so it runs last.
 */
export async function loadConfigAndSecrets(input: ConfigPhaseInput, closers: Closer[]): Promise<ConfigPhase> {
  const loaded = await loadConfig({
    env: input.env,
    configFlag: input.configPath,
    overrides: input.overrides,
  });
  const { config, paths } = loaded;
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  const logger = createLogger({
    level: config.logging.level,
    file: config.logging.file ?? join(paths.stateDir, 'logs', 'gateway.log'),
    maxFileBytes: config.logging.maxFileBytes,
    maxFiles: config.logging.maxFiles,
    console: input.console,
  });
  closers.push({ name: 'logger', close: () => logger.close() });
  let tokenHint: string | undefined;
  if (config.gateway.auth.mode === 'token' && config.gateway.auth.token === undefined) {
    const ensured = ensureGatewayToken(paths.stateDir, paths.tokenPath);
    config.gateway.auth.token = ensured.token;
    checkHookTokenReuse(config);
    tokenHint = `token stored in ${paths.tokenPath} (read it with: cat ${paths.tokenPath})`;
    if (ensured.created) logger.info(`generated a gateway token: ${tokenHint}`);
  }
  return { loaded, logger, tokenHint };
}
