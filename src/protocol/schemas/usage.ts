import { type TProperties, Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });
const opt = Type.Optional;
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const lit = (...values: string[]) => Type.Union(values.map((value) => Type.Literal(value)));

/** The date params both usage reports take (OpenClaw's SessionsUsageParams fields). */
const RANGE = {
  startDate: opt(Day),
  endDate: opt(Day),
  mode: opt(lit('utc', 'gateway', 'specific')),
  range: opt(lit('7d', '30d', '90d', '1y', 'all')),
  utcOffset: opt(Type.String({ pattern: '^UTC[+-]\\d{1,2}(?::[0-5]\\d)?$' })),
  timeZone: opt(NonEmpty),
  agentId: opt(NonEmpty),
  agentScope: opt(Type.Literal('all')),
} satisfies TProperties;

export const USAGE_PARAM_SCHEMAS = {
  // Closed, as OpenClaw's is; `creatorKey` is what its Usage page sends to filter by "Started by".
  'sessions.usage': Type.Object(
    {
      ...RANGE,
      key: opt(NonEmpty),
      groupBy: opt(lit('instance', 'family')),
      includeHistorical: opt(Type.Boolean()),
      limit: opt(Type.Integer({ minimum: 1 })),
      includeContextWeight: opt(Type.Boolean()),
      creatorKey: opt(NonEmpty),
    },
    { additionalProperties: false },
  ),
  // OpenClaw publishes no schema for these two: known fields typed, extras tolerated.
  'usage.cost': Type.Object(
    {
      ...RANGE,
      days: opt(Type.Union([Type.Integer({ minimum: 1 }), NonEmpty])),
      utcOffset: opt(Type.String()),
    },
    { additionalProperties: true },
  ),
  'usage.status': Type.Object({}, { additionalProperties: true }),
};
