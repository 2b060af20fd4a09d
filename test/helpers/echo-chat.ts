import { resolveModel } from '../../src/agents/providers/registry.ts';
import { ChatService } from '../../src/chat/chat-service.ts';
import { ContextTailStore } from '../../src/chat/context-tail.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import type { Broadcast } from '../../src/server/broadcast.ts';
import { Lanes } from '../../src/server/lanes.ts';
import type { SessionEvents } from '../../src/sessions/session-events.ts';
import type { GatewayStore } from '../../src/storage/store.ts';

/** A ChatService on the offline echo model, one main lane, over `store` (behind the context tail, as the gateway has it). */
export function echoChatService(options: {
  store: GatewayStore;
  events: Broadcast;
  config: GatewayConfig;
  sessionEvents: SessionEvents;
  logger?: Logger;
}): ChatService {
  const { config } = options;
  return new ChatService({
    store: new ContextTailStore(options.store),
    events: options.events,
    lanes: new Lanes({ main: 1 }),
    logger: options.logger ?? createLogger({ level: 'error', console: () => undefined }),
    now: Date.now,
    config: () => config,
    resolveModel: (ref) => resolveModel(ref, config),
    agentSettings: () => ({ models: ['echo/echo'] }),
    sessionEvents: options.sessionEvents,
  });
}
