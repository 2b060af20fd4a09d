import type { GatewayConfig } from '../../config/types.ts';

/**
 * `channels.telegram` as the file holds it: OpenClaw's keys. clawgate runs the ones typed here; the other
 * OpenClaw keys load as they are and are named in one warning when the account starts (unsupported-keys.ts).
 */

/** Telegram refuses a longer message text (UTF-16 code units, after entity parsing). */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** OpenClaw's `textChunkLimit` default: some headroom under Telegram's limit. */
export const DEFAULT_TEXT_CHUNK_LIMIT = 4000;
export const DEFAULT_API_ROOT = 'https://api.telegram.org';
/** The environment variable OpenClaw reads for the default account's token. */
export const TELEGRAM_TOKEN_ENV = 'TELEGRAM_BOT_TOKEN';

/** OpenClaw's SecretRef object (`{ source: "env", provider: "default", id: "TELEGRAM_BOT_TOKEN" }`). */
export type SecretRefObject = { source: string; provider?: string; id: string };
export type SecretInput = string | SecretRefObject;

export const STREAMING_MODES = ['off', 'partial', 'block', 'progress'] as const;
export type StreamingMode = (typeof STREAMING_MODES)[number];

export type TelegramTopicConfig = {
  enabled?: boolean;
  requireMention?: boolean;
  groupPolicy?: string;
  allowFrom?: (string | number)[];
  [openclawKey: string]: unknown;
};

export type TelegramGroupConfig = TelegramTopicConfig & {
  topics?: Record<string, TelegramTopicConfig | undefined>;
};

export type TelegramCustomCommand = { command: string; description: string };

/** One account's keys; the root block holds the same keys as the defaults of every account. */
export type TelegramAccountConfig = {
  name?: string;
  enabled?: boolean;
  botToken?: SecretInput;
  tokenFile?: string;
  apiRoot?: string;
  dmPolicy?: string;
  allowFrom?: (string | number)[];
  groupPolicy?: string;
  groupAllowFrom?: (string | number)[];
  groups?: Record<string, TelegramGroupConfig | undefined>;
  textChunkLimit?: number;
  /** OpenClaw's mode string, its object form (`{ mode: "partial" }`), or the legacy boolean. */
  streaming?: StreamingMode | boolean | { mode?: StreamingMode; [openclawKey: string]: unknown };
  commands?: { native?: boolean | 'auto'; nativeSkills?: boolean | 'auto' };
  customCommands?: TelegramCustomCommand[];
  [openclawKey: string]: unknown;
};

export type TelegramChannelConfig = TelegramAccountConfig & {
  accounts?: Record<string, TelegramAccountConfig | undefined>;
  defaultAccount?: string;
  /**
   * Not a file key: `TELEGRAM_BOT_TOKEN` as the environment had it when the config was loaded (the default
   * account's last fallback), so the adapter never reads the environment itself.
   */
  envBotToken?: string;
};

/** `channels.telegram` of the loaded config (the config layer keeps channel blocks as each channel's own). */
export function telegramBlock(config: GatewayConfig): TelegramChannelConfig | undefined {
  const block = config.channels?.telegram;
  return block !== null && typeof block === 'object' && !Array.isArray(block)
    ? (block as TelegramChannelConfig)
    : undefined;
}
