import { lstatSync, readFileSync } from 'node:fs';
import type { GatewayConfig } from '../../config/types.ts';
import {
  type ChannelAccess,
  type ChannelAccount,
  type ChannelGroupAccess,
  DM_POLICIES,
  type DmPolicy,
  GROUP_POLICIES,
  type GroupPolicy,
} from '../channel-types.ts';
import {
  DEFAULT_API_ROOT,
  DEFAULT_TEXT_CHUNK_LIMIT,
  TELEGRAM_TEXT_LIMIT,
  type TelegramAccountConfig,
  type TelegramChannelConfig,
  type TelegramCustomCommand,
  type TelegramGroupConfig,
  telegramBlock,
} from './telegram-config.ts';
import { ignoredKeys } from './unsupported-keys.ts';

export const DEFAULT_ACCOUNT_ID = 'default';

/** Where an account's token came from (OpenClaw's `tokenSource` in `channels.status`). */
export type TokenSource = 'tokenFile' | 'config' | 'env' | 'none';

/** What `start` needs beyond the shared account fields; `ChannelAccount.settings` carries it. */
export type TelegramSettings = {
  /** The bot token ('' when the account is not configured); never logged or reported. */
  token: string;
  tokenSource: TokenSource;
  apiRoot: string;
  /** Register OpenClaw's native commands (`/new`, `/reset`) in the bot's menu (`commands.native`). */
  nativeCommands: boolean;
  customCommands: TelegramCustomCommand[];
  /** OpenClaw keys set for this account that clawgate ignores, named once when it starts. */
  ignoredKeys: string[];
};

const normalizeAccountId = (id: string) => id.trim().toLowerCase();

/** OpenClaw's rule: the configured `accounts`, plus `default` when the root block (or the env) has a token. */
export function telegramAccountIds(block: TelegramChannelConfig): string[] {
  const ids = new Set(
    Object.keys(block.accounts ?? {})
      .map(normalizeAccountId)
      .filter((id) => id !== ''),
  );
  if (hasValue(block.botToken) || hasValue(block.tokenFile) || hasValue(block.envBotToken)) {
    ids.add(DEFAULT_ACCOUNT_ID);
  }
  if (ids.size === 0) ids.add(DEFAULT_ACCOUNT_ID);
  return [...ids].sort();
}

/** `defaultAccount` when it names an account, else `default` when there is one, else the first. */
export function telegramDefaultAccountId(config: GatewayConfig): string {
  const block = telegramBlock(config);
  if (!block) return DEFAULT_ACCOUNT_ID;
  const ids = telegramAccountIds(block);
  const chosen = block.defaultAccount ? normalizeAccountId(block.defaultAccount) : undefined;
  if (chosen && ids.includes(chosen)) return chosen;
  return ids.includes(DEFAULT_ACCOUNT_ID) ? DEFAULT_ACCOUNT_ID : ids[0];
}

/**
 * The accounts of `channels.telegram`. Without the block there are none (a `TELEGRAM_BOT_TOKEN` in the
 * environment alone starts nothing). Never throws: an account that cannot start is `configured: false`.
 */
export function telegramAccounts(config: GatewayConfig): ChannelAccount[] {
  const block = telegramBlock(config);
  if (!block) return [];
  return telegramAccountIds(block).map((accountId) => resolveAccount(block, accountId));
}

function accountEntry(block: TelegramChannelConfig, accountId: string): TelegramAccountConfig | undefined {
  for (const [key, entry] of Object.entries(block.accounts ?? {})) {
    if (normalizeAccountId(key) === accountId) return entry ?? {};
  }
  return undefined;
}

function resolveAccount(block: TelegramChannelConfig, accountId: string): ChannelAccount {
  const entry = accountEntry(block, accountId);
  const { accounts, defaultAccount, envBotToken, ...root } = block;
  const merged: TelegramAccountConfig = { ...root, ...entry };
  // A lone account's empty `groups: {}` inherits the root's; with several it isolates that account (OpenClaw).
  const multiAccount = Object.keys(accounts ?? {}).length > 1;
  if (!multiAccount && entry?.groups && Object.keys(entry.groups).length === 0) merged.groups = root.groups;
  const credential = resolveToken(block, entry, accountId);
  const settings: TelegramSettings = {
    token: credential.token,
    tokenSource: credential.source,
    apiRoot: normalizeApiRoot(merged.apiRoot),
    nativeCommands: merged.commands?.native !== false,
    customCommands: Array.isArray(merged.customCommands) ? merged.customCommands : [],
    ignoredKeys: ignoredKeys([
      { path: 'channels.telegram', config: root },
      { path: `channels.telegram.accounts.${accountId}`, config: entry },
    ]),
  };
  return {
    accountId,
    ...(typeof merged.name === 'string' && merged.name.trim() ? { name: merged.name.trim() } : {}),
    enabled: block.enabled !== false && merged.enabled !== false,
    configured: credential.token !== '',
    access: resolveAccess(merged),
    textChunkLimit: clamp(merged.textChunkLimit ?? DEFAULT_TEXT_CHUNK_LIMIT, 1, TELEGRAM_TEXT_LIMIT),
    streaming: previewStreaming(merged.streaming),
    settings,
    statusFields: {
      mode: 'polling',
      tokenSource: credential.source,
      ...(credential.problem ? { tokenStatus: credential.problem } : {}),
    },
  };
}

type Credential = { token: string; source: TokenSource; problem?: string };

/**
 * OpenClaw's order: the account's `tokenFile`, its `botToken`, then (for `default`, a listed account, or a
 * single-account block) the root's `tokenFile` and `botToken`, then `TELEGRAM_BOT_TOKEN` for `default` only.
 * A `tokenFile` that is set but unreadable leaves the account unconfigured rather than falling through.
 */
function resolveToken(
  block: TelegramChannelConfig,
  entry: TelegramAccountConfig | undefined,
  accountId: string,
): Credential {
  const own = entry ?? {};
  if (hasValue(own.tokenFile)) return readTokenFile(own.tokenFile as string);
  if (hasValue(own.botToken)) return { token: (own.botToken as string).trim(), source: 'config' };
  const rootFallback =
    accountId === DEFAULT_ACCOUNT_ID || entry !== undefined || Object.keys(block.accounts ?? {}).length === 0;
  if (rootFallback) {
    if (hasValue(block.tokenFile)) return readTokenFile(block.tokenFile as string);
    if (hasValue(block.botToken)) return { token: (block.botToken as string).trim(), source: 'config' };
  }
  if (accountId === DEFAULT_ACCOUNT_ID && hasValue(block.envBotToken)) {
    return { token: (block.envBotToken as string).trim(), source: 'env' };
  }
  return { token: '', source: 'none' };
}

/** A regular file only: OpenClaw refuses symlinks, so a token cannot be redirected to another file. */
function readTokenFile(path: string): Credential {
  try {
    if (!lstatSync(path).isFile()) return { token: '', source: 'tokenFile', problem: 'not a regular file' };
    const token = readFileSync(path, 'utf8').trim();
    return token ? { token, source: 'tokenFile' } : { token: '', source: 'tokenFile', problem: 'empty' };
  } catch (error) {
    return {
      token: '',
      source: 'tokenFile',
      problem: `unreadable (${(error as NodeJS.ErrnoException).code})`,
    };
  }
}

function resolveAccess(config: TelegramAccountConfig): ChannelAccess {
  const groups: Record<string, ChannelGroupAccess> = {};
  for (const [groupId, group] of Object.entries(config.groups ?? {})) {
    if (group) groups[groupId.trim()] = groupAccess(group);
  }
  return {
    dmPolicy: oneOf(DM_POLICIES, config.dmPolicy, 'pairing' as DmPolicy),
    allowFrom: senderIds(config.allowFrom),
    groupPolicy: oneOf(GROUP_POLICIES, config.groupPolicy, 'allowlist' as GroupPolicy),
    groupAllowFrom: senderIds(config.groupAllowFrom),
    groups,
    requireMention: true,
  };
}

function groupAccess(group: TelegramGroupConfig): ChannelGroupAccess {
  const access: ChannelGroupAccess = {};
  if (typeof group.enabled === 'boolean') access.enabled = group.enabled;
  if (typeof group.requireMention === 'boolean') access.requireMention = group.requireMention;
  if (GROUP_POLICIES.includes(group.groupPolicy as GroupPolicy))
    access.groupPolicy = group.groupPolicy as GroupPolicy;
  if (group.allowFrom !== undefined) access.allowFrom = senderIds(group.allowFrom);
  return access;
}

/** Numeric user ids as strings (`telegram:` / `tg:` prefixes dropped, as OpenClaw normalizes), and `*`. */
export function senderIds(list: (string | number)[] | undefined): string[] {
  if (!Array.isArray(list)) return [];
  const ids = new Set<string>();
  for (const raw of list) {
    const value = String(raw)
      .trim()
      .replace(/^(telegram|tg):/i, '');
    if (value === '*' || /^-?\d+$/.test(value)) ids.add(value);
  }
  return [...ids];
}

/**
 * `partial` and `block` stream the answer into an edited preview; `progress` (OpenClaw's default) keeps a
 * status draft and sends the answer as a normal message, and `off` sends only the final message. The legacy
 * boolean means partial / off.
 */
export function previewStreaming(value: TelegramAccountConfig['streaming']): boolean {
  const mode = typeof value === 'object' && value !== null ? value.mode : value;
  return mode === true || mode === 'partial' || mode === 'block';
}

/** grammY refuses a trailing `/`; an accidental `/bot<TOKEN>` tail is dropped, as `openclaw doctor --fix` does. */
export function normalizeApiRoot(value: string | undefined): string {
  const root = (value ?? '').trim() || DEFAULT_API_ROOT;
  return root.replace(/\/bot[^/]*\/?$/, '').replace(/\/+$/, '');
}

function oneOf<T extends string>(values: readonly T[], value: unknown, fallback: T): T {
  return values.includes(value as T) ? (value as T) : fallback;
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(Math.floor(value), min), max) : max;
}

function hasValue(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
