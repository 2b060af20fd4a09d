import type { ModelCost } from '../config/types.ts';
import type { SessionRecord, UsageBucket } from '../storage/store.ts';
import type { UsageRange } from './date-range.ts';

/**
 * Builds OpenClaw's usage report shapes (`sessions.usage`, `usage.cost`; what the Control UI's Usage page and
 * `openclaw gateway usage-cost` read) from the store's quarter-hour buckets. Costs come from the configured
 * per-model prices; tokens of a model without one count as `missingCostEntries`, never as free.
 */

export type CostTotals = {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  totalCost: number;
  inputCost: number;
  outputCost: number;
  cacheReadCost: number;
  cacheWriteCost: number;
  missingCostEntries: number;
};

type MessageCounts = {
  total: number;
  user: number;
  assistant: number;
  toolCalls: number;
  toolResults: number;
  errors: number;
};
type ModelUsage = { provider?: string; model?: string; count: number; totals: CostTotals };
type DailyModel = {
  date: string;
  provider?: string;
  model?: string;
  tokens: number;
  cost: number;
  count: number;
};

/** The price of a provider's model, if configured. */
export type PriceOf = (provider: string | undefined, model: string | undefined) => ModelCost | undefined;

/** Sessions whose creator is not recorded (clawgate records none yet), as OpenClaw keys them. */
export const UNKNOWN_CREATOR = '["unknown"]';

export const emptyTotals = (): CostTotals => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: 0,
  totalCost: 0,
  inputCost: 0,
  outputCost: 0,
  cacheReadCost: 0,
  cacheWriteCost: 0,
  missingCostEntries: 0,
});

const emptyCounts = (): MessageCounts => ({
  total: 0,
  user: 0,
  assistant: 0,
  toolCalls: 0,
  toolResults: 0,
  errors: 0,
});

const TOTAL_KEYS = Object.keys(emptyTotals()) as (keyof CostTotals)[];
const COUNT_KEYS = Object.keys(emptyCounts()) as (keyof MessageCounts)[];

// Over fixed keys: targets may carry a `date` or `quarterIndex` beside the sums.
function addTotals(target: CostTotals, source: CostTotals): void {
  for (const key of TOTAL_KEYS) target[key] += source[key];
}

function addCounts(target: MessageCounts, source: MessageCounts): void {
  for (const key of COUNT_KEYS) target[key] += source[key];
}

const modelKey = (provider?: string, model?: string) =>
  JSON.stringify([provider ?? 'unknown', model ?? 'unknown']);

function bucketTotals(bucket: UsageBucket, priceOf: PriceOf): CostTotals {
  const totals = emptyTotals();
  const tokens = bucket.total || bucket.input + bucket.output;
  if (tokens === 0) return totals;
  totals.input = bucket.input;
  totals.output = bucket.output;
  totals.totalTokens = tokens;
  const price = priceOf(bucket.provider, bucket.model);
  if (!price || (price.input === undefined && price.output === undefined)) {
    totals.missingCostEntries = bucket.messages;
    return totals;
  }
  totals.inputCost = (bucket.input * (price.input ?? 0)) / 1e6;
  totals.outputCost = (bucket.output * (price.output ?? 0)) / 1e6;
  totals.totalCost = totals.inputCost + totals.outputCost;
  return totals;
}

function bucketCounts(bucket: UsageBucket): MessageCounts {
  const counts = emptyCounts();
  if (bucket.role === 'user') counts.user = bucket.messages;
  else if (bucket.role === 'assistant') counts.assistant = bucket.messages;
  counts.total = counts.user + counts.assistant;
  counts.errors = bucket.errors;
  return counts;
}

const byDate = <T extends { date: string }>(rows: Iterable<T>) =>
  [...rows].sort((a, b) => a.date.localeCompare(b.date));
const byCost = (a: { totals: CostTotals }, b: { totals: CostTotals }) =>
  b.totals.totalCost - a.totals.totalCost || b.totals.totalTokens - a.totals.totalTokens;

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

/** Adds a day's tokens, cost and messages of one model to its row. */
function addDailyModel(rows: Map<string, DailyModel>, add: DailyModel): void {
  const row = getOr(rows, `${add.date}\n${modelKey(add.provider, add.model)}`, () => ({
    ...add,
    tokens: 0,
    cost: 0,
    count: 0,
  }));
  row.tokens += add.tokens;
  row.cost += add.cost;
  row.count += add.count;
}

/** One session's usage in the range: OpenClaw's SessionCostSummary. */
function sessionSummary(
  sessionId: string | undefined,
  buckets: UsageBucket[],
  range: UsageRange,
  priceOf: PriceOf,
) {
  const totals = emptyTotals();
  const messageCounts = emptyCounts();
  const daily = new Map<string, CostTotals>();
  const dailyMessages = new Map<string, MessageCounts & { date: string }>();
  const quarterMessages = new Map<number, MessageCounts & { date: string; quarterIndex: number }>();
  const quarterTokens = new Map<number, { date: string; quarterIndex: number; totals: CostTotals }>();
  const models = new Map<string, ModelUsage>();
  const dailyModels = new Map<string, DailyModel>();
  let firstActivity: number | undefined;
  let lastActivity: number | undefined;
  for (const bucket of buckets) {
    const date = range.dayOf(bucket.firstMs);
    const cost = bucketTotals(bucket, priceOf);
    const counts = bucketCounts(bucket);
    firstActivity = Math.min(firstActivity ?? bucket.firstMs, bucket.firstMs);
    lastActivity = Math.max(lastActivity ?? bucket.lastMs, bucket.lastMs);
    addTotals(totals, cost);
    addCounts(messageCounts, counts);
    addTotals(getOr(daily, date, emptyTotals), cost);
    addCounts(
      getOr(dailyMessages, date, () => ({ date, ...emptyCounts() })),
      counts,
    );
    const utc = new Date(bucket.bucketMs);
    const quarter = {
      date: utc.toISOString().slice(0, 10),
      quarterIndex: utc.getUTCHours() * 4 + Math.floor(utc.getUTCMinutes() / 15),
    };
    addCounts(
      getOr(quarterMessages, bucket.bucketMs, () => ({ ...quarter, ...emptyCounts() })),
      counts,
    );
    addTotals(
      getOr(quarterTokens, bucket.bucketMs, () => ({ ...quarter, totals: emptyTotals() })).totals,
      cost,
    );
    if (cost.totalTokens === 0 || (!bucket.provider && !bucket.model)) continue;
    const key = modelKey(bucket.provider, bucket.model);
    const model = getOr(models, key, () => ({
      provider: bucket.provider,
      model: bucket.model,
      count: 0,
      totals: emptyTotals(),
    }));
    model.count += bucket.messages;
    addTotals(model.totals, cost);
    addDailyModel(dailyModels, {
      date,
      provider: bucket.provider,
      model: bucket.model,
      tokens: cost.totalTokens,
      cost: cost.totalCost,
      count: bucket.messages,
    });
  }
  const activityDates = byDate([...daily.keys()].map((date) => ({ date }))).map(({ date }) => date);
  const quarterOrder = <T>(map: Map<number, T>) =>
    [...map.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  return {
    ...(sessionId ? { sessionId } : {}),
    ...(firstActivity === undefined
      ? {}
      : { firstActivity, lastActivity, durationMs: lastActivity! - firstActivity }),
    activityDates,
    dailyBreakdown: byDate(
      [...daily].map(([date, day]) => ({ date, tokens: day.totalTokens, cost: day.totalCost, ...day })),
    ),
    dailyMessageCounts: byDate(dailyMessages.values()),
    ...(quarterMessages.size ? { utcQuarterHourMessageCounts: quarterOrder(quarterMessages) } : {}),
    ...(quarterTokens.size
      ? {
          utcQuarterHourTokenUsage: quarterOrder(quarterTokens).map(({ date, quarterIndex, totals }) => ({
            date,
            quarterIndex,
            input: totals.input,
            output: totals.output,
            cacheRead: totals.cacheRead,
            cacheWrite: totals.cacheWrite,
            totalTokens: totals.totalTokens,
            totalCost: totals.totalCost,
          })),
        }
      : {}),
    ...(dailyModels.size
      ? {
          dailyModelUsage: byDate(dailyModels.values()).sort(
            (a, b) => a.date.localeCompare(b.date) || b.cost - a.cost,
          ),
        }
      : {}),
    messageCounts,
    toolUsage: { totalCalls: 0, uniqueTools: 0, tools: [] },
    modelUsage: [...models.values()].sort(byCost),
    ...totals,
  };
}

type SessionSummary = ReturnType<typeof sessionSummary>;

/** The gateway-wide aggregates the Usage page charts (OpenClaw's `aggregates`). */
function aggregate(rows: { usage: SessionSummary; agentId: string }[]) {
  const messages = emptyCounts();
  const models = new Map<string, ModelUsage>();
  const providers = new Map<string, ModelUsage>();
  const agents = new Map<string, CostTotals>();
  const costDaily = new Map<string, CostTotals>();
  const days = new Map<
    string,
    { date: string; tokens: number; cost: number; messages: number; toolCalls: number; errors: number }
  >();
  const dailyModels = new Map<string, DailyModel>();
  const creator = {
    key: UNKNOWN_CREATOR,
    totals: emptyTotals(),
    sessionCount: 0,
    daily: new Map<string, CostTotals>(),
  };
  const activity = new Map<string, { dates: string[]; sessionCount: number }>();
  let sessionCount = 0;
  let longestSessionDurationMs = 0;
  const day = (date: string) =>
    getOr(days, date, () => ({ date, tokens: 0, cost: 0, messages: 0, toolCalls: 0, errors: 0 }));
  for (const { usage, agentId } of rows) {
    const counted = usage.firstActivity !== undefined || usage.messageCounts.total > 0;
    if (counted) sessionCount += 1;
    longestSessionDurationMs = Math.max(longestSessionDurationMs, usage.durationMs ?? 0);
    addCounts(messages, usage.messageCounts);
    for (const entry of usage.modelUsage) {
      for (const [map, key, model] of [
        [models, modelKey(entry.provider, entry.model), entry.model],
        [providers, entry.provider ?? 'unknown', undefined],
      ] as const) {
        const merged = getOr(map, key, () => ({
          provider: entry.provider,
          model,
          count: 0,
          totals: emptyTotals(),
        }));
        merged.count += entry.count;
        addTotals(merged.totals, entry.totals);
      }
    }
    addTotals(getOr(agents, agentId, emptyTotals), usage);
    addTotals(creator.totals, usage);
    if (counted) {
      creator.sessionCount += 1;
      const key = JSON.stringify(usage.activityDates);
      getOr(activity, key, () => ({ dates: usage.activityDates, sessionCount: 0 })).sessionCount += 1;
    }
    for (const row of usage.dailyBreakdown) {
      const { date, tokens, cost, ...totals } = row;
      day(date).tokens += tokens;
      day(date).cost += cost;
      addTotals(getOr(costDaily, date, emptyTotals), totals);
      addTotals(getOr(creator.daily, date, emptyTotals), totals);
    }
    for (const row of usage.dailyMessageCounts) {
      day(row.date).messages += row.total;
      day(row.date).toolCalls += row.toolCalls;
      day(row.date).errors += row.errors;
    }
    for (const row of usage.dailyModelUsage ?? []) addDailyModel(dailyModels, row);
  }
  const { daily: creatorDaily, ...creatorRest } = creator;
  return {
    sessionCount,
    ...(longestSessionDurationMs > 0 ? { longestSessionDurationMs } : {}),
    messages,
    tools: { totalCalls: 0, uniqueTools: 0, tools: [] },
    byModel: [...models.values()].sort(byCost),
    byProvider: [...providers.values()].sort(byCost),
    byAgent: [...agents].map(([agentId, totals]) => ({ agentId, totals })).sort(byCost),
    byChannel: [],
    byCreator:
      rows.length === 0
        ? []
        : [
            {
              ...creatorRest,
              daily: byDate([...creatorDaily].map(([date, totals]) => ({ date, ...totals }))),
              sessionActivity: [...activity.values()].sort((a, b) =>
                a.dates.join().localeCompare(b.dates.join()),
              ),
            },
          ],
    costDaily: byDate([...costDaily].map(([date, totals]) => ({ date, ...totals }))),
    dailyLatency: [],
    modelDaily: byDate(dailyModels.values()).sort((a, b) => a.date.localeCompare(b.date) || b.cost - a.cost),
    daily: byDate(days.values()),
  };
}

/** `sessions.usage`: per-session rows (at most `limit`) and totals over every matching session. */
export function sessionsUsageReport(options: {
  sessions: SessionRecord[];
  buckets: UsageBucket[];
  range: UsageRange;
  priceOf: PriceOf;
  limit: number;
  now: number;
}) {
  const byKey = new Map<string, UsageBucket[]>();
  for (const bucket of options.buckets) getOr(byKey, bucket.sessionKey, () => []).push(bucket);
  const rows = options.sessions
    .map((session) => ({
      session,
      agentId: session.agentId,
      usage: sessionSummary(session.sessionId, byKey.get(session.key) ?? [], options.range, options.priceOf),
    }))
    .filter(({ usage }) => usage.firstActivity !== undefined)
    .sort((a, b) => (b.usage.lastActivity ?? 0) - (a.usage.lastActivity ?? 0));
  const totals = emptyTotals();
  for (const { usage } of rows) addTotals(totals, usage);
  return {
    updatedAt: options.now,
    startDate: options.range.startDate,
    endDate: options.range.endDate,
    sessions: rows.slice(0, options.limit).map(({ session, usage }) => ({
      key: session.key,
      ...(session.label ? { label: session.label } : {}),
      sessionId: session.sessionId,
      scope: 'instance',
      updatedAt: session.updatedAt,
      agentId: session.agentId,
      creatorKey: UNKNOWN_CREATOR,
      ...(session.model ? { model: session.model } : {}),
      usage,
      hasContextWeight: false,
    })),
    totals,
    aggregates: aggregate(rows),
    creatorOptions: rows.length === 0 ? [] : [{ key: UNKNOWN_CREATOR }],
  };
}

/** `usage.cost`: one row per calendar day of the range (zeros included) and the range's totals. */
export function costReport(options: {
  buckets: UsageBucket[];
  range: UsageRange;
  days: string[];
  priceOf: PriceOf;
  now: number;
}) {
  const daily = new Map(options.days.map((date) => [date, emptyTotals()]));
  const totals = emptyTotals();
  for (const bucket of options.buckets) {
    const cost = bucketTotals(bucket, options.priceOf);
    addTotals(getOr(daily, options.range.dayOf(bucket.firstMs), emptyTotals), cost);
    addTotals(totals, cost);
  }
  return {
    updatedAt: options.now,
    days: daily.size,
    daily: byDate([...daily].map(([date, day]) => ({ date, ...day }))),
    totals,
  };
}
