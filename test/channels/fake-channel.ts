import { channelAccessFrom } from '../../src/channels/access-config.ts';
import type {
  ChannelAccount,
  ChannelAccountContext,
  ChannelAdapter,
  InboundMessage,
  OutboundMessage,
} from '../../src/channels/channel-types.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import type { GatewayModule } from '../../src/server/registry.ts';

export type FakeMessage = { id: string; chatId: string; text: string; threadId?: string; edits: string[] };

/**
 * An in-process channel for manager tests (`channels.fake`: `token`, the shared access keys, `textChunkLimit`,
 * `streaming`, `accounts`): it records what the gateway sends, edits and types, and injects messages through the
 * account context the manager gave it. a `token` starting with `bad` fails the start, as a revoked bot token would.
 */
export class FakeChannel {
  readonly messages: FakeMessage[] = [];
  readonly typing: string[] = [];
  readonly contexts = new Map<string, ChannelAccountContext>();
  starts = 0;
  stops = 0;
  logouts = 0;
  /** Set to make the next sends fail. */
  failSends = 0;
  #ids = 0;

  readonly adapter: ChannelAdapter = {
    id: 'fake',
    label: 'Fake',
    detailLabel: 'Fake network',
    senderIdLabel: 'fake user id',
    accounts: (config) => this.#accounts(config),
    defaultAccountId: () => 'default',
    parseTarget: (to) => {
      const [chatId, threadId] = to.split(':topic:');
      return threadId ? { chatId: chatId as string, threadId } : { chatId: to };
    },
    start: async (ctx) => {
      this.starts += 1;
      if (String(ctx.account.settings.token).startsWith('bad'))
        throw new Error(`401 Unauthorized for token ${String(ctx.account.settings.token)}`);
      this.contexts.set(ctx.account.accountId, ctx);
      ctx.report({ connected: true, fields: { botUsername: 'fake_bot' } });
      return {
        send: async (message: OutboundMessage) => {
          if (this.failSends > 0) {
            this.failSends -= 1;
            throw new Error('network refused');
          }
          const sent = {
            id: String(++this.#ids),
            chatId: message.chatId,
            text: message.text,
            edits: [] as string[],
          };
          if (message.threadId !== undefined) Object.assign(sent, { threadId: message.threadId });
          this.messages.push(sent);
          return { messageId: sent.id, chatId: message.chatId };
        },
        edit: async (target, text) => {
          const message = this.messages.find((m) => m.id === target.messageId);
          if (!message) throw new Error(`no message ${target.messageId}`);
          message.edits.push(message.text);
          message.text = text;
        },
        typing: async (chatId) => {
          this.typing.push(chatId);
        },
        probe: async () => ({ ok: true, bot: { username: 'fake_bot' } }),
        logout: async () => {
          this.logouts += 1;
        },
        stop: async () => {
          this.stops += 1;
          this.contexts.delete(ctx.account.accountId);
        },
      };
    },
  };

  readonly module: GatewayModule = { id: 'fake-plugin', channels: [this.adapter] };

  /** Hands a message to the running account, as the network would. */
  receive(message: Partial<InboundMessage> & { text: string }, accountId = 'default'): Promise<void> {
    const ctx = this.contexts.get(accountId);
    if (!ctx) throw new Error(`fake account ${accountId} is not running`);
    const senderId = message.senderId ?? '100';
    return ctx.receive({
      messageId: message.messageId ?? String(Math.random()),
      chatId: message.chatId ?? senderId,
      peerKind: message.peerKind ?? 'direct',
      senderId,
      timestamp: Date.now(),
      ...message,
    });
  }

  /** The texts sent to a chat, as they read now. */
  texts(chatId: string): string[] {
    return this.messages.filter((m) => m.chatId === chatId).map((m) => m.text);
  }

  #accounts(config: GatewayConfig): ChannelAccount[] {
    const root = config.channels.fake as Record<string, unknown> | undefined;
    if (!root) return [];
    const make = (accountId: string, own: Record<string, unknown>): ChannelAccount => {
      const pick = (key: string) => (own[key] !== undefined ? own[key] : root[key]);
      return {
        accountId,
        enabled: root.enabled !== false && own.enabled !== false,
        configured: typeof pick('token') === 'string',
        access: channelAccessFrom(root, own),
        textChunkLimit:
          typeof pick('textChunkLimit') === 'number' ? (pick('textChunkLimit') as number) : 4000,
        streaming: pick('streaming') === true,
        settings: { token: pick('token') },
        statusFields: { mode: 'fake' },
      };
    };
    const named = Object.entries((root.accounts as Record<string, Record<string, unknown>>) ?? {});
    return [make('default', {}), ...named.map(([id, own]) => make(id, own))];
  }
}
