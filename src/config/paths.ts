import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'clawgate.json';
export const TOKEN_FILE_NAME = 'gateway.token';

export type StatePaths = { stateDir: string; configPath: string; tokenPath: string };

/** Where state lives: `CLAWGATE_STATE_DIR` (default `~/.clawgate`); the config file may be pointed elsewhere. */
export function resolveStatePaths(env: NodeJS.ProcessEnv, configFlag?: string): StatePaths {
  const stateDir = resolve(env.CLAWGATE_STATE_DIR || join(homedir(), '.clawgate'));
  const configOverride = configFlag || env.CLAWGATE_CONFIG_PATH;
  const configPath = configOverride
    ? isAbsolute(configOverride)
      ? configOverride
      : resolve(configOverride)
    : join(stateDir, CONFIG_FILE_NAME);
  return { stateDir, configPath, tokenPath: join(stateDir, TOKEN_FILE_NAME) };
}
