import { GatewayError } from '../protocol/gateway-error.ts';
import type { GatewayStore, StoredMessage } from '../storage/store.ts';
import { messageText, toWireMessage, type WireMessage } from './wire-message.ts';

/** Default page size of chat.history / chat.startup. */
export const DEFAULT_HISTORY_LIMIT = 200;
/** A history answer never exceeds this many bytes of JSON (protocol.md §7). */
export const CHAT_HISTORY_MAX_BYTES = 6 * 1024 * 1024;

export type HistoryOptions = {
  limit?: number;
  cursor?: string;
  maxChars?: number;
  maxBytes?: number;
};

type Cursor = { kind: 'delta'; sessionId: string; afterSeq: number } | { kind: 'page'; beforeSeq: number };

/** `d:<sessionId>:<seq>` continues after what a client has (deltaCursor); `b:<seq>` pages to older messages. */
function parseCursor(cursor: string): Cursor {
  const delta = /^d:([^:]+):(\d+)$/.exec(cursor);
  if (delta) return { kind: 'delta', sessionId: delta[1] as string, afterSeq: Number(delta[2]) };
  const page = /^b:(\d+)$/.exec(cursor);
  if (page) return { kind: 'page', beforeSeq: Number(page[1]) };
  throw new GatewayError(
    'INVALID_REQUEST',
    'invalid chat.history params: cursor is not one this gateway issued',
  );
}

/** Keeps the newest messages within the character and byte budgets; reports whether any were left out. */
function fitBudget(
  messages: StoredMessage[],
  maxChars: number | undefined,
  maxBytes: number,
): { kept: WireMessage[]; cut: boolean } {
  const kept: WireMessage[] = [];
  let chars = 0;
  let bytes = 0;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index] as StoredMessage;
    const wire = toWireMessage(message);
    chars += messageText(message).length;
    bytes += Buffer.byteLength(JSON.stringify(wire));
    if ((maxChars !== undefined && chars > maxChars) || bytes > maxBytes) {
      return { kept: kept.reverse(), cut: true };
    }
    kept.push(wire);
  }
  return { kept: kept.reverse(), cut: false };
}

/**
 * A page of a session's transcript as chat.history and chat.startup return it: the newest `limit` messages of
 * the current transcript (or those after a delta cursor, or before a page cursor), within the size budgets.
 */
export async function readHistory(store: GatewayStore, sessionKey: string, options: HistoryOptions) {
  const session = await store.getSession(sessionKey);
  const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
  const maxBytes = Math.min(options.maxBytes ?? CHAT_HISTORY_MAX_BYTES, CHAT_HISTORY_MAX_BYTES);
  const cursor = options.cursor ? parseCursor(options.cursor) : undefined;
  if (!session) {
    return {
      sessionId: undefined,
      messages: [],
      hasMore: false,
      totalMessages: 0,
      deltaCursor: undefined,
      kind: cursor?.kind === 'delta' ? 'reset' : undefined,
    };
  }
  if (cursor?.kind === 'delta' && cursor.sessionId !== session.sessionId) {
    // The transcript was reset since the client's cursor: it must reload from scratch.
    const all = await store.listMessages(sessionKey, { limit });
    const fitted = fitBudget(all, options.maxChars, maxBytes);
    return page(session.sessionId, session.messageCount, fitted, all, 'reset');
  }
  const messages = await store.listMessages(sessionKey, {
    limit: limit + 1,
    ...(cursor?.kind === 'delta' ? { afterSeq: cursor.afterSeq } : {}),
    ...(cursor?.kind === 'page' ? { beforeSeq: cursor.beforeSeq } : {}),
  });
  const overflow = messages.length > limit;
  const window = overflow ? messages.slice(1) : messages;
  const fitted = fitBudget(window, options.maxChars, maxBytes);
  // A delta answer cannot page: when more is new than one answer holds, the client reloads the newest page.
  const kind = cursor?.kind === 'delta' ? (overflow || fitted.cut ? 'reset' : 'delta') : undefined;
  const result = page(session.sessionId, session.messageCount, fitted, window, kind);
  if (overflow) result.hasMore = true;
  return result;
}

function page(
  sessionId: string,
  totalMessages: number,
  fitted: { kept: WireMessage[]; cut: boolean },
  window: StoredMessage[],
  kind: 'delta' | 'reset' | undefined,
) {
  const first = fitted.kept[0]?.__openclaw?.seq;
  const last = window.at(-1)?.seq ?? 0;
  return {
    sessionId,
    messages: fitted.kept,
    hasMore: fitted.cut,
    totalMessages,
    deltaCursor: `d:${sessionId}:${last}`,
    ...(first !== undefined ? { nextCursor: `b:${first}` } : {}),
    ...(kind ? { kind } : {}),
  };
}
