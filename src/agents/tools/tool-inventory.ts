import type { ToolProfile } from '../../config/tools-types.ts';
import { CORE_TOOL_SECTIONS, coreToolProfiles, coreToolSection, PROFILE_OPTIONS } from './tool-catalog.ts';
import type { DescribedTool } from './tool-registry.ts';

/** MCP servers' tools are plugin-owned tools under this id, as in OpenClaw. */
export const BUNDLE_MCP_PLUGIN_ID = 'bundle-mcp';
const SUMMARY_CHARS = 160;

/** A description's first sentence (at most 160 characters): what the catalog lists. */
export function summarize(description: string): string {
  const text = description.trim().replace(/\s+/g, ' ');
  const sentence = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.length > SUMMARY_CHARS ? `${sentence.slice(0, SUMMARY_CHARS - 1)}…` : sentence;
}

function pluginIdOf(entry: DescribedTool): string | undefined {
  const { source } = entry.registration;
  return source.kind === 'plugin'
    ? source.pluginId
    : source.kind === 'mcp'
      ? BUNDLE_MCP_PLUGIN_ID
      : undefined;
}

/**
 * `tools.catalog` (OpenClaw's ToolsCatalogResult): the tools this gateway has for the agent, whatever the policy,
 * core ones by OpenClaw's catalog sections with the profiles that include them, plugin and MCP ones by plugin.
 */
export function catalogResult(agentId: string, described: DescribedTool[], includePlugins: boolean) {
  const core = described.filter((entry) => entry.registration.source.kind === 'core');
  const sections = [
    ...CORE_TOOL_SECTIONS.map(({ id, label }) => ({ id, label })),
    { id: 'other', label: 'Other' },
  ];
  const groups: {
    id: string;
    label: string;
    source: 'core' | 'plugin';
    pluginId?: string;
    tools: Record<string, unknown>[];
  }[] = [];
  for (const section of sections) {
    const tools = core.filter((entry) => coreToolSection(entry.tool.name).id === section.id);
    if (tools.length === 0) continue;
    groups.push({
      id: section.id,
      label: section.label,
      source: 'core',
      tools: tools.map(({ tool }) => ({
        id: tool.name,
        label: tool.name,
        description: summarize(tool.description),
        source: 'core',
        defaultProfiles: coreToolProfiles(tool.name),
      })),
    });
  }
  if (includePlugins) {
    const byPlugin = new Map<string, DescribedTool[]>();
    for (const entry of described) {
      const pluginId = pluginIdOf(entry);
      if (pluginId) byPlugin.set(pluginId, [...(byPlugin.get(pluginId) ?? []), entry]);
    }
    for (const [pluginId, entries] of [...byPlugin].sort(([a], [b]) => a.localeCompare(b))) {
      groups.push({
        id: `plugin:${pluginId}`,
        label: pluginId,
        source: 'plugin',
        pluginId,
        tools: entries
          .sort((a, b) => a.tool.name.localeCompare(b.tool.name))
          .map(({ tool, registration }) => ({
            id: tool.name,
            label: tool.label?.trim() || tool.name,
            description: summarize(tool.description),
            source: 'plugin',
            pluginId,
            ...(registration.optional ? { optional: true } : {}),
            defaultProfiles: [] as ToolProfile[],
          })),
      });
    }
  }
  return { agentId, profiles: PROFILE_OPTIONS.map(({ id, label }) => ({ id, label })), groups };
}

const EFFECTIVE_GROUPS = [
  { source: 'core', label: 'Built-in tools' },
  { source: 'plugin', label: 'Connected tools' },
  { source: 'mcp', label: 'MCP server tools' },
] as const;

/** `tools.effective` (OpenClaw's ToolsEffectiveResult): what the agent's turns are offered after policy. */
export function effectiveResult(
  agentId: string,
  profile: ToolProfile | undefined,
  described: DescribedTool[],
) {
  const allowed = described.filter((entry) => entry.allowed);
  const groups = EFFECTIVE_GROUPS.map(({ source, label }) => ({
    id: source,
    label,
    source,
    tools: allowed
      .filter((entry) => entry.registration.source.kind === source)
      .map(({ tool, registration }) => {
        const pluginId = pluginIdOf({ tool, registration, allowed: true });
        const { source: origin } = registration;
        return {
          id: tool.name,
          label: tool.label?.trim() || tool.name,
          description: summarize(tool.description),
          rawDescription: tool.description,
          source,
          ...(pluginId ? { pluginId } : {}),
          ...(origin.kind === 'mcp' ? { mcpServer: origin.server } : {}),
        };
      }),
  })).filter((group) => group.tools.length > 0);
  return { agentId, profile: profile ?? 'full', groups };
}
