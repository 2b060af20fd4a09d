import { createChannelPluginBase, createChatChannelPlugin } from 'openclaw/plugin-sdk/channel-core';

type ResolvedAccount = {
  accountId: string;
  token: string;
  allowFrom: string[];
  dmPolicy: string | undefined;
};

type Inbound = { messageId: string; chatId: string; senderId: string; text: string };
type Running = { token: string; receive: (message: Inbound) => Promise<void> };
type Sent = { accountId: string; to: string; text: string; messageId: string };

/** What the channel "sent": a real channel would call its network's API instead. */
export const outbox: Sent[] = [];
/** The running accounts, so the inbound route can hand a message to the right one. */
export const running = new Map<string, Running>();

// biome-ignore lint/suspicious/noExplicitAny: OpenClaw channel plugins read their block from a loose config.
function section(cfg: any): Record<string, any> {
  return cfg?.channels?.['loopback-chat'] ?? {};
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
function resolveAccount(cfg: any, accountId?: string | null): ResolvedAccount {
  const block = section(cfg);
  if (!block.token) throw new Error('loopback-chat: token is required');
  return {
    accountId: accountId ?? 'default',
    token: block.token,
    allowFrom: block.allowFrom ?? [],
    dmPolicy: block.dmPolicy,
  };
}

const chatPlugin = createChatChannelPlugin<ResolvedAccount>({
  base: createChannelPluginBase({
    id: 'loopback-chat',
    config: {
      listAccountIds: () => ['default'],
      resolveAccount,
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      inspectAccount(cfg: any) {
        const token = section(cfg).token;
        return {
          enabled: Boolean(token),
          configured: Boolean(token),
          tokenStatus: token ? 'available' : 'missing',
        };
      },
    },
    setup: {
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      applyAccountConfig: ({ cfg, input }: { cfg: any; input: Record<string, unknown> }) => ({
        ...cfg,
        channels: { ...cfg.channels, 'loopback-chat': { ...section(cfg), ...input } },
      }),
    },
  }),
  security: {
    dm: {
      channelKey: 'loopback-chat',
      resolvePolicy: (account: ResolvedAccount) => account.dmPolicy,
      resolveAllowFrom: (account: ResolvedAccount) => account.allowFrom,
      defaultPolicy: 'allowlist',
    },
  },
  pairing: {
    text: {
      idLabel: 'Loopback user id',
      message: 'Send this code to verify your identity:',
      notify: async ({ target, code }: { target: string; code: string }) => {
        outbox.push({
          accountId: 'default',
          to: target,
          text: `Pairing code: ${code}`,
          messageId: `pair-${code}`,
        });
      },
    },
  },
  threading: { topLevelReplyToMode: 'reply' },
  outbound: {
    attachedResults: {
      channel: 'loopback-chat',
      sendText: async (params: { to: string; text: string; accountId?: string | null }) => {
        const messageId = `out-${outbox.length + 1}`;
        outbox.push({
          accountId: params.accountId ?? 'default',
          to: params.to,
          text: params.text,
          messageId,
        });
        return { messageId };
      },
    },
  },
});

export const loopbackChatPlugin = {
  ...chatPlugin,
  gateway: {
    // Runs while the account runs: registers it for the inbound route until the gateway stops it.
    async startAccount(ctx: {
      accountId: string;
      account: ResolvedAccount;
      abortSignal: AbortSignal;
      receive: Running['receive'];
      setStatus: (status: Record<string, unknown>) => void;
    }) {
      running.set(ctx.accountId, { token: ctx.account.token, receive: ctx.receive });
      ctx.setStatus({ accountId: ctx.accountId, running: true, connected: true });
      await new Promise<void>((resolve) =>
        ctx.abortSignal.addEventListener('abort', () => resolve(), { once: true }),
      );
      running.delete(ctx.accountId);
    },
  },
};
