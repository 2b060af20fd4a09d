import type { ToolRegistration } from '../agents/tools/tool-types.ts';

/**
 * The agent tools loaded plugins registered (`api.registerTool`), by plugin: what the agent tool loop reads to
 * offer them to a model, and what `plugins.inspect` reports. A plugin's tools come and go with the plugin.
 */
export class PluginToolRegistry {
  readonly #byPlugin = new Map<string, readonly ToolRegistration[]>();

  /** Every plugin tool, in load order. */
  list(): ToolRegistration[] {
    return [...this.#byPlugin.values()].flat();
  }

  /** The plugin that registered `name`, if any. */
  owner(name: string): string | undefined {
    for (const [pluginId, tools] of this.#byPlugin) {
      if (tools.some((tool) => tool.name === name)) return pluginId;
    }
    return undefined;
  }

  set(pluginId: string, tools: readonly ToolRegistration[]): void {
    if (tools.length === 0) this.#byPlugin.delete(pluginId);
    else this.#byPlugin.set(pluginId, tools);
  }

  delete(pluginId: string): void {
    this.#byPlugin.delete(pluginId);
  }
}
