import { ConfigError } from '../../config/config-error.ts';
import { resolveSecretRef } from '../../config/secret-ref.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { type SecretInput, TELEGRAM_TOKEN_ENV, telegramBlock } from './telegram-config.ts';

/**
 * Resolves the bot tokens of `channels.telegram` at config load, where the environment is at hand (the adapter
 * only ever sees the config): `env:NAME` / `file:/path` strings and OpenClaw's `{ source: "env", id }` objects
 * become the token itself, and `TELEGRAM_BOT_TOKEN` is kept for the default account. A reference that cannot
 * be resolved is a config error naming the key, as for every other secret in the file. A disabled block (or
 * account) is left as written: it may be half done, and nothing of it starts.
 */
export function resolveTelegramSecrets(config: GatewayConfig, env: NodeJS.ProcessEnv): void {
  const block = telegramBlock(config);
  if (!block) return;
  const envToken = env[TELEGRAM_TOKEN_ENV]?.trim();
  if (envToken) block.envBotToken = envToken;
  else delete block.envBotToken;
  if (block.enabled === false) return;
  resolveBotToken(block, 'channels.telegram', env);
  for (const [accountId, account] of Object.entries(block.accounts ?? {})) {
    if (account && account.enabled !== false) {
      resolveBotToken(account, `channels.telegram.accounts.${accountId}`, env);
    }
  }
}

function resolveBotToken(config: { botToken?: SecretInput }, path: string, env: NodeJS.ProcessEnv): void {
  const value = config.botToken;
  if (value === undefined) return;
  const key = `${path}.botToken`;
  if (typeof value === 'string') {
    config.botToken = resolveSecretRef(value.trim(), key, env).trim();
    return;
  }
  // OpenClaw's file, exec and store sources name providers under `secrets.providers`, which clawgate lacks.
  if (value.source !== 'env') {
    throw new ConfigError(
      `${key}: secret source "${value.source}" is not supported; use { source: "env", id: "NAME" }, an env:NAME or file:/path string, or channels.telegram.tokenFile`,
    );
  }
  config.botToken = resolveSecretRef(`env:${value.id}`, key, env).trim();
}
