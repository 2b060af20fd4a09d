import type { GatewayModule } from '../../server/registry.ts';
import { toolsMethods } from './tools-methods.ts';
import { toolsInvokeRoute } from './tools-route.ts';

/** Agent tools on the wire: tools.catalog, tools.effective, tools.invoke and HTTP `POST /tools/invoke`. */
export const toolsModule: GatewayModule = {
  id: 'tools',
  methods: toolsMethods,
  routes: [toolsInvokeRoute],
};
