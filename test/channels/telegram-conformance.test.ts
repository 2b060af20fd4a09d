import type { Update } from '../helpers/fake-bot-api.ts';
import { startFakeBotApi } from '../helpers/fake-bot-api.ts';
import { runChannelConformance } from './conformance.ts';

/** Telegram through the fake Bot API: updates served by getUpdates, replies read back from what the bot sent. */
runChannelConformance({
  channel: 'telegram',
  textChunkLimit: 400,
  async createNetwork() {
    const api = await startFakeBotApi();
    const injected = new Map<string, Update>();
    return {
      config: { botToken: api.token, apiRoot: api.apiRoot },
      async inject(_gateway, message) {
        const key = `${message.chatId}:${message.messageId}`;
        const earlier = injected.get(key);
        if (earlier) return api.redeliver(earlier);
        const { updateId } = api.dm({ id: Number(message.senderId) }, message.text, {
          message_id: Number(message.messageId),
        });
        injected.set(key, api.update(updateId) as Update);
        await api.waitFor(() => api.deliveredAt.has(updateId), 20_000, `update ${updateId} handed out`);
      },
      delivered: (chatId) => api.sentTo(Number(chatId)),
      rateLimitNext(count) {
        api.failNext(
          'sendMessage',
          {
            error_code: 429,
            description: 'Too Many Requests: retry after 1',
            parameters: { retry_after: 1 },
          },
          count,
        );
      },
      rateLimited: () => api.failuresServed.get(429) ?? 0,
      close: () => api.close(),
    };
  },
});
