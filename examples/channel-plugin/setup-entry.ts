import { defineSetupPluginEntry } from 'openclaw/plugin-sdk/channel-core';
import { loopbackChatPlugin } from './src/channel.js';

export default defineSetupPluginEntry(loopbackChatPlugin);
