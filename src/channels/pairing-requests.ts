import { GatewayError } from '../protocol/gateway-error.ts';
import type { HandlerContext } from '../server/context.ts';
import type { PairingRequestRecord } from '../storage/channel-store.ts';
import { normalizeSenderId } from './access-policy.ts';
import type { ChannelAccount, ChannelAdapter } from './channel-types.ts';
import { deliverText } from './outbound.ts';
import { PAIRING_MAX_PENDING, PAIRING_TTL_MS, pairingRequestId } from './pairing-codes.ts';

type PairingAccount = { adapter: ChannelAdapter; account: ChannelAccount };

/** Configured accounts whose DM policy is `pairing`: the ones with requests to review (OpenClaw's rule). */
function pairingAccounts(gateway: HandlerContext, channel?: string, accountId?: string): PairingAccount[] {
  const manager = gateway.channels;
  const wantedChannel = channel?.trim().toLowerCase();
  const wantedAccount = accountId?.trim().toLowerCase();
  const adapters = manager.deps.channels().map((entry) => entry.adapter);
  if (wantedChannel && !adapters.some((adapter) => adapter.id === wantedChannel)) {
    throw new GatewayError('INVALID_REQUEST', `unknown pairing channel: ${channel}`);
  }
  const found: PairingAccount[] = [];
  for (const adapter of adapters) {
    if (wantedChannel && adapter.id !== wantedChannel) continue;
    for (const account of manager.accountsOf(adapter)) {
      if (wantedAccount && account.accountId.toLowerCase() !== wantedAccount) continue;
      if (account.configured && account.access.dmPolicy === 'pairing') found.push({ adapter, account });
    }
  }
  return found;
}

function publicAccount({ adapter, account }: PairingAccount) {
  return {
    channel: adapter.id,
    channelLabel: adapter.label,
    accountId: account.accountId,
    ...(account.name ? { accountLabel: account.name } : {}),
    notifySupported: true,
  };
}

function publicRequest(entry: PairingAccount, request: PairingRequestRecord) {
  const metadata = Object.fromEntries(Object.entries(request.meta).filter(([, value]) => value));
  return {
    requestId: pairingRequestId(request.channel, request.accountId, request.senderId, request.createdAt),
    ...publicAccount(entry),
    senderId: request.senderId,
    senderLabel: entry.adapter.senderIdLabel ?? `${entry.adapter.label} user id`,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    createdAt: new Date(request.createdAt).toISOString(),
    lastSeenAt: new Date(request.lastSeenAt).toISOString(),
    expiresAt: new Date(request.createdAt + PAIRING_TTL_MS).toISOString(),
  };
}

/** `channels.pairing.list` (OpenClaw's ChannelsPairingListResult): clawgate has no command owners to bootstrap. */
export async function pairingList(gateway: HandlerContext, channel?: string, accountId?: string) {
  const accounts = pairingAccounts(gateway, channel, accountId);
  const requests = [];
  for (const entry of accounts) {
    const pending = await gateway.channelStore.listPairingRequests(
      entry.adapter.id,
      entry.account.accountId,
      gateway.now(),
      PAIRING_TTL_MS,
    );
    requests.push(...pending.map((request) => publicRequest(entry, request)));
  }
  return {
    accounts: accounts.map(publicAccount),
    requests,
    commandOwnerConfigured: false,
    limits: { pendingPerAccount: PAIRING_MAX_PENDING, ttlMs: PAIRING_TTL_MS },
  };
}

type Target = { channel: string; accountId: string; requestId: string };

/** The one pairing account the params name, and its pending request by id or by the code the sender was sent. */
async function findRequest(gateway: HandlerContext, params: Target) {
  const [entry] = pairingAccounts(gateway, params.channel, params.accountId);
  if (!entry) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `channel account does not use DM pairing: ${params.channel}:${params.accountId}`,
    );
  }
  const pending = await gateway.channelStore.listPairingRequests(
    entry.adapter.id,
    entry.account.accountId,
    gateway.now(),
    PAIRING_TTL_MS,
  );
  const wanted = params.requestId.trim();
  const request = pending.find(
    (candidate) =>
      pairingRequestId(candidate.channel, candidate.accountId, candidate.senderId, candidate.createdAt) ===
        wanted || candidate.code === wanted.toUpperCase(),
  );
  if (!request) throw new GatewayError('INVALID_REQUEST', 'pending DM access request no longer exists');
  return { entry, request };
}

const APPROVED_NOTICE = 'You are approved: you can talk to this assistant now.';

/** Approves the sender: their next DM runs a turn. `notify` tells them on the same channel. */
export async function pairingApprove(
  gateway: HandlerContext,
  params: Target & { notify?: boolean; bootstrapCommandOwner?: boolean },
) {
  const { entry, request } = await findRequest(gateway, params);
  const approved = await gateway.channelStore.approvePairing(
    request.channel,
    request.accountId,
    request.senderId,
    gateway.now(),
  );
  if (!approved) throw new GatewayError('INVALID_REQUEST', 'pending DM access request no longer exists');
  const record = gateway.channels.record(request.channel, request.accountId);
  record?.approved?.add(normalizeSenderId(request.channel, request.senderId));
  gateway.logger.info(
    `${request.channel}[${request.accountId}]: DM pairing approved for ${request.senderId}`,
  );
  let notification: 'not-requested' | 'sent' | 'failed' = 'not-requested';
  if (params.notify === true) {
    try {
      await deliverText(gateway.channels, {
        channel: entry.adapter.id,
        accountId: entry.account.accountId,
        to: request.meta.chatId ?? request.senderId,
        text: APPROVED_NOTICE,
      });
      notification = 'sent';
    } catch (error) {
      gateway.logger.warn(`${request.channel}[${request.accountId}]: pairing approval notice failed`, {
        error: (error as Error).message,
      });
      notification = 'failed';
    }
  }
  return {
    requestId: params.requestId,
    senderId: request.senderId,
    notification,
    commandOwnerBootstrap: params.bootstrapCommandOwner === true ? 'unavailable' : 'not-requested',
  };
}

/** Removes the request without approving; the sender may ask again (a new code) later. */
export async function pairingDismiss(gateway: HandlerContext, params: Target) {
  const { request } = await findRequest(gateway, params);
  const dismissed = await gateway.channelStore.dismissPairing(
    request.channel,
    request.accountId,
    request.senderId,
  );
  if (!dismissed) throw new GatewayError('INVALID_REQUEST', 'pending DM access request no longer exists');
  return { requestId: params.requestId, senderId: request.senderId };
}
