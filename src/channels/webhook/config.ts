import type { GatewayConfig } from '../../config/types.ts';
import { DEFAULT_ACCOUNT_ID } from '../../routing/session-key.ts';
import { channelAccessFrom } from '../access-config.ts';
import type { ChannelAccount } from '../channel-types.ts';

export const WEBHOOK_CHANNEL_ID = 'webhook';
/** Inbound requests arrive at `/channels/webhook` (the default account) or `/channels/webhook/<accountId>`. */
export const WEBHOOK_ROUTE_PREFIX = '/channels/webhook';

/** The defaults of `channels.webhook` (see docs/channels.md). */
export const WEBHOOK_DEFAULTS = {
  maxBodyBytes: 256 * 1024,
  toleranceSeconds: 300,
  retries: 5,
  retryDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
  timeoutMs: 10_000,
  textChunkLimit: 4_000,
};

/** What the running account reads (`ChannelAccount.settings`). */
export type WebhookSettings = {
  secret: string;
  url: string;
  maxBodyBytes: number;
  toleranceSeconds: number;
  retries: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  timeoutMs: number;
};

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Where a reply URL is shown: origin and path only, since a query may carry the receiver's own token. */
function shownUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return null;
  }
}

function account(root: Obj, accountId: string, own: Obj): ChannelAccount {
  const pick = (key: string): unknown => (own[key] !== undefined ? own[key] : root[key]);
  const secret = typeof pick('secret') === 'string' ? (pick('secret') as string) : '';
  const url = typeof pick('url') === 'string' ? (pick('url') as string) : '';
  const settings: WebhookSettings = {
    secret,
    url,
    maxBodyBytes: numberOr(pick('maxBodyBytes'), WEBHOOK_DEFAULTS.maxBodyBytes),
    toleranceSeconds: numberOr(pick('toleranceSeconds'), WEBHOOK_DEFAULTS.toleranceSeconds),
    retries: numberOr(pick('retries'), WEBHOOK_DEFAULTS.retries),
    retryDelayMs: numberOr(pick('retryDelayMs'), WEBHOOK_DEFAULTS.retryDelayMs),
    retryMaxDelayMs: numberOr(pick('retryMaxDelayMs'), WEBHOOK_DEFAULTS.retryMaxDelayMs),
    timeoutMs: numberOr(pick('timeoutMs'), WEBHOOK_DEFAULTS.timeoutMs),
  };
  const name = pick('name');
  return {
    accountId,
    ...(typeof name === 'string' ? { name } : {}),
    enabled: root.enabled !== false && own.enabled !== false,
    configured: secret !== '' && url !== '',
    access: channelAccessFrom(root, own),
    textChunkLimit: numberOr(pick('textChunkLimit'), WEBHOOK_DEFAULTS.textChunkLimit),
    // Posted replies cannot be edited: the reply goes out whole (and split), never previewed.
    streaming: false,
    settings,
    statusFields: {
      mode: 'webhook',
      webhookPath:
        accountId === defaultAccountOf(root) ? WEBHOOK_ROUTE_PREFIX : `${WEBHOOK_ROUTE_PREFIX}/${accountId}`,
      webhookUrl: url ? shownUrl(url) : null,
    },
  };
}

function defaultAccountOf(root: Obj): string {
  return typeof root.defaultAccount === 'string' ? root.defaultAccount : DEFAULT_ACCOUNT_ID;
}

/**
 * The accounts of `channels.webhook`: the root block is the default account (its keys also the defaults of the
 * named ones), and each `accounts.<id>` entry one more. With named accounts and no secret or URL at the root, the
 * root is only their defaults.
 */
export function webhookAccounts(config: GatewayConfig): ChannelAccount[] {
  const root = config.channels[WEBHOOK_CHANNEL_ID];
  if (!isObj(root)) return [];
  const named = isObj(root.accounts)
    ? Object.entries(root.accounts).filter((entry): entry is [string, Obj] => isObj(entry[1]))
    : [];
  const accounts = named.map(([id, own]) => account(root, id, own));
  const rootIsAccount = named.length === 0 || typeof root.secret === 'string' || typeof root.url === 'string';
  const defaultId = defaultAccountOf(root);
  if (rootIsAccount && !named.some(([id]) => id === defaultId))
    accounts.unshift(account(root, defaultId, {}));
  return accounts;
}

export function webhookDefaultAccount(config: GatewayConfig): string {
  const root = config.channels[WEBHOOK_CHANNEL_ID];
  return isObj(root) ? defaultAccountOf(root) : DEFAULT_ACCOUNT_ID;
}
