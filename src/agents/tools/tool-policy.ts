import type { ToolPolicyConfig, ToolProfile } from '../../config/tools-types.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { CORE_TOOL_GROUPS, DEFAULT_INVOKE_DENY, profileAllowlist } from './tool-catalog.ts';
import type { ToolSource } from './tool-types.ts';

/** What policy looks at: a tool's name, where it came from, and whether it is opt-in. */
export type PolicyTool = { name: string; source: ToolSource; optional?: boolean };

/** `turn`: what a model turn is offered; `invoke`: what `tools.invoke` / `POST /tools/invoke` may call. */
export type PolicySurface = 'turn' | 'invoke';

export type ToolPolicy = {
  /** The profile in force (the agent's, else the global one). */
  profile: ToolProfile | undefined;
  allows(tool: PolicyTool): boolean;
};

type Step = { allow?: readonly string[]; deny?: readonly string[] };

/** OpenClaw's aliases: a policy naming `bash` means `exec`. */
const ALIASES = new Map([
  ['bash', 'exec'],
  ['apply-patch', 'apply_patch'],
  ['cron', 'automations'],
]);

export function normalizeToolName(name: string): string {
  const folded = name.trim().toLowerCase();
  return ALIASES.get(folded) ?? folded;
}

const globs = new Map<string, RegExp>();

function globMatches(pattern: string, name: string): boolean {
  let regex = globs.get(pattern);
  if (!regex) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${source}$`);
    globs.set(pattern, regex);
  }
  return regex.test(name);
}

/** Does one allow/deny entry (a name, glob, `group:*`, `bundle-mcp` or plugin id) cover the tool? */
export function entryMatches(rawEntry: string, tool: PolicyTool): boolean {
  const entry = normalizeToolName(rawEntry);
  const name = normalizeToolName(tool.name);
  if (entry === '') return false;
  if (entry.includes('*')) return globMatches(entry, name);
  if (entry === name) return true;
  if (entry === 'group:plugins') return tool.source.kind !== 'core';
  if (entry === 'bundle-mcp') return tool.source.kind === 'mcp';
  const group = CORE_TOOL_GROUPS.get(entry);
  if (group) return group.includes(name);
  return tool.source.kind === 'plugin' && entry === tool.source.pluginId.toLowerCase();
}

function passes(step: Step, tool: PolicyTool): boolean {
  if (step.deny?.some((entry) => entryMatches(entry, tool))) return false;
  if (!step.allow || step.allow.length === 0) return true;
  if (step.allow.some((entry) => entryMatches(entry, tool))) return true;
  // OpenClaw: allowing `write` also allows `apply_patch` (denying it does not deny apply_patch).
  return (
    normalizeToolName(tool.name) === 'apply_patch' &&
    step.allow.some((entry) => entryMatches(entry, { ...tool, name: 'write' }))
  );
}

/**
 * One agent's tool policy, as OpenClaw layers it: the profile's allowlist (with `alsoAllow`), then `tools.allow` /
 * `tools.deny`, then the agent's own `agents.list[].tools.allow` / `deny`; a tool must pass every layer and a
 * deny always wins. Entries are case-insensitive names, `*` globs, `group:*` groups, `bundle-mcp` (MCP servers'
 * tools) and plugin ids. An optional plugin tool is offered only when an allow entry names it, its plugin or
 * `group:plugins` (or the profile is `full`). On the `invoke` surface OpenClaw's default HTTP deny list (exec,
 * apply_patch, sessions_spawn, gateway, …) applies too, less `gateway.tools.allow`, plus `gateway.tools.deny`.
 */
export function toolPolicy(config: GatewayConfig, agentId: string, surface: PolicySurface): ToolPolicy {
  const global: ToolPolicyConfig = config.tools ?? {};
  const own: ToolPolicyConfig =
    config.agents.list.find((agent) => agent.id.toLowerCase() === agentId)?.tools ?? {};
  const profile = own.profile ?? global.profile;
  const alsoAllow = [...(global.alsoAllow ?? []), ...(own.alsoAllow ?? [])];
  const steps: Step[] = [];
  if (profile) steps.push({ allow: [...profileAllowlist(profile), ...alsoAllow] });
  steps.push({ allow: global.allow, deny: global.deny });
  steps.push({ allow: own.allow, deny: own.deny });
  if (surface === 'invoke') {
    const reopened = config.gateway.tools?.allow ?? [];
    const deny = DEFAULT_INVOKE_DENY.filter(
      (name) => !reopened.some((entry) => normalizeToolName(entry) === name),
    );
    steps.push({ deny: [...deny, ...(config.gateway.tools?.deny ?? [])] });
  }
  const explicit = [...(global.allow ?? []), ...(own.allow ?? []), ...alsoAllow];
  return {
    profile,
    allows(tool) {
      if (tool.optional && profile !== 'full' && !explicit.some((entry) => entryMatches(entry, tool))) {
        return false;
      }
      return steps.every((step) => passes(step, tool));
    },
  };
}
