import type { ChatService, RunOutcome } from '../chat/chat-service.ts';
import { parseResetCommand } from '../chat/commands.ts';
import { messageText } from '../chat/wire-message.ts';
import type { GatewayConfig } from '../config/types.ts';
import { resolveAgentRoute } from '../routing/resolve-route.ts';
import type { RouteInput } from '../routing/types.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { ChannelStore } from '../storage/channel-store.ts';
import type { GatewayStore } from '../storage/store.ts';
import { decideAccess, normalizeSenderId } from './access-policy.ts';
import { withoutSecrets } from './account-logger.ts';
import { type AccountRecord, accountSecrets } from './account-record.ts';
import type { ChannelAccountHandle, InboundMessage } from './channel-types.ts';
import { newPairingCode, PAIRING_MAX_PENDING, PAIRING_TTL_MS, pairingMessage } from './pairing-codes.ts';
import { ReplyStream, type ReplyTiming } from './reply-stream.ts';

/** How long a handled gateway command is remembered: longer than any network keeps re-delivering an update. */
const COMMAND_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

export type InboundDeps = {
  config(): GatewayConfig;
  chat: ChatService;
  sessions: SessionService;
  store: GatewayStore;
  channelStore: ChannelStore;
  now(): number;
  timing: ReplyTiming;
};

/** The idempotency key (and run id) of the turn a message starts: the same message never runs a second turn. */
export function inboundKey(channel: string, accountId: string, message: InboundMessage): string {
  return `channel:${channel}:${accountId}:${message.chatId}:${message.messageId}`;
}

function checkMessage(message: InboundMessage): void {
  for (const field of ['messageId', 'chatId', 'senderId'] as const) {
    if (typeof message[field] !== 'string' || message[field] === '')
      throw new TypeError(`inbound message: ${field} must be a non-empty string`);
  }
  if (typeof message.text !== 'string') throw new TypeError('inbound message: text must be a string');
  if (!['direct', 'group', 'channel'].includes(message.peerKind))
    throw new TypeError(
      `inbound message: peerKind must be direct, group or channel, got ${message.peerKind}`,
    );
}

/** Who the message is from, as routing sees it: the sender in a DM, the chat (and its topic) in a group. */
function routeInput(record: AccountRecord, message: InboundMessage): RouteInput {
  const base = { channel: record.channel, accountId: record.accountId };
  if (message.peerKind === 'direct') return { ...base, peer: { kind: 'direct', id: message.senderId } };
  if (message.threadId === undefined)
    return { ...base, peer: { kind: message.peerKind, id: message.chatId } };
  return {
    ...base,
    peer: { kind: message.peerKind, id: `${message.chatId}:topic:${message.threadId}` },
    parentPeer: { kind: message.peerKind, id: message.chatId },
  };
}

/**
 * The inbound pipeline (loaded with the first account that starts): access policy (DM policy, allowlists,
 * pairing, mention gating) → resolveAgentRoute → `/new` and `/reset` → a turn through the chat pipeline on the
 * main lane (serialized per session, as OpenClaw runs channel turns), its idempotency key derived from the
 * message, so a re-delivered message is answered from the store instead of run twice. `receive` resolves once
 * the user message is committed; the reply goes back through the account on its own.
 */
export class InboundPipeline {
  readonly #deps: InboundDeps;

  constructor(deps: InboundDeps) {
    this.#deps = deps;
  }

  async receive(record: AccountRecord, message: InboundMessage): Promise<void> {
    checkMessage(message);
    const { now, config: currentConfig } = this.#deps;
    record.lastInboundAt = now();
    const config = currentConfig();
    const approved = await this.#approved(record);
    const decision = decideAccess(record.channel, record.account.access, message, approved);
    if (decision.action === 'drop') {
      record.logger.info(
        `dropped a message from ${message.senderId} in ${message.chatId}: ${decision.reason}`,
      );
      return;
    }
    if (decision.action === 'pair') return this.#pair(record, message);

    const route = resolveAgentRoute(routeInput(record, message), config);
    const idempotencyKey = inboundKey(record.channel, record.accountId, message);
    // `/new@bot` in a group is `/new` addressed to this bot.
    let text = message.text.replace(/^(\/[a-z]+)@\S+/i, '$1');
    const command = parseResetCommand(text);
    if (command) {
      const first = await this.#deps.channelStore.markInbound(
        record.channel,
        record.accountId,
        message.chatId,
        message.messageId,
        now(),
        COMMAND_MEMORY_MS,
      );
      if (!first) return;
      await this.#deps.sessions.reset(route.sessionKey, route.agentId, 'reset');
      if (command.rest === '') {
        await this.#deps.chat.commandReply({
          sessionKey: route.sessionKey,
          agentId: route.agentId,
          idempotencyKey,
          command: text.trim(),
          reply: command.reply,
        });
        this.#detach(record, this.#replyOnce(record, message, command.reply));
        return;
      }
      text = command.rest;
    }
    if (text.trim() === '') return;

    // Deltas may stream before the account's handle exists (a poller delivers while its start is finishing):
    // the reply starts once it does, from the text so far.
    let partial = '';
    let stream: ReplyStream | undefined;
    let sent: Awaited<ReturnType<ChatService['send']>>;
    try {
      sent = await this.#deps.chat.send({
        sessionKey: route.sessionKey,
        agentId: route.agentId,
        message: text,
        idempotencyKey,
        lane: 'main',
        onDelta: (delta) => {
          partial += delta;
          stream?.update(partial);
        },
      });
    } catch (error) {
      // A message whose turn already ran (and failed) is answered with that failure: a duplicate, not news.
      if (await this.#deps.store.getRun(idempotencyKey)) return;
      throw error;
    }
    if (sent.status !== 'started') {
      record.logger.info(
        `message ${message.messageId} in ${message.chatId} was already handled (${sent.status})`,
      );
      return;
    }
    const done = sent.done;
    this.#detach(
      record,
      (async () => {
        const handle = await record.handleReady;
        if (!handle) return;
        stream = this.#stream(record, handle, message);
        if (partial !== '') stream.update(partial);
        await this.#reply(record, stream, done);
      })(),
    );
  }

  /** Senders approved by pairing, read once per account run and kept up to date by approvals. */
  async #approved(record: AccountRecord): Promise<ReadonlySet<string>> {
    if (record.account.access.dmPolicy !== 'pairing') return new Set();
    if (!record.approved) {
      const entries = await this.#deps.channelStore.listAllowEntries(record.channel, record.accountId);
      record.approved ??= new Set(entries.map((entry) => normalizeSenderId(record.channel, entry)));
    }
    return record.approved;
  }

  async #pair(record: AccountRecord, message: InboundMessage): Promise<void> {
    const meta: Record<string, string> = { chatId: message.chatId };
    if (message.senderName) meta.name = message.senderName;
    if (message.senderUsername) meta.username = message.senderUsername;
    const outcome = await this.#deps.channelStore.requestPairing({
      channel: record.channel,
      accountId: record.accountId,
      senderId: normalizeSenderId(record.channel, message.senderId),
      meta,
      now: this.#deps.now(),
      ttlMs: PAIRING_TTL_MS,
      maxPending: PAIRING_MAX_PENDING,
      newCode: newPairingCode,
    });
    if (outcome.status === 'full') {
      record.logger.warn(
        `pairing request from ${message.senderId} ignored: ${PAIRING_MAX_PENDING} requests are already pending`,
      );
      return;
    }
    if (outcome.status === 'pending') return;
    record.logger.info(`pairing request from ${message.senderId}`, { senderId: message.senderId });
    const label = record.adapter.senderIdLabel ?? `${record.adapter.label} user id`;
    this.#detach(
      record,
      this.#replyOnce(record, message, pairingMessage(label, message.senderId, outcome.request.code)),
    );
  }

  #stream(record: AccountRecord, handle: ChannelAccountHandle, message: InboundMessage): ReplyStream {
    const target = {
      chatId: message.chatId,
      ...(message.threadId === undefined ? {} : { threadId: message.threadId }),
    };
    return new ReplyStream({
      handle,
      target,
      limit: record.account.textChunkLimit,
      streaming: record.account.streaming,
      timing: this.#deps.timing,
      logger: record.logger,
      onOutbound: () => {
        record.lastOutboundAt = this.#deps.now();
      },
      onFailure: (reason) => {
        const clean = withoutSecrets(reason, accountSecrets(record.account));
        record.lastError = `delivering a reply to ${message.chatId} failed: ${clean}`;
        record.logger.warn(record.lastError);
      },
    });
  }

  async #reply(record: AccountRecord, stream: ReplyStream, done: Promise<RunOutcome>): Promise<void> {
    record.activeRuns += 1;
    record.lastRunActivityAt = this.#deps.now();
    stream.start();
    try {
      const outcome = await done;
      record.lastRunActivityAt = this.#deps.now();
      if (outcome.status === 'aborted') return void (await stream.cancel());
      const text = outcome.message ? messageText(outcome.message) : '';
      if (outcome.status === 'ok') await stream.finish(text);
      else await stream.finish(`${text}${text ? '\n\n' : ''}⚠️ ${outcome.errorMessage ?? 'the turn failed'}`);
    } finally {
      record.activeRuns -= 1;
    }
  }

  async #replyOnce(record: AccountRecord, message: InboundMessage, text: string): Promise<void> {
    const handle = await record.handleReady;
    if (handle) await this.#stream(record, handle, message).finish(text);
  }

  #detach(record: AccountRecord, work: Promise<void>): void {
    work.catch((error: unknown) =>
      record.logger.error('delivering a reply failed', { error: (error as Error).stack }),
    );
  }
}
