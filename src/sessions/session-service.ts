import type { ChatService } from '../chat/chat-service.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import type { GatewayStore, SessionPatch, SessionRecord, StoredMessage } from '../storage/store.ts';
import type { SessionEvents } from './session-events.ts';

function notFound(method: string, key: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${method}: no session ${key}`, {
    details: { code: 'SESSION_NOT_FOUND', key },
  });
}

/** Session lifecycle writes (create, patch, reset, delete, inject), each followed by its `sessions.changed`. */
export class SessionService {
  #store: GatewayStore;
  #events: SessionEvents;
  #chat: ChatService;
  #now: () => number;

  constructor(store: GatewayStore, events: SessionEvents, chat: ChatService, now: () => number) {
    this.#store = store;
    this.#events = events;
    this.#chat = chat;
    this.#now = now;
  }

  async create(key: string, agentId: string, patch: SessionPatch): Promise<SessionRecord> {
    const created = await this.#store.ensureSession(key, agentId, this.#now());
    const session =
      Object.keys(patch).length > 0
        ? ((await this.#store.patchSession(key, patch, this.#now())) ?? created)
        : created;
    this.#events.changed(session, 'created');
    return session;
  }

  async patch(key: string, patch: SessionPatch): Promise<SessionRecord> {
    const session = await this.#store.patchSession(key, patch, this.#now());
    if (!session) throw notFound('sessions.patch', key);
    this.#events.changed(session, 'patched');
    return session;
  }

  /** A fresh transcript under the same key; running turns of the session are aborted first. */
  async reset(key: string, agentId: string, reason: string): Promise<SessionRecord> {
    this.#chat.abort(key, undefined, 'rpc');
    await this.#store.ensureSession(key, agentId, this.#now());
    const session = await this.#store.resetSession(key, this.#now());
    if (!session) throw notFound('sessions.reset', key);
    this.#events.changed(session, reason === 'command' ? 'reset' : reason);
    return session;
  }

  async delete(key: string, agentId: string): Promise<boolean> {
    this.#chat.abort(key, undefined, 'rpc');
    const deleted = await this.#store.deleteSession(key);
    if (deleted) this.#events.removed(key, agentId, 'deleted');
    return deleted;
  }

  /** Appends an operator's note to the transcript without running the agent (chat.inject). */
  async inject(
    key: string,
    agentId: string,
    text: string,
    label: string | undefined,
  ): Promise<StoredMessage> {
    await this.#store.ensureSession(key, agentId, this.#now());
    const message = await this.#store.appendMessage({
      sessionKey: key,
      role: 'assistant',
      content: [{ type: 'text', text: label ? `[${label}] ${text}` : text }],
      timestamp: this.#now(),
      stopReason: 'injected',
    });
    const session = await this.#store.getSession(key);
    this.#events.message(agentId, message, session);
    if (session) this.#events.changed(session, 'message');
    return message;
  }
}
