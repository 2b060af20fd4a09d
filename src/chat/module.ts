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
      droppable: (payload) => DROPPABLE_AGENT_STREAMS.has((payload as { stream: string }).stream),
    },
  },
};
