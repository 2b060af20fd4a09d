import type { SessionRecord, StoredMessage } from '../../sessions/store.ts';
import type { Broadcast } from '../broadcast.ts';
import type { GatewayWsClient } from '../ws/client.ts';
import { toSessionRow, toWireMessage } from './wire-message.ts';

/** Who hears about a session: `sessions.subscribe` for changes, `sessions.messages.subscribe` (or that) for messages. */
function sessionsSubscriber(client: GatewayWsClient): boolean {
  return client.sessionsSubscribed;
}

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

  row(session: SessionRecord) {
    return toSessionRow(session, { mainSessionKey: this.#mainSessionKey(session.agentId) });
  }

  changed(session: SessionRecord, reason: string, runId?: string): void {
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
      { dropIfSlow: true, filter: sessionsSubscriber },
    );
  }

  removed(sessionKey: string, agentId: string, reason: string): void {
    this.#events.broadcast(
      'sessions.changed',
      { sessionKey, agentId, reason, ts: this.#now() },
      { dropIfSlow: true, filter: sessionsSubscriber },
    );
  }

  message(agentId: string, message: StoredMessage, session: SessionRecord | undefined): void {
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
      {
        filter: (client) => client.sessionsSubscribed || client.messageSubscriptions.has(message.sessionKey),
      },
    );
  }
}
