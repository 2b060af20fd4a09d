import type { ClawgatePluginApi, PluginEntryDefinition, PluginRuntime } from '../api.ts';
import type {
  ChannelPluginOutbound,
  ChannelSendContext,
  ChannelSendResult,
  PluginChannel,
} from '../channel-types.ts';
import { definePluginEntry } from './plugin-entry.ts';

/**
 * `openclaw/plugin-sdk/channel-core` (and `core`): the entry and builders a channel plugin is made of, as the
 * channel-plugin guide uses them. The builders compose a plain `ChannelPlugin` object; what clawgate does with
 * it is channel-adapter.ts.
 */

export type ChannelPluginEntryInput = {
  id: string;
  name: string;
  description: string;
  plugin: PluginChannel;
  configSchema?: unknown;
  setRuntime?(runtime: PluginRuntime): void;
  registerCliMetadata?(api: ClawgatePluginApi): void;
  registerCapabilities?(api: ClawgatePluginApi): void;
  registerFull?(api: ClawgatePluginApi): void;
};

/** OpenClaw's full-mode order: runtime, the channel, CLI metadata, capabilities, then runtime-only work. */
export function defineChannelPluginEntry(entry: ChannelPluginEntryInput): PluginEntryDefinition {
  return definePluginEntry({
    id: entry.id,
    name: entry.name,
    description: entry.description,
    configSchema: entry.configSchema,
    register(api) {
      entry.setRuntime?.(api.runtime);
      api.registerChannel({ plugin: entry.plugin });
      entry.registerCliMetadata?.(api);
      entry.registerCapabilities?.(api);
      entry.registerFull?.(api);
    },
  });
}

/** The lightweight entry OpenClaw loads for setup flows; clawgate never loads it, so it only carries the plugin. */
export function defineSetupPluginEntry(plugin: PluginChannel): { plugin: PluginChannel } {
  return { plugin };
}

/**
 * The base of a channel plugin: id, meta, config and setup adapters. Without a `meta.label` the channel is called
 * what `package.json` `openclaw.channel.label` says, else its id.
 */
export function createChannelPluginBase<Account>(base: PluginChannel<Account>): PluginChannel<Account> {
  return { ...base, meta: { id: base.id, ...base.meta } };
}

type SendText = (ctx: ChannelSendContext) => Promise<ChannelSendResult>;

/** `outbound.attachedResults` (send functions returning ids, with the channel stamped) + `outbound.base`. */
export type ChatChannelOutbound = ChannelPluginOutbound & {
  attachedResults?: { channel: string; sendText?: SendText; sendMedia?: ChannelPluginOutbound['sendMedia'] };
  base?: ChannelPluginOutbound;
};

function composeOutbound(outbound: ChatChannelOutbound | undefined): ChannelPluginOutbound | undefined {
  if (!outbound) return undefined;
  const { attachedResults, base, ...raw } = outbound;
  const composed: ChannelPluginOutbound = { deliveryMode: 'direct', ...base, ...raw };
  const attachedSend = attachedResults?.sendText;
  if (attachedResults && attachedSend) {
    composed.sendText = async (ctx) => ({ ...(await attachedSend(ctx)), channel: attachedResults.channel });
  }
  if (attachedResults?.sendMedia) composed.sendMedia = attachedResults.sendMedia;
  return composed;
}

export type ChatChannelPluginInput<Account> = {
  base: PluginChannel<Account>;
  security?: PluginChannel<Account>['security'];
  pairing?: unknown;
  threading?: unknown;
  outbound?: ChatChannelOutbound;
  [surface: string]: unknown;
};

/** A chat channel from declarative parts; capabilities default to direct messages only, as in OpenClaw. */
export function createChatChannelPlugin<Account>(
  input: ChatChannelPluginInput<Account>,
): PluginChannel<Account> {
  const { base, outbound, ...surfaces } = input;
  return {
    ...surfaces,
    ...base,
    capabilities: base.capabilities ?? { chatTypes: ['direct'] },
    outbound: composeOutbound(outbound) ?? base.outbound,
  };
}
