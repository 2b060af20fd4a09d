import type { GatewayModule } from '../server/registry.ts';
import { sessionsMethods } from './methods.ts';

export const sessionsModule: GatewayModule = {
  id: 'sessions',
  methods: sessionsMethods,
  events: {
    'sessions.changed': { scope: 'operator.read', droppable: true },
    'session.message': { scope: 'operator.read' },
  },
};
