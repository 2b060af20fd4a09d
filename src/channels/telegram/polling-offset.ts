import type { ChannelStateStore } from '../channel-types.ts';

/** The account state key of the long-polling position. */
export const OFFSET_STATE_KEY = 'telegram.pollingOffset';

type StoredOffset = { botId: number; lastUpdateId: number };

/**
 * The last update the gateway accepted, or undefined to start from what Telegram still holds. Update ids are
 * per bot, so a position saved for another bot (the token now belongs to a different one) is not used: its ids
 * would skip the new bot's updates.
 */
export async function readLastUpdateId(state: ChannelStateStore, botId: number): Promise<number | undefined> {
  const raw = await state.get(OFFSET_STATE_KEY);
  if (raw === undefined) return undefined;
  try {
    const stored = JSON.parse(raw) as Partial<StoredOffset>;
    return stored.botId === botId && Number.isSafeInteger(stored.lastUpdateId)
      ? stored.lastUpdateId
      : undefined;
  } catch {
    return undefined;
  }
}

export async function writeLastUpdateId(state: ChannelStateStore, botId: number, lastUpdateId: number) {
  const value: StoredOffset = { botId, lastUpdateId };
  await state.set(OFFSET_STATE_KEY, JSON.stringify(value));
}
