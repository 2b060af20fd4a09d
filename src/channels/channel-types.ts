import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig, PeerKind } from '../config/types.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * The contract between the channel manager (src/channels/) and one messaging network's adapter (Telegram, the
 * webhook channel, a plugin's channel). The adapter speaks its network; the manager owns everything the
 * networks share: which accounts run, access policy (DM policy, allowlists, pairing, mention gating), routing to
 * an agent and a session, the turn, splitting and streaming the reply, status and `/readyz`. A plugin's
 * `api.registerChannel` lands here too, so the built-in channels and a plugin's are one kind of thing.
 */

/** `dmPolicy` (OpenClaw's values): who may talk to the bot in a direct chat. */
export const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const;
export type DmPolicy = (typeof DM_POLICIES)[number];
/** `groupPolicy`: which groups the bot answers in. */
export const GROUP_POLICIES = ['open', 'allowlist', 'disabled'] as const;
export type GroupPolicy = (typeof GROUP_POLICIES)[number];

/** One group's settings (`channels.<id>.groups.<groupId>`, `"*"` for every group). */
export type ChannelGroupAccess = {
  enabled?: boolean;
  requireMention?: boolean;
  /** Overrides the account's `groupPolicy` for this group (OpenClaw's per-group key). */
  groupPolicy?: GroupPolicy;
  /** Senders allowed in this group (overrides `groupAllowFrom`). */
  allowFrom?: string[];
};

/** The access settings of one account, normalized from the channel's config block by the adapter. */
export type ChannelAccess = {
  dmPolicy: DmPolicy;
  /** Sender ids (or `"*"`) allowed to DM; with `pairing`, approved pairings are added to it. */
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  /** Sender ids allowed in groups; empty: `allowFrom` is used, as in OpenClaw. */
  groupAllowFrom: string[];
  groups: Record<string, ChannelGroupAccess>;
  /** Groups require a mention unless a group entry says otherwise (OpenClaw's default: true). */
  requireMention: boolean;
};

/** One configured account of a channel, as the adapter resolved it from config. */
export type ChannelAccount = {
  accountId: string;
  name?: string;
  enabled: boolean;
  /** Has what it needs to start (a token, a secret, a URL). */
  configured: boolean;
  access: ChannelAccess;
  /** Longest text one outbound message may carry (Telegram: 4096). */
  textChunkLimit: number;
  /** Live preview of a streaming reply by editing the sent message (`streaming`); needs `edit`. */
  streaming: boolean;
  /** Channel-specific settings, passed back to the adapter's `start` untouched. */
  settings: Record<string, unknown>;
  /** Extra fields for this account's `channels.status` entry (`tokenSource`, `mode`, …), never secrets. */
  statusFields?: Record<string, unknown>;
};

/** A message that arrived on a channel, before access policy and routing. */
export type InboundMessage = {
  /** The network's id for the message, unique within (account, chat): the idempotency key of its turn. */
  messageId: string;
  /** Where to answer: the chat, group or channel id (what `send` takes as `to`). */
  chatId: string;
  peerKind: PeerKind;
  /** A forum topic or thread within the chat; replies go to the same one. */
  threadId?: string;
  senderId: string;
  senderName?: string;
  senderUsername?: string;
  text: string;
  /** In a group: the bot was @-mentioned, replied to, or addressed by a command. */
  wasMentioned?: boolean;
  timestamp: number;
};

/** What the manager asks the adapter to deliver. */
export type OutboundMessage = {
  chatId: string;
  text: string;
  threadId?: string;
  replyToMessageId?: string;
  silent?: boolean;
};

export type SentMessage = { messageId: string; chatId: string };

/** What the manager gives one running account. */
export type ChannelAccountContext = {
  channel: string;
  account: ChannelAccount;
  logger: Logger;
  /** Aborted when the account is stopped (`channels.stop`, a config change, shutdown). */
  signal: AbortSignal;
  /** Small durable values for this account (the long-polling offset): survive restarts and kill -9. */
  state: ChannelStateStore;
  /**
   * Hands a message to the gateway. Resolves once the manager has accepted it durably (so a poller may advance
   * its offset past it); the turn and the reply continue on their own.
   */
  receive(message: InboundMessage): Promise<void>;
  /** Reports the account's health for `channels.status` and `/readyz` (`connected`, `lastError`, …). */
  report(patch: ChannelStatusPatch): void;
  /**
   * Keeps an outbound message the network refused after every retry, for the operator (`channels.deadLetters.list`,
   * the account's `deadLetters` count in `channels.status`). Never rejects.
   */
  deadLetter?(entry: DeadLetterEntry): Promise<void>;
};

export type DeadLetterEntry = {
  chatId: string;
  /** What was to be delivered. */
  payload: Record<string, unknown>;
  attempts: number;
  error: string;
};

export type ChannelStatusPatch = {
  connected?: boolean;
  lastError?: string | null;
  lastTransportActivityAt?: number;
  /** Fields shown in the account's status entry (`botUsername`, `mode`, …), never secrets. */
  fields?: Record<string, unknown>;
};

export type ChannelStateStore = {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
};

/** One account once started: how the manager delivers through it. */
export type ChannelAccountHandle = {
  send(message: OutboundMessage): Promise<SentMessage>;
  /** Replaces a sent message's text (live preview); absent where the network cannot edit. */
  edit?(target: SentMessage, text: string): Promise<void>;
  /** Shows "typing…" in a chat while a turn runs. */
  typing?(chatId: string, threadId?: string): Promise<void>;
  /** A live check for `channels.status` with `probe` (Telegram: getMe); its result is the account's `probe`. */
  probe?(): Promise<unknown>;
  /** Forgets the account's credentials or session on the network side (`channels.logout`). */
  logout?(): Promise<void>;
  /** Stops receiving; resolves once nothing of the account is left running. */
  stop(): Promise<void>;
  /**
   * Serves an HTTP request for this account (an inbound webhook): the manager routes `/channels/<channel>` to the
   * default account's handler and `/channels/<channel>/<accountId>` to that account's, while it runs.
   */
  handleRequest?(req: IncomingMessage, res: ServerResponse): void;
};

/**
 * A messaging network. `accounts` reads the channel's config block (`channels.<id>`) and must not throw for a
 * block it cannot use: an account that cannot start is `configured: false`, and `start` failing marks that
 * account failed in `channels.status` and `/readyz` without stopping the gateway.
 */
export type ChannelAdapter = {
  id: string;
  label: string;
  /** A longer name for the Control UI (`Telegram Bot`). */
  detailLabel?: string;
  accounts(config: GatewayConfig): ChannelAccount[];
  defaultAccountId(config: GatewayConfig): string;
  /** What a sender id is on this network, for the pairing list (`Telegram user id`). */
  senderIdLabel?: string;
  /**
   * Parses a `send`/cron target (`to`) into a chat and thread (`-100123:topic:7`); the manager has already
   * removed a leading `<channel>:`. Without it, `to` is the chat id as given.
   */
  parseTarget?(to: string): { chatId: string; threadId?: string };
  start(ctx: ChannelAccountContext): Promise<ChannelAccountHandle>;
};
