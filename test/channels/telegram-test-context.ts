import type {
  ChannelAccount,
  ChannelAccountContext,
  ChannelStatusPatch,
  InboundMessage,
} from '../../src/channels/channel-types.ts';
import { telegramAccounts } from '../../src/channels/telegram/telegram-accounts.ts';
import type { TelegramChannelConfig } from '../../src/channels/telegram/telegram-config.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import type { Logger } from '../../src/logging/logger.ts';

/** A stand-in for the channel manager: what one Telegram account is given, recorded for assertions. */
export type RecordingContext = ChannelAccountContext & {
  received: InboundMessage[];
  reports: ChannelStatusPatch[];
  logs: { level: string; msg: string }[];
  stateData: Map<string, string>;
  controller: AbortController;
  /** The merged status the reports add up to. */
  status(): ChannelStatusPatch & { fields: Record<string, unknown> };
  /** Make the next `receive` calls fail (the gateway could not hold the message). */
  failReceives(count: number): void;
};

export function telegramConfig(block: TelegramChannelConfig): GatewayConfig {
  return { ...defaultConfig(), channels: { telegram: block } };
}

export function accountOf(block: TelegramChannelConfig, accountId = 'default'): ChannelAccount {
  const account = telegramAccounts(telegramConfig(block)).find((entry) => entry.accountId === accountId);
  if (!account) throw new Error(`no account ${accountId}`);
  return account;
}

export function recordingContext(
  account: ChannelAccount,
  stateData = new Map<string, string>(),
): RecordingContext {
  const received: InboundMessage[] = [];
  const reports: ChannelStatusPatch[] = [];
  const logs: { level: string; msg: string }[] = [];
  const controller = new AbortController();
  let failing = 0;
  const log = (level: string) => (msg: string) => {
    logs.push({ level, msg });
  };
  const logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    setLevel() {},
    setRotation() {},
    close() {},
    file: undefined,
  } satisfies Logger;
  return {
    channel: 'telegram',
    account,
    logger,
    signal: controller.signal,
    controller,
    state: {
      async get(key) {
        return stateData.get(key);
      },
      async set(key, value) {
        stateData.set(key, value);
      },
    },
    async receive(message) {
      if (failing > 0) {
        failing--;
        throw new Error('store unavailable');
      }
      received.push(message);
    },
    report(patch) {
      reports.push(patch);
    },
    received,
    reports,
    logs,
    stateData,
    failReceives(count) {
      failing = count;
    },
    status() {
      const merged: ChannelStatusPatch & { fields: Record<string, unknown> } = { fields: {} };
      for (const patch of reports) {
        const { fields, ...rest } = patch;
        Object.assign(merged, rest);
        Object.assign(merged.fields, fields);
      }
      return merged;
    },
  };
}

/** Polls `predicate` until it holds or the deadline passes (no fixed sleeps). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
