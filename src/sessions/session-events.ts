import { toSessionRow, toWireMessage } from '../chat/wire-message.ts';
import type { Broadcast } from '../server/broadcast.ts';
import type { ClientView } from '../server/ws/client.ts';
import type { SessionRecord, StoredMessage } from '../storage/store.ts';

/** Who hears about a session: `sessions.subscribe` for changes, `sessions.messages.subscribe` (or that) for messages. */
function sessionsSubscriber(client: ClientView): boolean {
  return client.sessionsSubscribed;
}

function messageSubscriber(sessionKey: string): (client: ClientView) => boolean {
  return (client) => client.sessionsSubscribed || client.messageSubscriptions.has(sessionKey);
}

const CHANGED = { filter: sessionsSubscriber };

/** The `sessions.changed` and `session.message` events, built one way for the chat and session services. */
export class SessionEvents {
  #events: Broadcast;
  #now: () => number;
  #mainSessionKey: (agentId: string) => string;

  constructor(events: Broadcast, now: () => number, mainSessionKey: (agentId: string) => string) {
    this.#events = events;
    this.#now = now;
    this.#mainSessionKey = mainSessionKey;
  }

  /** Who runs turns: set once the chat service exists, so rows can say whether a session is busy. */
  activeRuns: (sessionKey: string) => string[] = () => [];

  row(session: SessionRecord) {
    const running = this.activeRuns(session.key).length > 0;
    return {
      ...toSessionRow(session, { mainSessionKey: this.#mainSessionKey(session.agentId) }),
      ...(running ? { status: 'running' } : session.messageCount > 0 ? { status: 'done' } : {}),
    };
  }

  /**
   * Whether a client would get this session's `sessions.changed` or `session.message` now. Both are sent right
   * after the caller's store read (no I/O in between), so a caller that reads the session only for them can skip
   * the read when nobody would.
   */
  heard(sessionKey: string): boolean {
    return (
      this.#events.reaches?.('sessions.changed', CHANGED) !== false ||
      this.#events.reaches?.('session.message', { filter: messageSubscriber(sessionKey) }) !== false
    );
  }

  changed(session: SessionRecord, reason: string, runId?: string): void {
    // The row is built only for someone to send it to.
    if (this.#events.reaches?.('sessions.changed', CHANGED) === false) return;
    this.#events.broadcast(
      'sessions.changed',
      {
        sessionKey: session.key,
        agentId: session.agentId,
        reason,
        ...(runId ? { runId } : {}),
        ts: this.#now(),
        session: this.row(session),
      },
      CHANGED,
    );
  }

  removed(sessionKey: string, agentId: string, reason: string): void {
    this.#events.broadcast('sessions.changed', { sessionKey, agentId, reason, ts: this.#now() }, CHANGED);
  }

  message(agentId: string, message: StoredMessage, session: SessionRecord | undefined): void {
    const options = { filter: messageSubscriber(message.sessionKey) };
    if (this.#events.reaches?.('session.message', options) === false) return;
    this.#events.broadcast(
      'session.message',
      {
        sessionKey: message.sessionKey,
        agentId,
        message: toWireMessage(message),
        messageId: message.id,
        messageSeq: message.seq,
        ...(session ? { session: this.row(session) } : {}),
      },
      options,
    );
  }
}
