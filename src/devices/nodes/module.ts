import type { GatewayModule } from '../../server/registry.ts';
import { nodeOperatorMethods } from './methods.ts';
import { nodeRoleMethods } from './node-role-methods.ts';

export const nodesModule: GatewayModule = {
  id: 'nodes',
  methods: { ...nodeOperatorMethods, ...nodeRoleMethods },
  events: {
    'node.pair.requested': { scope: 'operator.pairing', droppable: true },
    'node.pair.resolved': { scope: 'operator.pairing', droppable: true },
    'node.hostStats': { scope: 'operator.read', droppable: true },
    // Addressed to one node with `send` (never broadcast); the scope keeps any broadcast away from operators.
    'node.invoke.request': { scope: 'operator.admin' },
  },
};
