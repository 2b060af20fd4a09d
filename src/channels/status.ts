import type { EventLoopHealth } from '../health/health-state.ts';
import type { AccountRecord } from './account-record.ts';
import type { ChannelAccount, ChannelAdapter } from './channel-types.ts';
import type { ChannelManager } from './manager.ts';
import { accountStatusIssue, type ChannelStatusIssue, MAX_STATUS_ISSUES } from './status-issues.ts';

type AccountSnapshot = Record<string, unknown> & { accountId: string };

/** One account as `channels.status` lists it (OpenClaw's ChannelAccountSnapshot fields). */
function accountSnapshot(account: ChannelAccount, record: AccountRecord | undefined): AccountSnapshot {
  const running = record?.state === 'running';
  return {
    ...account.statusFields,
    ...record?.fields,
    accountId: account.accountId,
    ...(account.name ? { name: account.name } : {}),
    enabled: account.enabled,
    configured: account.configured,
    running,
    connected: running ? (record?.connected ?? true) : false,
    ...(record?.manualStop
      ? { lifecycle: 'stopped' }
      : record?.state === 'failed'
        ? { lifecycle: 'failed' }
        : {}),
    lastError: record?.lastError ?? null,
    lastStartAt: record?.lastStartAt ?? null,
    lastStopAt: record?.lastStopAt ?? null,
    lastInboundAt: record?.lastInboundAt ?? null,
    lastOutboundAt: record?.lastOutboundAt ?? null,
    lastTransportActivityAt: record?.lastTransportActivityAt ?? null,
    lastRunActivityAt: record?.lastRunActivityAt ?? null,
    ...(record?.lastProbeAt ? { lastProbeAt: record.lastProbeAt } : {}),
    busy: (record?.activeRuns ?? 0) > 0,
    activeRuns: record?.activeRuns ?? 0,
    dmPolicy: account.access.dmPolicy,
    allowFrom: account.access.allowFrom,
  };
}

export type StatusOptions = {
  channel?: string;
  /** Ask running accounts that can (`handle.probe`) for a live check. */
  probe?: boolean;
  probeTimeoutMs?: number;
  eventLoop?: EventLoopHealth;
  /** Extra per-account fields kept by the gateway (dead letters), merged last. */
  extraFields?(channel: string, accountId: string): Promise<Record<string, unknown>>;
};

async function probed(
  record: AccountRecord | undefined,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const probe = record?.state === 'running' ? record.handle?.probe : undefined;
  if (!record || !probe) return {};
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      probe.call(record.handle),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`probe timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    record.lastProbeAt = Date.now();
    return { probe: result, lastProbeAt: record.lastProbeAt };
  } catch (error) {
    record.lastProbeAt = Date.now();
    return { probe: { ok: false, error: (error as Error).message }, lastProbeAt: record.lastProbeAt };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `channels.status` in OpenClaw's ChannelsStatusResult shape: every registered channel (sorted by id, as OpenClaw
 * lists them) with its labels, default account, a summary of the default account, every account's snapshot, and
 * the run-time issues found (`statusIssues`, which OpenClaw 2026.9.6 CLI readers print instead of judging themselves).
 */
export async function channelsStatus(manager: ChannelManager, options: StatusOptions) {
  const config = manager.deps.config();
  const adapters: ChannelAdapter[] = manager.deps
    .channels()
    .map((entry) => entry.adapter)
    .filter((adapter) => options.channel === undefined || adapter.id === options.channel)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const channels: Record<string, unknown> = {};
  const channelAccounts: Record<string, AccountSnapshot[]> = {};
  const channelDefaultAccountId: Record<string, string> = {};
  const statusIssues: ChannelStatusIssue[] = [];
  for (const adapter of adapters) {
    const defaultAccountId = adapter.defaultAccountId(config);
    const accounts = await Promise.all(
      manager.accountsOf(adapter, config).map(async (account) => {
        const record = manager.record(adapter.id, account.accountId);
        const issue = accountStatusIssue(adapter.id, account, record);
        if (issue) statusIssues.push(issue);
        return {
          ...accountSnapshot(account, record),
          ...(options.probe ? await probed(record, options.probeTimeoutMs ?? 10_000) : {}),
          ...(await options.extraFields?.(adapter.id, account.accountId)),
        };
      }),
    );
    const summary = accounts.find((account) => account.accountId === defaultAccountId) ?? accounts[0];
    channels[adapter.id] = {
      configured: accounts.some((account) => account.configured === true),
      running: accounts.some((account) => account.running === true),
      ...(summary
        ? {
            connected: summary.connected,
            lastError: summary.lastError,
            lastStartAt: summary.lastStartAt,
            lastStopAt: summary.lastStopAt,
            lastInboundAt: summary.lastInboundAt,
            lastOutboundAt: summary.lastOutboundAt,
            // OpenClaw's token-channel summary (Telegram's card in the Control UI reads these).
            ...Object.fromEntries(
              ['mode', 'tokenSource', 'probe', 'lastProbeAt']
                .filter((key) => summary[key] !== undefined)
                .map((key) => [key, summary[key]]),
            ),
          }
        : {}),
    };
    channelAccounts[adapter.id] = accounts;
    channelDefaultAccountId[adapter.id] = defaultAccountId;
  }
  return {
    ts: Date.now(),
    channelOrder: adapters.map((adapter) => adapter.id),
    channelLabels: Object.fromEntries(adapters.map((adapter) => [adapter.id, adapter.label])),
    channelDetailLabels: Object.fromEntries(
      adapters.map((adapter) => [adapter.id, adapter.detailLabel ?? adapter.label]),
    ),
    channelMeta: adapters.map((adapter) => ({
      id: adapter.id,
      label: adapter.label,
      detailLabel: adapter.detailLabel ?? adapter.label,
    })),
    channels,
    channelAccounts,
    channelDefaultAccountId,
    statusIssues: statusIssues.slice(0, MAX_STATUS_ISSUES),
    // OpenClaw's schema has the sampling interval in whole milliseconds.
    ...(options.eventLoop
      ? { eventLoop: { ...options.eventLoop, intervalMs: Math.round(options.eventLoop.intervalMs) } }
      : {}),
  };
}
