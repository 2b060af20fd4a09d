import type { DmPolicy } from '../channels/channel-types.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { PluginLogger } from './api.ts';

/**
 * The subset of OpenClaw's `ChannelPlugin` a plugin channel may use in clawgate: account resolution (`config`),
 * DM security (`security.dm`), outbound text (`outbound.sendText`), and an account lifecycle (`gateway`). Each
 * maps onto clawgate's `ChannelAdapter` (channel-adapter.ts); the channel manager does the rest (policy, pairing,
 * routing, turns, splitting replies). Other adapter surfaces OpenClaw has are accepted and not used.
 */

/** OpenClaw channel plugins read the config as a loose object (`cfg.channels?.["my-channel"]`). */
export type ChannelPluginConfig = GatewayConfig & Record<string, unknown>;

export type ChannelPluginMeta = {
  id?: string;
  label?: string;
  selectionLabel?: string;
  detailLabel?: string;
  blurb?: string;
};

export type ChannelPluginConfigAdapter<Account> = {
  listAccountIds(cfg: ChannelPluginConfig): string[];
  resolveAccount(cfg: ChannelPluginConfig, accountId?: string | null): Account;
  /** Read-only metadata: `enabled`, `configured`, status fields such as `tokenStatus`; never secrets. */
  inspectAccount?(cfg: ChannelPluginConfig, accountId?: string | null): unknown;
  defaultAccountId?(cfg: ChannelPluginConfig): string;
  isEnabled?(account: Account, cfg: ChannelPluginConfig): boolean;
  /** Only a synchronous answer is used; a promise counts as configured. */
  isConfigured?(account: Account, cfg: ChannelPluginConfig): boolean | Promise<boolean>;
};

export type ChannelPluginSecurity<Account> = {
  dm?: {
    channelKey?: string;
    resolvePolicy?(account: Account): string | undefined;
    resolveAllowFrom?(account: Account): Array<string | number> | undefined;
    defaultPolicy?: DmPolicy;
  };
};

/** OpenClaw's `ChannelOutboundContext`, the fields clawgate fills. */
export type ChannelSendContext = {
  cfg: ChannelPluginConfig;
  to: string;
  text: string;
  accountId?: string | null;
  threadId?: string | number | null;
  replyToId?: string | null;
  silent?: boolean;
};

/** OpenClaw's `OutboundDeliveryResult`: the network's id for what was sent. */
export type ChannelSendResult = { messageId: string | number; channel?: string; [key: string]: unknown };

export type ChannelPluginOutbound = {
  deliveryMode?: 'direct' | 'gateway' | 'hybrid';
  textChunkLimit?: number;
  sendText?(ctx: ChannelSendContext): Promise<ChannelSendResult>;
  sendMedia?(ctx: ChannelSendContext & { mediaUrl?: string }): Promise<ChannelSendResult | undefined>;
};

/** OpenClaw's `ChannelAccountSnapshot` fields clawgate reads back from `setStatus`. */
export type ChannelAccountSnapshot = {
  accountId?: string;
  running?: boolean;
  connected?: boolean;
  lastError?: string | null;
  lastInboundAt?: number | null;
  [key: string]: unknown;
};

/** clawgate's inbound message, as a plugin channel hands it over (`ctx.receive`). */
export type ChannelInbound = {
  messageId: string;
  chatId: string;
  senderId: string;
  text: string;
  peerKind?: 'direct' | 'group' | 'channel';
  threadId?: string;
  senderName?: string;
  senderUsername?: string;
  wasMentioned?: boolean;
  timestamp?: number;
};

/** OpenClaw's `ChannelGatewayContext`, the parts clawgate gives `startAccount`, plus clawgate's `receive`. */
export type ChannelGatewayContext<Account> = {
  cfg: ChannelPluginConfig;
  accountId: string;
  account: Account;
  abortSignal: AbortSignal;
  log: PluginLogger;
  runtime: { log(message: string): void; error(message: string): void };
  getStatus(): ChannelAccountSnapshot;
  setStatus(next: ChannelAccountSnapshot): void;
  /**
   * clawgate: hands an inbound message to the gateway (access policy, routing, the turn, the reply through
   * `outbound.sendText`). Resolves once accepted durably.
   */
  receive(message: ChannelInbound): Promise<void>;
};

export type ChannelPluginGateway<Account> = {
  /** Runs while the account runs (OpenClaw's contract): it may stay pending until `abortSignal` fires. */
  startAccount?(ctx: ChannelGatewayContext<Account>): Promise<unknown>;
  stopAccount?(ctx: ChannelGatewayContext<Account>): Promise<void>;
  logoutAccount?(ctx: {
    cfg: ChannelPluginConfig;
    accountId: string;
    account: Account;
  }): Promise<{ cleared: boolean; [key: string]: unknown }>;
};

export type PluginChannel<Account = unknown> = {
  id: string;
  meta?: ChannelPluginMeta;
  capabilities?: { chatTypes?: readonly string[]; [key: string]: unknown };
  config: ChannelPluginConfigAdapter<Account>;
  security?: ChannelPluginSecurity<Account>;
  outbound?: ChannelPluginOutbound;
  gateway?: ChannelPluginGateway<Account>;
  /** OpenClaw's: names of the gateway methods the plugin registers (`api.registerGatewayMethod`). */
  gatewayMethods?: string[];
  [surface: string]: unknown;
};
