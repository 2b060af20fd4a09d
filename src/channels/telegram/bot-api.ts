import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Api } from 'grammy';

export type BotApiClient = {
  api: Api;
  /** Closes the account's kept-alive sockets (grammY would otherwise share one agent per API root forever). */
  close(): void;
};

/**
 * grammY's Bot API client for one account, loaded on first use so a gateway without Telegram never imports it.
 * Each account gets its own keep-alive agent, destroyed when the account stops, so no socket outlives it.
 * `timeoutSeconds` bounds every call, so it must exceed the long-poll timeout.
 */
export async function createBotApiClient(
  token: string,
  apiRoot: string,
  timeoutSeconds: number,
): Promise<BotApiClient> {
  const { Api } = await import('grammy');
  const agent = apiRoot.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const api = new Api(token, { apiRoot, timeoutSeconds, baseFetchConfig: { agent, compress: true } });
  return { api, close: () => agent.destroy() };
}

/** grammY types its signals with the `abort-controller` polyfill; at run time it takes any standard AbortSignal. */
export type ApiSignal = NonNullable<Parameters<Api['getMe']>[0]>;
export const apiSignal = (signal: AbortSignal): ApiSignal => signal as unknown as ApiSignal;
