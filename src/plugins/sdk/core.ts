/** `openclaw/plugin-sdk/core`: the entry helpers of both kinds of plugin. */
export {
  createChannelPluginBase,
  createChatChannelPlugin,
  defineChannelPluginEntry,
  defineSetupPluginEntry,
} from './channel-core.ts';
export { definePluginEntry, emptyPluginConfigSchema } from './plugin-entry.ts';
