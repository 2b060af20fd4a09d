import type { Logger } from '../logging/logger.ts';
import type { ChannelAccount, ChannelAccountHandle, ChannelAdapter } from './channel-types.ts';

export type AccountState = 'stopped' | 'starting' | 'running' | 'failed' | 'stopping';

/** What the manager knows of one account of one channel: its config, its run, and what `channels.status` shows. */
export type AccountRecord = {
  readonly channel: string;
  readonly accountId: string;
  readonly adapter: ChannelAdapter;
  /** The account as last read from config; access and limits are read from here at use, so they apply live. */
  account: ChannelAccount;
  logger: Logger;
  state: AccountState;
  handle: ChannelAccountHandle | undefined;
  /**
   * The handle of the current run once its start has resolved (undefined if it failed or was stopped first):
   * what a reply waits on when its message arrived while the account was still starting.
   */
  handleReady: Promise<ChannelAccountHandle | undefined>;
  /** Aborted when this run of the account ends; a new run gets a new one. */
  controller: AbortController | undefined;
  /** `channels.stop`: stays stopped until `channels.start` (a config change does not restart it). */
  manualStop: boolean;
  connected: boolean | undefined;
  lastError: string | null;
  lastStartAt: number | null;
  lastStopAt: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  lastTransportActivityAt: number | null;
  lastRunActivityAt: number | null;
  lastProbeAt: number | null;
  /** Fields the running account reported (`botUsername`, `mode`). */
  fields: Record<string, unknown>;
  /** Turns whose reply is being delivered through this account. */
  activeRuns: number;
  /** Senders approved by DM pairing; loaded on the account's first message. */
  approved: Set<string> | undefined;
  /** Start, stop and restart of one account happen one after another. */
  transition: Promise<void>;
};

export const recordKey = (channel: string, accountId: string) => `${channel}\u0000${accountId}`;

/** The credentials among an account's settings, to keep them out of logs and status. */
export function accountSecrets(account: ChannelAccount): string[] {
  return ['secret', 'botToken', 'token', 'webhookSecret']
    .map((key) => account.settings[key])
    .filter((value): value is string => typeof value === 'string');
}
