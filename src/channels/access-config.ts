import {
  type ChannelAccess,
  type ChannelGroupAccess,
  DM_POLICIES,
  type DmPolicy,
  GROUP_POLICIES,
  type GroupPolicy,
} from './channel-types.ts';

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value)
    ? value.filter((item) => typeof item === 'string' || typeof item === 'number').map(String)
    : undefined;

function groupEntry(value: unknown): ChannelGroupAccess {
  if (!isObj(value)) return {};
  const entry: ChannelGroupAccess = {};
  if (typeof value.enabled === 'boolean') entry.enabled = value.enabled;
  if (typeof value.requireMention === 'boolean') entry.requireMention = value.requireMention;
  if (GROUP_POLICIES.includes(value.groupPolicy as GroupPolicy))
    entry.groupPolicy = value.groupPolicy as GroupPolicy;
  const allowFrom = strings(value.allowFrom);
  if (allowFrom) entry.allowFrom = allowFrom;
  return entry;
}

/**
 * One account's access settings from a channel block (`channels.<id>`) and, for a named account, its
 * `accounts.<id>` entry, by OpenClaw's rules: an account's key wins over the root's, and an account's `groups`
 * map replaces the root map rather than merging with it. Defaults: `dmPolicy: "pairing"`,
 * `groupPolicy: "allowlist"`, mention required in groups. Never throws: a value of the wrong shape is ignored
 * (the file schema refuses it before it gets here).
 */
export function channelAccessFrom(root: Obj, account: Obj = {}): ChannelAccess {
  const pick = (key: string): unknown => (account[key] !== undefined ? account[key] : root[key]);
  const dmPolicy = pick('dmPolicy');
  const groupPolicy = pick('groupPolicy');
  const groups = pick('groups');
  return {
    dmPolicy: DM_POLICIES.includes(dmPolicy as DmPolicy) ? (dmPolicy as DmPolicy) : 'pairing',
    allowFrom: strings(pick('allowFrom')) ?? [],
    groupPolicy: GROUP_POLICIES.includes(groupPolicy as GroupPolicy)
      ? (groupPolicy as GroupPolicy)
      : 'allowlist',
    groupAllowFrom: strings(pick('groupAllowFrom')) ?? [],
    groups: isObj(groups)
      ? Object.fromEntries(Object.entries(groups).map(([id, entry]) => [id, groupEntry(entry)]))
      : {},
    requireMention: typeof pick('requireMention') === 'boolean' ? (pick('requireMention') as boolean) : true,
  };
}

/**
 * The check OpenClaw's config validation makes of every channel account: `dmPolicy: "allowlist"` with no sender
 * blocks every DM, and `"open"` needs `"*"` (or at least one sender) in allowFrom. Returns the problem, if any.
 */
export function accessProblem(access: ChannelAccess): string | undefined {
  if (access.dmPolicy === 'allowlist' && access.allowFrom.length === 0) {
    return 'dmPolicy "allowlist" needs at least one sender id in allowFrom';
  }
  if (access.dmPolicy === 'open' && access.allowFrom.length === 0) {
    return 'dmPolicy "open" needs allowFrom: ["*"] (or the senders it admits)';
  }
  return undefined;
}
