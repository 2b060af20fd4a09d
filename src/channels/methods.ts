import { GatewayError } from '../protocol/gateway-error.ts';
import { ADMIN, PAIRING, READ, WRITE } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import type { AccountRecord } from './account-record.ts';
import type { ChannelAdapter } from './channel-types.ts';
import type { ChannelManager } from './manager.ts';

const DEAD_LETTER_LIST_LIMIT = 50;

function adapterOf(manager: ChannelManager, channel: string): ChannelAdapter {
  const adapter = manager.adapter(channel.trim().toLowerCase());
  if (!adapter) throw new GatewayError('INVALID_REQUEST', `unknown channel: ${channel}`);
  return adapter;
}

/** The account a channel method names (its default when it names none), as config has it. */
function accountOf(gateway: HandlerContext, channel: string, accountId: string | undefined): AccountRecord {
  const manager = gateway.channels;
  const adapter = adapterOf(manager, channel);
  const id = accountId?.trim() || adapter.defaultAccountId(gateway.configState.config);
  const record = manager.record(adapter.id, id);
  if (!record)
    throw new GatewayError('INVALID_REQUEST', `channel ${adapter.id} has no account ${id} configured`);
  return record;
}

/** What one send costs the store: the result, replayed for a repeated idempotency key. */
async function idempotent<T>(
  gateway: HandlerContext,
  method: string,
  key: string,
  inflight: Map<string, Promise<T>>,
  work: () => Promise<T>,
): Promise<T> {
  const storeKey = `${method}:${key}`;
  const running = inflight.get(storeKey);
  if (running) return running;
  const done = await gateway.store.getIdempotency(storeKey, gateway.now());
  if (done?.status === 'done') return done.result as T;
  const promise = (async () => {
    const result = await work();
    const { idempotencyTtlMs } = gateway.configState.config.gateway.limits;
    await gateway.store.putIdempotency({
      key: storeKey,
      method,
      status: 'done',
      result,
      expiresAt: gateway.now() + idempotencyTtlMs,
    });
    return result;
  })();
  inflight.set(storeKey, promise);
  try {
    return await promise;
  } finally {
    inflight.delete(storeKey);
  }
}

/** Sends in flight by idempotency key, per gateway (a module shared by test gateways keeps none of its own). */
const inflightSends = new WeakMap<ChannelManager, Map<string, Promise<unknown>>>();
function inflightOf(manager: ChannelManager): Map<string, Promise<unknown>> {
  let map = inflightSends.get(manager);
  if (!map) {
    map = new Map();
    inflightSends.set(manager, map);
  }
  return map;
}

/** `message.action` targets read as OpenClaw's CLI sends them: `target`, or `to` (maybe `<channel>:`-prefixed). */
function actionText(params: Record<string, unknown>): { to: string; text: string } {
  const to = [params.to, params.target].find((value) => typeof value === 'string' && value.trim() !== '');
  const text = [params.message, params.text].find((value) => typeof value === 'string');
  if (typeof to !== 'string')
    throw new GatewayError(
      'INVALID_REQUEST',
      'invalid message.action params: params.target (or to) required',
    );
  if (typeof text !== 'string' || text.trim() === '')
    throw new GatewayError('INVALID_REQUEST', 'invalid send params: text or media is required');
  return { to, text };
}

const optionalString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

export const channelsMethods = defineMethods({
  'channels.status': {
    access: READ,
    handler: async (params, { gateway }) => {
      const manager = gateway.channels;
      if (params.channel !== undefined) adapterOf(manager, params.channel);
      const { channelsStatus } = await import('./status.ts');
      return channelsStatus(manager, {
        ...(params.channel === undefined ? {} : { channel: params.channel.trim().toLowerCase() }),
        probe: params.probe === true,
        probeTimeoutMs: Math.min(Math.max(1_000, params.timeoutMs ?? 10_000), 30_000),
        eventLoop: gateway.healthSnapshot().eventLoop,
        extraFields: async (channel, accountId) => {
          const deadLetters = await gateway.channelStore.countDeadLetters(channel, accountId);
          return deadLetters > 0 ? { deadLetters } : {};
        },
      });
    },
  },

  'channels.start': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const record = accountOf(gateway, params.channel, params.accountId);
      await gateway.channels.startAccount(record);
      return {
        channel: record.channel,
        accountId: record.accountId,
        started: record.state === 'running',
        ...(record.state === 'running' ? {} : { error: record.lastError ?? `account is ${record.state}` }),
      };
    },
  },

  'channels.stop': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const record = accountOf(gateway, params.channel, params.accountId);
      await gateway.channels.stopAccount(record);
      return { channel: record.channel, accountId: record.accountId, stopped: record.state === 'stopped' };
    },
  },

  'channels.logout': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const record = accountOf(gateway, params.channel, params.accountId);
      const logout = record.handle?.logout;
      if (!logout) {
        throw new GatewayError(
          'INVALID_REQUEST',
          record.state === 'running'
            ? `channel ${record.channel} does not support logout`
            : `channel ${record.channel} account ${record.accountId} is not running; start it to log out`,
        );
      }
      const handle = record.handle;
      await gateway.channels.logoutAccount(record, () => logout.call(handle));
      return { channel: record.channel, accountId: record.accountId, cleared: true, loggedOut: true };
    },
  },

  'channels.pairing.list': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      const { pairingList } = await import('./pairing-requests.ts');
      return pairingList(gateway, params.channel, params.accountId);
    },
  },

  'channels.pairing.approve': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      const { pairingApprove } = await import('./pairing-requests.ts');
      return pairingApprove(gateway, params);
    },
  },

  'channels.pairing.dismiss': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      const { pairingDismiss } = await import('./pairing-requests.ts');
      return pairingDismiss(gateway, params);
    },
  },

  /** clawgate's own: replies the webhook channel (or another) could not deliver after every retry. */
  'channels.deadLetters.list': {
    access: READ,
    // Not one of OpenClaw's methods: callable, not advertised (as clawgate's other own methods).
    advertised: false,
    handler: async (params, { gateway }) => {
      if (params.channel !== undefined) adapterOf(gateway.channels, params.channel);
      const entries = await gateway.channelStore.listDeadLetters({
        ...(params.channel === undefined ? {} : { channel: params.channel.trim().toLowerCase() }),
        ...(params.accountId === undefined ? {} : { accountId: params.accountId }),
        limit: params.limit ?? DEAD_LETTER_LIST_LIMIT,
      });
      return { entries };
    },
  },

  send: {
    access: WRITE,
    handler: async (params, { gateway }) => {
      const text = params.message ?? '';
      if (text.trim() === '') {
        const media = params.mediaUrl || params.mediaUrls?.length || params.buffer;
        throw new GatewayError(
          'INVALID_REQUEST',
          media
            ? 'send: media is not supported by clawgate channels yet; send text'
            : 'invalid send params: text or media is required',
        );
      }
      const channel = params.channel?.trim().toLowerCase() || onlyChannel(gateway);
      const { deliverText } = await import('./outbound.ts');
      return idempotent(gateway, 'send', params.idempotencyKey, inflightOf(gateway.channels), async () => {
        const delivered = await deliverText(gateway.channels, {
          channel,
          to: params.to,
          text,
          ...(params.accountId ? { accountId: params.accountId } : {}),
          ...(params.threadId ? { threadId: params.threadId } : {}),
          ...(params.replyToId ? { replyToId: params.replyToId } : {}),
          ...(params.silent === undefined ? {} : { silent: params.silent }),
        });
        return {
          runId: params.idempotencyKey,
          messageId: delivered.messageId,
          channel: delivered.channel,
          chatId: delivered.chatId,
        };
      });
    },
  },

  'message.action': {
    access: WRITE,
    handler: async (params, { gateway }) => {
      const manager = gateway.channels;
      const adapter = adapterOf(manager, params.channel);
      if (params.action !== 'send') {
        throw new GatewayError(
          'INVALID_REQUEST',
          `Channel ${adapter.id} does not support action ${params.action}.`,
        );
      }
      const { to, text } = actionText(params.params);
      const accountId = optionalString(params.accountId) ?? optionalString(params.params.accountId);
      const threadId = optionalString(params.params.threadId);
      const replyToId = optionalString(params.params.replyTo) ?? optionalString(params.params.replyToId);
      const { deliverText } = await import('./outbound.ts');
      return idempotent(gateway, 'message.action', params.idempotencyKey, inflightOf(manager), async () => {
        const delivered = await deliverText(manager, {
          channel: adapter.id,
          to,
          text,
          ...(accountId ? { accountId } : {}),
          ...(threadId ? { threadId } : {}),
          ...(replyToId ? { replyToId } : {}),
          ...(params.params.silent === true ? { silent: true } : {}),
        });
        return {
          ok: true,
          messageId: delivered.messageId,
          chatId: delivered.chatId,
          channel: delivered.channel,
          accountId: delivered.accountId,
        };
      });
    },
  },
});

/** `send` without `channel`: the one channel with a running account, as OpenClaw picks the sole configured one. */
function onlyChannel(gateway: HandlerContext): string {
  const running = [
    ...new Set(
      gateway.channels
        .records()
        .filter((record) => record.state === 'running')
        .map((r) => r.channel),
    ),
  ];
  if (running.length === 1) return running[0] as string;
  throw new GatewayError(
    'INVALID_REQUEST',
    running.length === 0
      ? 'send: no channel is running; configure one (see docs/channels.md)'
      : `send: channel required (running: ${running.join(', ')})`,
    running.length === 0 ? { details: { code: 'CHANNEL_UNAVAILABLE' } } : {},
  );
}
