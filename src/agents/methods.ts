import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { listAgents } from './registry.ts';

export const agentsMethods = defineMethods({
  'agents.list': {
    access: READ,
    handler: (_params, { gateway }) => {
      const { config } = gateway.configState;
      const agents = listAgents(config);
      return {
        defaultId: agents.find((agent) => agent.isDefault)?.id ?? agents[0]?.id,
        ownership: 'sole',
        selectionRequired: false,
        mainKey: config.session.mainKey,
        scope: config.session.scope,
        agents: agents.map((summary) => {
          const configured = config.agents.list.find((agent) => agent.id.toLowerCase() === summary.id);
          const workspace = configured?.workspace ?? config.agents.defaults.workspace;
          const identity =
            configured?.identity && Object.keys(configured.identity).length > 0
              ? configured.identity
              : undefined;
          return {
            id: summary.id,
            ...(summary.name ? { name: summary.name } : {}),
            ...(identity ? { identity } : {}),
            ...(workspace ? { workspace } : {}),
            model: { primary: configured?.model ?? config.agents.defaults.model },
          };
        }),
      };
    },
  },
});
