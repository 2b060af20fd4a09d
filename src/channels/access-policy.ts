import type { ChannelAccess, InboundMessage } from './channel-types.ts';

/**
 * What happens to an inbound message, by OpenClaw's access rules: `accept` runs a turn; `pair` is an unknown DM
 * sender under `dmPolicy: "pairing"` (it gets a pairing code, its message is not processed); `drop` is refused
 * silently, with the reason for the log.
 */
export type AccessDecision = { action: 'accept' } | { action: 'pair' } | { action: 'drop'; reason: string };

const ACCEPT: AccessDecision = { action: 'accept' };
const drop = (reason: string): AccessDecision => ({ action: 'drop', reason });

/** Ids compare trimmed and case-insensitively; a `<channel>:` prefix on an entry (`telegram:123`) is ignored. */
export function normalizeSenderId(channel: string, id: string): string {
  const trimmed = id.trim().toLowerCase();
  const prefix = `${channel.toLowerCase()}:`;
  return trimmed.startsWith(prefix) ? trimmed.slice(prefix.length) : trimmed;
}

function listed(channel: string, list: readonly string[], senderId: string): boolean {
  const sender = normalizeSenderId(channel, senderId);
  return list.some((entry) => entry.trim() === '*' || normalizeSenderId(channel, entry) === sender);
}

/**
 * Direct messages. `open` is public only with `"*"` in allowFrom; with concrete entries it admits just those
 * (pairing approvals never widen it). `allowlist` admits allowFrom. `pairing` admits allowFrom plus the senders
 * approved by pairing, and asks the others to pair.
 */
function directDecision(
  channel: string,
  access: ChannelAccess,
  senderId: string,
  approved: ReadonlySet<string>,
): AccessDecision {
  switch (access.dmPolicy) {
    case 'disabled':
      return drop('direct messages are disabled (dmPolicy disabled)');
    case 'open':
      return listed(channel, access.allowFrom, senderId) ? ACCEPT : drop('sender not in allowFrom');
    case 'allowlist':
      return listed(channel, access.allowFrom, senderId)
        ? ACCEPT
        : drop('sender not in allowFrom (dmPolicy allowlist)');
    case 'pairing':
      if (listed(channel, access.allowFrom, senderId)) return ACCEPT;
      return approved.has(normalizeSenderId(channel, senderId)) ? ACCEPT : { action: 'pair' };
  }
}

/**
 * Groups and channels: which groups (`groups` is an allowlist once it lists any; without it `groupPolicy: open`
 * admits every group and `allowlist` none), then which senders (the group's `groupPolicy`, its own `allowFrom`,
 * else `groupAllowFrom`, else `allowFrom` — never the DM pairing approvals), then mention gating.
 */
function groupDecision(channel: string, access: ChannelAccess, message: InboundMessage): AccessDecision {
  if (access.groupPolicy === 'disabled') return drop('groups are disabled (groupPolicy disabled)');
  const configured = Object.keys(access.groups).length > 0;
  const entry = access.groups[message.chatId] ?? access.groups['*'];
  if (configured && !entry) return drop(`group ${message.chatId} is not in groups`);
  if (!configured && access.groupPolicy !== 'open')
    return drop('no groups are allowed (groupPolicy allowlist, no groups)');
  if (entry?.enabled === false) return drop(`group ${message.chatId} is disabled`);
  const policy = entry?.groupPolicy ?? access.groupPolicy;
  if (policy === 'disabled') return drop(`group ${message.chatId} is disabled (groupPolicy disabled)`);
  if (policy === 'allowlist') {
    const senders =
      entry?.allowFrom ?? (access.groupAllowFrom.length > 0 ? access.groupAllowFrom : access.allowFrom);
    if (!listed(channel, senders, message.senderId)) return drop('sender not allowed in this group');
  }
  const requireMention = entry?.requireMention ?? access.requireMention;
  if (requireMention && message.wasMentioned !== true) return drop('not mentioned (requireMention)');
  return ACCEPT;
}

export function decideAccess(
  channel: string,
  access: ChannelAccess,
  message: InboundMessage,
  approved: ReadonlySet<string>,
): AccessDecision {
  if (message.peerKind === 'direct') return directDecision(channel, access, message.senderId, approved);
  return groupDecision(channel, access, message);
}
