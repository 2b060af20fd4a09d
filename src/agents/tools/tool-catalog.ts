import type { ToolProfile } from '../../config/tools-types.ts';

/**
 * OpenClaw's core tool ids, by catalog section, with the profiles that include each (its tool catalog): what
 * `group:<section>`, `group:openclaw` and the profiles expand to in tool policy, so a policy written for OpenClaw
 * means the same here. Only some of these tools exist in clawgate; an entry naming one that does not matches
 * nothing.
 */
type CoreToolEntry = { id: string; profiles: readonly ToolProfile[]; openclawGroup?: true };

const C: readonly ToolProfile[] = ['coding'];
const CM: readonly ToolProfile[] = ['coding', 'messaging'];
const NONE: readonly ToolProfile[] = [];

export const CORE_TOOL_SECTIONS: readonly { id: string; label: string; tools: readonly CoreToolEntry[] }[] = [
  {
    id: 'fs',
    label: 'Files',
    tools: [
      { id: 'ls', profiles: C },
      { id: 'read', profiles: C },
      { id: 'write', profiles: C },
      { id: 'edit', profiles: C },
      { id: 'apply_patch', profiles: C },
    ],
  },
  {
    id: 'runtime',
    label: 'Runtime',
    tools: [
      { id: 'exec', profiles: C },
      { id: 'process', profiles: C },
      { id: 'code_execution', profiles: C, openclawGroup: true },
      { id: 'secrets', profiles: CM, openclawGroup: true },
    ],
  },
  {
    id: 'web',
    label: 'Web',
    tools: ['web_search', 'web_fetch', 'x_search'].map((id) => ({ id, profiles: C, openclawGroup: true })),
  },
  {
    id: 'memory',
    label: 'Memory',
    tools: ['memory_search', 'memory_get'].map((id) => ({ id, profiles: C, openclawGroup: true })),
  },
  {
    id: 'sessions',
    label: 'Sessions',
    tools: [
      ...[
        'sessions',
        'sessions_list',
        'sessions_history',
        'sessions_search',
        'conversations_list',
        'conversations_send',
        'conversations_turn',
        'sessions_send',
        'sessions_spawn',
        'sessions_yield',
        'subagents',
      ].map((id) => ({ id, profiles: CM, openclawGroup: true as const })),
      ...['github_identity_status', 'github_publish', 'agents_wait', 'suggest_task', 'dismiss_task'].map(
        (id) => ({ id, profiles: C, openclawGroup: true as const }),
      ),
      { id: 'session_status', profiles: ['minimal', 'coding', 'messaging'], openclawGroup: true },
    ],
  },
  {
    id: 'ui',
    label: 'UI',
    tools: [
      { id: 'browser', profiles: NONE, openclawGroup: true },
      { id: 'screen', profiles: C, openclawGroup: true },
      { id: 'theme', profiles: CM, openclawGroup: true },
      { id: 'dashboard', profiles: C, openclawGroup: true },
      { id: 'terminal', profiles: C, openclawGroup: true },
      { id: 'portal', profiles: C, openclawGroup: true },
      { id: 'canvas', profiles: NONE },
      { id: 'show_widget', profiles: NONE, openclawGroup: true },
    ],
  },
  {
    id: 'messaging',
    label: 'Messaging',
    tools: [{ id: 'message', profiles: ['messaging'], openclawGroup: true }],
  },
  {
    id: 'automation',
    label: 'Automation',
    tools: [
      { id: 'heartbeat_respond', profiles: NONE, openclawGroup: true },
      { id: 'automations', profiles: C, openclawGroup: true },
      { id: 'gateway', profiles: ['minimal', 'coding', 'messaging'], openclawGroup: true },
      { id: 'plugins', profiles: C, openclawGroup: true },
      { id: 'openclaw', profiles: NONE, openclawGroup: true },
    ],
  },
  {
    id: 'nodes',
    label: 'Nodes',
    tools: ['nodes', 'computer', 'mobile_ui'].map((id) => ({
      id,
      profiles: NONE,
      openclawGroup: true as const,
    })),
  },
  {
    id: 'agents',
    label: 'Agents',
    tools: [
      { id: 'agents_list', profiles: NONE, openclawGroup: true },
      ...['get_goal', 'create_goal', 'update_goal', 'progress_card', 'skill_workshop'].map((id) => ({
        id,
        profiles: C,
        openclawGroup: true as const,
      })),
      { id: 'ask_user', profiles: CM, openclawGroup: true },
    ],
  },
  {
    id: 'media',
    label: 'Media',
    tools: [
      ...['view_image', 'image_generate', 'music_generate', 'video_generate'].map((id) => ({
        id,
        profiles: C,
        openclawGroup: true as const,
      })),
      { id: 'tts', profiles: NONE, openclawGroup: true },
      { id: 'pdf', profiles: NONE, openclawGroup: true },
    ],
  },
];

const ALL = CORE_TOOL_SECTIONS.flatMap((section) =>
  section.tools.map((tool) => ({ ...tool, section: section.id })),
);
const BY_ID = new Map(ALL.map((tool) => [tool.id, tool]));

/** `group:<section>` and `group:openclaw` → core tool ids. */
export const CORE_TOOL_GROUPS: ReadonlyMap<string, readonly string[]> = new Map([
  ['group:openclaw', ALL.filter((tool) => tool.openclawGroup).map((tool) => tool.id)],
  ...CORE_TOOL_SECTIONS.map((section): [string, string[]] => [
    `group:${section.id}`,
    section.tools.map((tool) => tool.id),
  ]),
]);

/** A profile's allowlist. `coding` and `messaging` also take configured MCP servers (`bundle-mcp`). */
export function profileAllowlist(profile: ToolProfile): string[] {
  if (profile === 'full') return ['*'];
  const ids = ALL.filter((tool) => tool.profiles.includes(profile)).map((tool) => tool.id);
  return profile === 'minimal' ? ids : [...ids, 'bundle-mcp'];
}

/** The profiles whose allowlist names a core tool (`defaultProfiles` in `tools.catalog`). */
export function coreToolProfiles(id: string): ToolProfile[] {
  return [...(BY_ID.get(id)?.profiles ?? [])];
}

/** The catalog section of a core tool id; tools OpenClaw's catalog does not know go under `other`. */
export function coreToolSection(id: string): { id: string; label: string } {
  const sectionId = BY_ID.get(id)?.section;
  const section = CORE_TOOL_SECTIONS.find((candidate) => candidate.id === sectionId);
  return section ? { id: section.id, label: section.label } : { id: 'other', label: 'Other' };
}

export const PROFILE_OPTIONS: readonly { id: ToolProfile; label: string }[] = [
  { id: 'minimal', label: 'Minimal' },
  { id: 'coding', label: 'Coding' },
  { id: 'messaging', label: 'Messaging' },
  { id: 'full', label: 'Full' },
];

/** Tools `POST /tools/invoke` and `tools.invoke` refuse by default, whatever the policy (OpenClaw's list). */
export const DEFAULT_INVOKE_DENY: readonly string[] = [
  'exec',
  'spawn',
  'shell',
  'fs_write',
  'fs_delete',
  'fs_move',
  'apply_patch',
  'terminal',
  'portal',
  'sessions_spawn',
  'sessions_send',
  'conversations_list',
  'conversations_send',
  'conversations_turn',
  'automations',
  'gateway',
  'plugins',
  'nodes',
  'computer',
  'mobile_ui',
  'openclaw',
];
