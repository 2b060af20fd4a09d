import type { GatewayModule } from '../server/registry.ts';
import { pluginsMethods } from './methods.ts';

/**
 * The `plugins.*` methods and the `plugins.changed` event (sent with the new `generation` after every applied
 * change, which the Control UI reloads its Plugins page on). Loading the plugins is the plugin-bootstrap phase's.
 */
export const pluginsModule: GatewayModule = {
  id: 'plugins',
  methods: pluginsMethods,
  events: { 'plugins.changed': { scope: 'operator.read', droppable: true } },
};
