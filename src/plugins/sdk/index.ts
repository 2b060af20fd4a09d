import * as channelCore from './channel-core.ts';
import * as core from './core.ts';
import * as pluginEntry from './plugin-entry.ts';
import * as runtimeStore from './runtime-store.ts';
import * as toolPlugin from './tool-plugin.ts';
import * as toolResults from './tool-results.ts';

/**
 * The `openclaw/plugin-sdk/<subpath>` modules clawgate implements, by subpath. A plugin's import of one of these
 * resolves here (module-hooks.ts); any other subpath fails naming itself.
 */
export const SDK_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'plugin-entry': pluginEntry,
  core,
  'channel-core': channelCore,
  'tool-plugin': toolPlugin,
  'tool-results': toolResults,
  'runtime-store': runtimeStore,
};
