import { defaultAgentId, isKnownAgent } from '../agents/registry.ts';
import { chatTarget } from '../chat/targets.ts';
import type { GatewayConfig } from '../config/types.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { SESSIONS_READ } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import { daysOf, resolveUsageRange, type UsageRangeParams } from './date-range.ts';
import { costReport, type PriceOf, sessionsUsageReport, UNKNOWN_CREATOR } from './usage-report.ts';

const DEFAULT_SESSION_ROWS = 50;
/** Sessions a report looks at; the newest first. */
const MAX_REPORT_SESSIONS = 10_000;

function priceOf(config: GatewayConfig): PriceOf {
  return (provider, model) =>
    provider === undefined
      ? undefined
      : config.models.providers[provider]?.models?.find((m) => m.id === model)?.cost;
}

/** OpenClaw's scoping: one agent (the named one, the key's, or the default), or every agent with `agentScope: "all"`. */
function agentFilter(
  ctx: HandlerContext,
  method: string,
  params: { agentId?: string; agentScope?: 'all'; key?: string },
): { agentId?: string; sessionKey?: string } {
  const config = ctx.configState.config;
  if (params.agentScope === 'all') {
    if (params.agentId || params.key) {
      throw new GatewayError(
        'INVALID_REQUEST',
        `invalid ${method} params: agentScope all cannot be combined with key or agentId`,
      );
    }
    return {};
  }
  if (params.key) {
    const target = chatTarget(config, { sessionKey: params.key, agentId: params.agentId }, method, 'key');
    return { agentId: target.agentId, sessionKey: target.sessionKey };
  }
  if (params.agentId && !isKnownAgent(config, params.agentId)) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `invalid ${method} params: agentId: unknown agent "${params.agentId}"`,
    );
  }
  return { agentId: params.agentId ?? defaultAgentId(config) };
}

export const usageMethods = defineMethods({
  /** Token and cost report per session for the Usage page; OpenClaw answers it without advertising it. */
  'sessions.usage': {
    access: SESSIONS_READ,
    advertised: false,
    handler: async (params, { gateway }) => {
      const now = gateway.now();
      const range = resolveUsageRange(params as UsageRangeParams, now);
      const filter = agentFilter(gateway, 'sessions.usage', params);
      // Every session's creator is unrecorded, so a filter on any other creator matches nothing.
      const noCreator = params.creatorKey !== undefined && params.creatorKey !== UNKNOWN_CREATOR;
      const [buckets, sessions] = noCreator
        ? [[], []]
        : await Promise.all([
            gateway.store.usageBuckets({ startMs: range.startMs, endMs: range.endMs, ...filter }),
            filter.sessionKey
              ? gateway.store.getSession(filter.sessionKey).then((session) => (session ? [session] : []))
              : gateway.store.listSessions({
                  agentId: filter.agentId,
                  includeArchived: true,
                  limit: MAX_REPORT_SESSIONS,
                }),
          ]);
      return sessionsUsageReport({
        sessions,
        buckets,
        range,
        priceOf: priceOf(gateway.configState.config),
        limit: params.limit ?? DEFAULT_SESSION_ROWS,
        now,
      });
    },
  },

  /** Daily token and cost totals (`openclaw gateway usage-cost`, the Usage page's cost chart). */
  'usage.cost': {
    access: SESSIONS_READ,
    handler: async (params, { gateway }) => {
      const now = gateway.now();
      const range = resolveUsageRange(params as UsageRangeParams, now);
      const filter = agentFilter(gateway, 'usage.cost', params);
      const buckets = await gateway.store.usageBuckets({
        startMs: range.startMs,
        endMs: range.endMs,
        ...filter,
      });
      return {
        ...costReport({
          buckets,
          range,
          days: daysOf(range),
          priceOf: priceOf(gateway.configState.config),
          now,
        }),
        // Read live from the store each time: never partial, nothing pending.
        cacheStatus: { status: 'fresh', cachedFiles: 0, pendingFiles: 0, staleFiles: 0 },
      };
    },
  },

  /**
   * Provider-reported plans, quotas and balances. clawgate's providers are API-key endpoints, which publish
   * none (OpenClaw reports them only for subscription logins and admin keys), so the list is empty by design.
   */
  'usage.status': {
    access: SESSIONS_READ,
    handler: (_params, { gateway }) => ({ updatedAt: gateway.now(), providers: [] }),
  },
});
