import type { PluginsConfig } from '../config/types.ts';

/**
 * Whether any plugin can load at all: a plugin is found only under `plugins.load.paths`. With none configured
 * the loader, the SDK and the module hooks are never imported.
 */
export function pluginsConfigured(plugins: PluginsConfig): boolean {
  return plugins.enabled && plugins.load.paths.length > 0;
}

/** Why a found plugin does not load (OpenClaw's rules: `deny` beats everything, a non-empty `allow` restricts). */
export function disabledReason(plugins: PluginsConfig, id: string): string | undefined {
  if (!plugins.enabled) return 'plugins.enabled is false';
  if (plugins.deny.includes(id)) return `plugins.deny lists ${id}`;
  if (plugins.allow.length > 0 && !plugins.allow.includes(id)) return `plugins.allow does not list ${id}`;
  if (plugins.entries[id]?.enabled === false) return `plugins.entries.${id}.enabled is false`;
  return undefined;
}
