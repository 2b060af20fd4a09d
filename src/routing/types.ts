/** Where an inbound message came from, as resolveAgentRoute sees it. */
export type RouteInput = {
  channel: string;
  accountId?: string;
  peer?: { kind: 'direct' | 'group' | 'channel'; id: string };
  parentPeer?: { kind: 'direct' | 'group' | 'channel'; id: string };
  guildId?: string;
  teamId?: string;
  roles?: string[];
};

export type MatchedBy =
  | 'binding.peer'
  | 'binding.peer.parent'
  | 'binding.peer.wildcard'
  | 'binding.guild+roles'
  | 'binding.guild'
  | 'binding.team'
  | 'binding.account'
  | 'binding.channel'
  | 'default';

export type ResolvedRoute = {
  agentId: string;
  sessionKey: string;
  mainSessionKey: string;
  matchedBy: MatchedBy;
};
