import type { AgentTool, ToolResult } from '../../agents/tools/tool-types.ts';
import type { ClawgatePluginApi, PluginEntryDefinition, PluginToolContext } from '../api.ts';
import { definePluginEntry } from './plugin-entry.ts';

/** `openclaw/plugin-sdk/tool-plugin`: a plugin that only adds agent tools, from a static list. */

export type ToolCallContext = { toolCallId: string; signal?: AbortSignal };

export type ToolDeclaration = {
  name: string;
  label?: string;
  description: string;
  parameters: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** Offered to a model only once `tools.allow` names it. */
  optional?: boolean;
  /** Returns a plain value: a string becomes the text, anything else JSON text; `details` keeps the value. */
  execute?(
    params: Record<string, unknown>,
    config: Record<string, unknown>,
    context: ToolCallContext,
  ): unknown;
  /** Builds the tool per turn instead (`null` opts out); its tool uses the core `execute(toolCallId, …)`. */
  factory?(input: { api: ClawgatePluginApi; toolContext: PluginToolContext }): AgentTool | null | undefined;
};

export type ToolPluginDefinition = {
  id: string;
  name: string;
  description: string;
  configSchema?: unknown;
  tools(tool: (declaration: ToolDeclaration) => ToolDeclaration): ToolDeclaration[];
};

function wrap(value: unknown): ToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return { content: [{ type: 'text', text }], details: value };
}

export function defineToolPlugin(definition: ToolPluginDefinition): PluginEntryDefinition {
  const declarations = definition.tools((declaration) => declaration);
  return definePluginEntry({
    id: definition.id,
    name: definition.name,
    description: definition.description,
    configSchema: definition.configSchema,
    register(api) {
      for (const declaration of declarations) {
        const { factory, execute } = declaration;
        const options = { name: declaration.name, optional: declaration.optional };
        if (factory) {
          api.registerTool((toolContext) => factory({ api, toolContext }), options);
          continue;
        }
        if (!execute) throw new Error(`tool ${declaration.name}: execute or factory is required`);
        api.registerTool(
          {
            name: declaration.name,
            label: declaration.label,
            description: declaration.description,
            parameters: declaration.parameters,
            outputSchema: declaration.outputSchema,
            execute: async (toolCallId, params, signal) =>
              wrap(await execute(params, api.pluginConfig, { toolCallId, signal })),
          },
          options,
        );
      }
    },
  });
}
