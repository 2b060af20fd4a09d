import type { GatewayModule } from '../server/registry.ts';
import { agentsMethods } from './methods.ts';
import { modelsMethods } from './model-catalog.ts';

export const agentsModule: GatewayModule = {
  id: 'agents',
  methods: { ...agentsMethods, ...modelsMethods },
  // models.list takes the published catalog's params (view, provider, includeDetails, refresh).
  capabilities: ['published-model-catalog'],
};
