import type { AccountRecord } from './account-record.ts';
import type { ChannelAccount } from './channel-types.ts';

/** One entry of `channels.status` `statusIssues` (OpenClaw's closed shape; it keeps at most 50). */
export type ChannelStatusIssue = {
  channel: string;
  accountId: string;
  kind: 'runtime';
  message: string;
  fix?: string;
};

export const MAX_STATUS_ISSUES = 50;

const RESTART_FIX = 'restart the channel or gateway';

/**
 * What is wrong with one account at run time, in the words OpenClaw's gateway uses, so `openclaw doctor`
 * ("Channel warnings"), `openclaw update status` (`channelIssues`) and `openclaw status` read clawgate's verdict
 * instead of re-deriving it from channel plugins the CLI may not have (webhook is not one of OpenClaw's).
 * A disabled or unconfigured account, or one still starting, has none; the last error is named when there is one.
 * Transport staleness is not judged: a webhook account is idle, not stale, when nobody posts.
 */
export function accountStatusIssue(
  channel: string,
  account: ChannelAccount,
  record: AccountRecord | undefined,
): ChannelStatusIssue | undefined {
  if (!account.enabled || !account.configured) return undefined;
  if (record?.state === 'starting') return undefined;
  const lastError = record?.lastError ? ` Last error: ${record.lastError}` : '';
  if (record?.state !== 'running') {
    return {
      channel,
      accountId: account.accountId,
      kind: 'runtime',
      message: `Channel is enabled and configured, but its runtime is not running.${lastError}`,
      fix: record?.manualStop
        ? `openclaw gateway call channels.start --params '{"channel":"${channel}","accountId":"${account.accountId}"}'`
        : RESTART_FIX,
    };
  }
  if (record.connected === false) {
    return {
      channel,
      accountId: account.accountId,
      kind: 'runtime',
      message: `Channel reports running, but the runtime is disconnected.${lastError}`,
      fix: RESTART_FIX,
    };
  }
  return undefined;
}
