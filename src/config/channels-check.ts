import { accessProblem, channelAccessFrom } from '../channels/access-config.ts';
import { ConfigError } from './config-error.ts';
import { isPlaceholderSecret, resolveSecretRef } from './secret-ref.ts';
import type { GatewayConfig } from './types.ts';

/** Keys that hold a channel credential in any channel's block: `env:`/`file:` references are resolved here. */
export const CHANNEL_SECRET_KEYS = ['secret', 'botToken', 'webhookSecret'] as const;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function resolveSecrets(block: Obj, path: string, env: NodeJS.ProcessEnv): void {
  for (const key of CHANNEL_SECRET_KEYS) {
    const value = block[key];
    if (typeof value !== 'string') continue;
    const resolved = resolveSecretRef(value, `${path}.${key}`, env);
    if (isPlaceholderSecret(resolved)) {
      throw new ConfigError(`${path}.${key} is blank or a placeholder: set the real credential`);
    }
    block[key] = resolved;
  }
}

/**
 * Every channel block, checked at each load (start-up and every reload) so a running channel never meets a
 * setting it cannot use: credentials given as references are resolved (the effective config holds the value,
 * redacted wherever it is shown), and the DM policies OpenClaw's validation refuses are refused, naming the
 * key. A disabled block or account is skipped: it may be half written.
 */
export function checkChannels(config: GatewayConfig, env: NodeJS.ProcessEnv): void {
  for (const [id, block] of Object.entries(config.channels)) {
    if (!isObj(block) || block.enabled === false) continue;
    const path = `channels.${id}`;
    resolveSecrets(block, path, env);
    const accounts = isObj(block.accounts) ? block.accounts : {};
    const named = Object.entries(accounts).filter(
      (entry): entry is [string, Obj] => isObj(entry[1]) && entry[1].enabled !== false,
    );
    // With named accounts only, the root is their shared defaults, not an account of its own to check.
    if (named.length === 0 || hasOwnCredentials(block)) {
      const problem = accessProblem(channelAccessFrom(block));
      if (problem) throw new ConfigError(`${path}.dmPolicy: ${problem}`);
    }
    for (const [accountId, account] of named) {
      const accountPath = `${path}.accounts.${accountId}`;
      resolveSecrets(account, accountPath, env);
      const problem = accessProblem(channelAccessFrom(block, account));
      if (problem) throw new ConfigError(`${accountPath}.dmPolicy: ${problem}`);
    }
  }
}

function hasOwnCredentials(block: Obj): boolean {
  return (
    CHANNEL_SECRET_KEYS.some((key) => typeof block[key] === 'string') || typeof block.tokenFile === 'string'
  );
}
