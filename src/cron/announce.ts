import type { RunResult } from './cron-service.ts';
import { isSilentReply } from './heartbeat.ts';
import type { CronDelivery, CronDeliveryTrace } from './types.ts';

/** Sends text through a channel account (the channel manager's deliverText); rejects when it cannot. */
export type ChannelDeliver = (request: {
  channel: string;
  accountId?: string;
  to: string;
  text: string;
  threadId?: string;
}) => Promise<{ channel: string; accountId: string; chatId: string }>;

type Announced = Pick<
  RunResult,
  'deliveryStatus' | 'deliveryError' | 'deliverySuppressionReason' | 'delivery' | 'completionFailed'
>;

/**
 * OpenClaw's `announce` delivery of a finished agent turn: the final text goes to `delivery.channel` / `to` (and
 * `accountId`, `threadId`) through the channel. Without a channel there is no external route and the committed
 * transcript is the delivery (`not-requested`). Nothing to say (empty, or a silent token such as NO_REPLY) is
 * suppressed. A failed send is a delivery failure, not a turn failure: the run stays `ok` and its completion fails,
 * unless `bestEffort`.
 */
export async function announce(
  deliver: ChannelDeliver | undefined,
  delivery: CronDelivery | undefined,
  text: string | undefined,
): Promise<Announced> {
  if (delivery?.mode !== 'announce' || !delivery.channel) return { deliveryStatus: 'not-requested' };
  const intended: CronDeliveryTrace['intended'] = {
    channel: delivery.channel,
    to: delivery.to ?? null,
    ...(delivery.accountId ? { accountId: delivery.accountId } : {}),
    ...(delivery.threadId ? { threadId: delivery.threadId } : {}),
    source: 'explicit',
  };
  const failed = (error: string): Announced => ({
    deliveryStatus: 'not-delivered',
    deliveryError: error,
    delivery: { intended, resolved: { ...intended, ok: false, error }, delivered: false },
    completionFailed: delivery.bestEffort !== true,
  });
  const body = text?.trim() ?? '';
  if (body === '' || isSilentReply(body)) {
    return {
      deliveryStatus: 'not-delivered',
      deliverySuppressionReason: body === '' ? 'empty' : 'silent',
      delivery: { intended, delivered: false },
    };
  }
  if (!delivery.to) return failed(`delivery.to is required to announce through ${delivery.channel}`);
  if (!deliver) return failed('no channel can deliver: channels are not running');
  try {
    const sent = await deliver({
      channel: delivery.channel,
      to: delivery.to,
      text: body,
      ...(delivery.accountId ? { accountId: delivery.accountId } : {}),
      ...(delivery.threadId ? { threadId: delivery.threadId } : {}),
    });
    return {
      deliveryStatus: 'delivered',
      delivery: {
        intended,
        resolved: {
          ...intended,
          channel: sent.channel,
          accountId: sent.accountId,
          to: sent.chatId,
          ok: true,
        },
        delivered: true,
      },
    };
  } catch (error) {
    return failed((error as Error).message);
  }
}
