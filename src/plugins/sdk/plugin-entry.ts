import type { ClawgatePluginApi, PluginEntryDefinition } from '../api.ts';

/** `openclaw/plugin-sdk/plugin-entry`. */

/** The schema of a plugin that takes no config (OpenClaw's default for an entry without one). */
export function emptyPluginConfigSchema(): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties: {} };
}

export type PluginEntryInput = Omit<PluginEntryDefinition, 'configSchema' | 'register'> & {
  /** A schema or a factory of one (OpenClaw resolves it lazily); the manifest's is what config is checked with. */
  configSchema?: unknown;
  register(api: ClawgatePluginApi): void | Promise<void>;
};

/** The entry a non-channel plugin exports as its default: what the loader calls `register(api)` on. */
export function definePluginEntry(entry: PluginEntryInput): PluginEntryDefinition {
  let schema: unknown;
  return {
    ...entry,
    get configSchema() {
      schema ??= typeof entry.configSchema === 'function' ? entry.configSchema() : entry.configSchema;
      return schema ?? emptyPluginConfigSchema();
    },
  };
}
