import type { GatewayModule } from '../server/registry.ts';
import { agentMethods } from './agent-methods.ts';
import { chatMethods } from './methods.ts';

/** Stream deltas may be skipped for a slow client; states that end or change a run never are. */
const DROPPABLE_CHAT_STATES = new Set(['delta', 'status']);
const DROPPABLE_AGENT_STREAMS = new Set(['assistant', 'run_status']);

export const chatModule: GatewayModule = {
  id: 'chat',
  methods: { ...chatMethods, ...agentMethods },
  events: {
    chat: {
      scope: 'operator.read',
      droppable: (payload) => DROPPABLE_CHAT_STATES.has((payload as { state: string }).state),
    },
    agent: {
      scope: 'operator.read',
      droppable: (payload) => {
        const { stream, data } = payload as { stream: string; data?: { phase?: string } };
        // A tool's progress may be skipped; its start and result never are (the card would be wrong).
        return DROPPABLE_AGENT_STREAMS.has(stream) || (stream === 'tool' && data?.phase === 'update');
      },
    },
    // The tool stream for session watchers that did not ask for `agent` tool events (OpenClaw drops it if slow).
    'session.tool': { scope: 'operator.read', droppable: true },
  },
};
