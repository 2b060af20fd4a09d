import type { ChannelManager } from './manager.ts';

export type ChannelHealth = {
  channels: Record<string, unknown>;
  channelOrder: string[];
  channelLabels: Record<string, string>;
};

/**
 * The channel part of the `health` snapshot (what `openclaw health` and `status` print), OpenClaw's shape: per
 * channel with accounts, its default account's summary and `accounts` by id. Only channels with a configured
 * account are listed; it reads the manager's records and nothing else, so a refresh costs no I/O.
 */
export function channelHealth(manager: ChannelManager): ChannelHealth {
  const health: ChannelHealth = { channels: {}, channelOrder: [], channelLabels: {} };
  const config = manager.deps.config();
  for (const { adapter } of manager.deps.channels()) {
    const records = manager.records().filter((record) => record.channel === adapter.id);
    if (records.length === 0) continue;
    const accounts: Record<string, Record<string, unknown>> = {};
    for (const record of records) {
      accounts[record.accountId] = {
        accountId: record.accountId,
        configured: record.account.configured,
        enabled: record.account.enabled,
        running: record.state === 'running',
        connected: record.state === 'running' && record.connected !== false,
        lastError: record.lastError,
        lastInboundAt: record.lastInboundAt,
        lastOutboundAt: record.lastOutboundAt,
      };
    }
    const defaultId = adapter.defaultAccountId(config);
    health.channels[adapter.id] = { ...(accounts[defaultId] ?? Object.values(accounts)[0]), accounts };
    health.channelOrder.push(adapter.id);
    health.channelLabels[adapter.id] = adapter.label;
  }
  return health;
}
