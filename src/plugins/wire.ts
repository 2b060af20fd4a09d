import type { PluginsConfig } from '../config/types.ts';
import type { PluginRecord, PluginState } from './plugin-system.ts';

/** A `plugins.list` entry (OpenClaw's `PluginsListResult.plugins[]`; also `plugins.setEnabled`'s `plugin`). */
export type WirePluginEntry = {
  id: string;
  name: string;
  packageName?: string;
  description?: string;
  version?: string;
  origin: 'config';
  installed: boolean;
  enabled: boolean;
  state: PluginState;
  error?: string;
  removable: boolean;
};

/** Plugins found on disk are `config`-origin in OpenClaw's terms (found through `plugins.load.paths`). */
export function wireEntry(record: PluginRecord): WirePluginEntry {
  return {
    id: record.id,
    name: record.name,
    ...(record.packageName !== undefined ? { packageName: record.packageName } : {}),
    ...(record.description !== undefined ? { description: record.description } : {}),
    ...(record.version !== undefined ? { version: record.version } : {}),
    origin: 'config',
    installed: true,
    enabled: record.enabled,
    state: record.state,
    ...(record.error !== undefined ? { error: record.error } : {}),
    removable: false,
  };
}

/** A `plugins.entries.<id>` that no plugin found answers to: listed as `not-installed`, as OpenClaw does. */
export function notInstalledEntry(id: string, plugins: PluginsConfig): WirePluginEntry {
  return {
    id,
    name: id,
    origin: 'config',
    installed: false,
    enabled: plugins.entries[id]?.enabled !== false,
    state: 'not-installed',
    removable: false,
  };
}

/** Every plugin found, then the configured ids none of them has. */
export function listEntries(
  records: ReadonlyMap<string, PluginRecord>,
  plugins: PluginsConfig,
): WirePluginEntry[] {
  const found = [...records.values()].map(wireEntry);
  const missing = Object.keys(plugins.entries)
    .filter((id) => !records.has(id))
    .map((id) => notInstalledEntry(id, plugins));
  return [...found, ...missing];
}

const union = (...lists: readonly string[][]) => [...new Set(lists.flat())];

/** OpenClaw's `PluginsInspectResult`: identity, what the plugin declares (and registered), and no grants. */
export function inspectResult(record: PluginRecord | undefined, id: string, plugins: PluginsConfig) {
  const declared = {
    channels: union(record?.declared.channels ?? [], record?.registered.channels ?? []),
    providers: [],
    tools: union(record?.declared.tools ?? [], record?.registered.tools ?? []),
    contracts: record?.declared.contracts ?? [],
    hooks: [],
    mcpServers: [],
    cliCommands: record?.declared.cliCommands ?? [],
    cliBackends: [],
    skills: [],
    dangerousConfigFlags: [],
  };
  const entry = record ? wireEntry(record) : notInstalledEntry(id, plugins);
  return {
    ok: true as const,
    plugin: {
      id: entry.id,
      name: entry.name,
      ...(entry.version !== undefined ? { version: entry.version } : {}),
      ...(entry.description !== undefined ? { description: entry.description } : {}),
      origin: entry.origin,
      installed: entry.installed,
      enabled: entry.enabled,
    },
    ...(record ? { source: { kind: 'path' as const, spec: record.rootDir } } : {}),
    declared,
    reviewToken: record?.manifestHash || `not-installed:${id}`,
    grants: {
      hooks: { allowPromptInjection: { effective: false }, allowConversationAccess: { effective: false } },
    },
  };
}
