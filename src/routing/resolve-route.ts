import { defaultAgentId, listAgents } from '../agents/registry.ts';
import type { BindingConfig, DmScope, GatewayConfig, GroupScope, PeerKind } from '../config/types.ts';
import { DEFAULT_ACCOUNT_ID, mainSessionKey, peerSessionKey } from './session-key.ts';
import type { MatchedBy, ResolvedRoute, RouteInput } from './types.ts';

/**
 * Routes remembered per config object. Each distinct (channel, account, peer, parent, guild, team, roles) tuple
 * takes one entry, so a stream of new peers would grow the map without end; past this many the least recently
 * used entry goes. A config change swaps the whole config object, which drops its table with it.
 */
export const ROUTE_CACHE_MAX_ENTRIES = 1024;

/** A binding's tier: the most specific thing it matches on. Tiers are tried in this order. */
type Tier = 'peer' | 'peer.wildcard' | 'guild+roles' | 'guild' | 'team' | 'account' | 'channel';

type Peer = { kind: PeerKind; id: string };

type CompiledBinding = {
  agentId: string;
  channel: string;
  /** `*` for any account. */
  account: string;
  peer?: Peer;
  guildId?: string;
  teamId?: string;
  roles?: ReadonlySet<string>;
  dmScope?: DmScope;
  groupScope?: GroupScope;
};

type RouteTable = {
  tiers: Record<Tier, CompiledBinding[]>;
  defaultAgentId: string;
  routes: Map<string, ResolvedRoute>;
};

type Query = {
  channel: string;
  account: string;
  peer?: Peer;
  parentPeer?: Peer;
  guildId?: string;
  teamId?: string;
  roles: string[];
};

const tables = new WeakMap<GatewayConfig, RouteTable>();

/**
 * Which agent answers a message from `input`, and in which session (OpenClaw's channel routing). Bindings are
 * tried tier by tier: exact peer → parent peer (a thread inherits its parent's binding) → peer wildcard →
 * guild + roles → guild → team → account → channel (`accountId: "*"`) → the default agent. Within a tier the
 * first binding in config order wins, and every field a binding sets must match (AND).
 */
export function resolveAgentRoute(input: RouteInput, config: GatewayConfig): ResolvedRoute {
  const table = routeTable(config);
  const query = normalizeInput(input);
  const cacheKey = JSON.stringify([
    query.channel,
    query.account,
    query.peer?.kind,
    query.peer?.id,
    query.parentPeer?.kind,
    query.parentPeer?.id,
    query.guildId,
    query.teamId,
    query.roles,
  ]);
  const cached = table.routes.get(cacheKey);
  if (cached) {
    // Re-inserting moves the entry to the end of the Map's order: the front is the least recently used.
    table.routes.delete(cacheKey);
    table.routes.set(cacheKey, cached);
    return cached;
  }
  const route = Object.freeze(computeRoute(table, query, config));
  if (table.routes.size >= ROUTE_CACHE_MAX_ENTRIES) {
    const oldest = table.routes.keys().next().value;
    if (oldest !== undefined) table.routes.delete(oldest);
  }
  table.routes.set(cacheKey, route);
  return route;
}

function computeRoute(table: RouteTable, query: Query, config: GatewayConfig): ResolvedRoute {
  const found = findBinding(table, query);
  const agentId = found?.binding.agentId ?? table.defaultAgentId;
  const { mainKey, scope } = config.session;
  return {
    agentId,
    sessionKey: peerSessionKey({
      agentId,
      mainKey,
      scope,
      dmScope: found?.binding.dmScope ?? config.session.dmScope,
      groupScope: found?.binding.groupScope ?? config.session.groupScope,
      channel: query.channel,
      accountId: query.account,
      peer: query.peer,
    }),
    mainSessionKey: mainSessionKey(agentId, mainKey, scope),
    matchedBy: found?.matchedBy ?? 'default',
  };
}

type Found = { binding: CompiledBinding; matchedBy: MatchedBy };

function findBinding(table: RouteTable, query: Query): Found | undefined {
  const { tiers } = table;
  const { peer, parentPeer } = query;
  const pick = (
    matchedBy: MatchedBy,
    list: CompiledBinding[],
    peerTest?: (b: CompiledBinding) => boolean,
  ) => {
    const binding = list.find((b) => (peerTest === undefined || peerTest(b)) && matchesScope(b, query));
    return binding ? { binding, matchedBy } : undefined;
  };
  return (
    (peer ? pick('binding.peer', tiers.peer, (b) => samePeer(b.peer, peer)) : undefined) ??
    (parentPeer ? pick('binding.peer.parent', tiers.peer, (b) => samePeer(b.peer, parentPeer)) : undefined) ??
    (peer
      ? pick('binding.peer.wildcard', tiers['peer.wildcard'], (b) => b.peer?.kind === peer.kind)
      : undefined) ??
    pick('binding.guild+roles', tiers['guild+roles']) ??
    pick('binding.guild', tiers.guild) ??
    pick('binding.team', tiers.team) ??
    pick('binding.account', tiers.account) ??
    pick('binding.channel', tiers.channel)
  );
}

function samePeer(a: Peer | undefined, b: Peer): boolean {
  return a !== undefined && a.kind === b.kind && a.id === b.id;
}

/** The fields every tier checks: channel, account, and whichever of guild, team and roles the binding sets. */
function matchesScope(binding: CompiledBinding, query: Query): boolean {
  if (binding.channel !== query.channel) return false;
  if (binding.account !== '*' && binding.account !== query.account) return false;
  if (binding.guildId !== undefined && binding.guildId !== query.guildId) return false;
  if (binding.teamId !== undefined && binding.teamId !== query.teamId) return false;
  // Any one of the listed roles is enough, as a Discord role allowlist reads.
  if (binding.roles !== undefined && !query.roles.some((role) => binding.roles?.has(role))) return false;
  return true;
}

/** Ids compare trimmed and case-insensitively, like the lowercased session keys built from them. */
const norm = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim().toLowerCase();
  return trimmed ? trimmed : undefined;
};

function normalizeInput(input: RouteInput): Query {
  const peerOf = (peer: RouteInput['peer']): Peer | undefined => {
    const id = norm(peer?.id);
    return peer && id ? { kind: peer.kind, id } : undefined;
  };
  const roles = (input.roles ?? []).map(norm).filter((role): role is string => role !== undefined);
  return {
    channel: norm(input.channel) ?? '',
    account: norm(input.accountId) ?? DEFAULT_ACCOUNT_ID,
    peer: peerOf(input.peer),
    parentPeer: peerOf(input.parentPeer),
    guildId: norm(input.guildId),
    teamId: norm(input.teamId),
    roles: [...new Set(roles)].sort(),
  };
}

function routeTable(config: GatewayConfig): RouteTable {
  let table = tables.get(config);
  if (table) return table;
  const tiers: RouteTable['tiers'] = {
    peer: [],
    'peer.wildcard': [],
    'guild+roles': [],
    guild: [],
    team: [],
    account: [],
    channel: [],
  };
  const known = new Set(listAgents(config).map((agent) => agent.id));
  for (const binding of config.bindings) {
    const compiled = compileBinding(binding);
    // buildConfig refuses unknown agent ids; a hand-built config (tests, embedders) skips them instead.
    if (!known.has(compiled.agentId)) continue;
    tiers[tierOf(compiled)].push(compiled);
  }
  table = { tiers, defaultAgentId: defaultAgentId(config), routes: new Map() };
  tables.set(config, table);
  return table;
}

function compileBinding(binding: BindingConfig): CompiledBinding {
  const { match } = binding;
  const peerId = norm(match.peer?.id);
  const roles = (match.roles ?? []).map(norm).filter((role): role is string => role !== undefined);
  return {
    agentId: binding.agentId.toLowerCase(),
    channel: norm(match.channel) ?? '',
    // OpenClaw: an omitted accountId means the channel's default account, not every account.
    account: norm(match.accountId) ?? DEFAULT_ACCOUNT_ID,
    peer: match.peer && peerId ? { kind: match.peer.kind, id: peerId } : undefined,
    guildId: norm(match.guildId),
    teamId: norm(match.teamId),
    roles: roles.length > 0 ? new Set(roles) : undefined,
    dmScope: binding.session?.dmScope,
    groupScope: binding.session?.groupScope,
  };
}

function tierOf(binding: CompiledBinding): Tier {
  if (binding.peer) return binding.peer.id === '*' ? 'peer.wildcard' : 'peer';
  if (binding.roles) return 'guild+roles';
  if (binding.guildId !== undefined) return 'guild';
  if (binding.teamId !== undefined) return 'team';
  return binding.account === '*' ? 'channel' : 'account';
}
