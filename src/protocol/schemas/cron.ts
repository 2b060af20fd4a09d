import { type TProperties, Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });
const opt = Type.Optional;
const lit = (...values: string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const NullableNonEmpty = Type.Union([NonEmpty, Type.Null()]);
/**
 * Schedule, payload and delivery are checked kind by kind in cron/job-input.ts, which names the field and says
 * which of OpenClaw's kinds clawgate does not run; here only their shape as objects with a `kind`/`mode`.
 */
const Kinded = Type.Object({ kind: Type.String() }, { additionalProperties: true });
const Delivery = Type.Object({ mode: Type.String() }, { additionalProperties: true });
const JobRef = { id: opt(NonEmpty), jobId: opt(NonEmpty) } satisfies TProperties;

/** The job fields `cron.add` and `cron.update`'s patch share (OpenClaw's CronAddParams). */
const JOB_FIELDS = {
  displayName: opt(Type.String({ minLength: 1, maxLength: 200 })),
  description: opt(Type.String()),
  agentId: opt(NullableNonEmpty),
  sessionKey: opt(NullableNonEmpty),
  enabled: opt(Type.Boolean()),
  deleteAfterRun: opt(Type.Boolean()),
  schedule: opt(Kinded),
  sessionTarget: opt(Type.String({ minLength: 1 })),
  wakeMode: opt(Type.String({ minLength: 1 })),
  payload: opt(Kinded),
  delivery: opt(Delivery),
  // Accepted and ignored (OpenClaw's scheduling metadata clawgate does not act on).
  declarationKey: opt(NonEmpty),
  owner: opt(Type.Object({}, { additionalProperties: true })),
  failureAlert: opt(Type.Unknown()),
} satisfies TProperties;

export const CRON_PARAM_SCHEMAS = {
  'cron.status': Type.Object({}, { additionalProperties: false }),
  'cron.list': Type.Object(
    {
      includeDisabled: opt(Type.Boolean()),
      limit: opt(Type.Integer({ minimum: 1, maximum: 200 })),
      offset: opt(Type.Integer({ minimum: 0 })),
      query: opt(Type.String()),
      enabled: opt(lit('all', 'enabled', 'disabled')),
      scheduleKind: opt(lit('all', 'at', 'every', 'cron', 'on-exit', 'stream')),
      lastRunStatus: opt(lit('all', 'ok', 'error', 'skipped', 'unknown')),
      trigger: opt(lit('all', 'conditional', 'unconditional')),
      sortBy: opt(lit('nextRunAtMs', 'updatedAtMs', 'name')),
      sortDir: opt(lit('asc', 'desc')),
      agentId: opt(NonEmpty),
      compact: opt(Type.Boolean()),
      includeDeliveryPreviews: opt(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  'cron.get': Type.Object(JobRef, { additionalProperties: false }),
  'cron.add': Type.Object(
    {
      ...JOB_FIELDS,
      name: NonEmpty,
      schedule: Kinded,
      sessionTarget: Type.String({ minLength: 1 }),
      wakeMode: Type.String({ minLength: 1 }),
      payload: Kinded,
    },
    { additionalProperties: false },
  ),
  'cron.update': Type.Object(
    {
      ...JobRef,
      expectedConfigRevision: opt(Type.String({ minLength: 1, maxLength: 128 })),
      patch: Type.Object(
        {
          ...JOB_FIELDS,
          name: opt(NonEmpty),
          displayName: opt(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  'cron.remove': Type.Object(JobRef, { additionalProperties: false }),
  'cron.run': Type.Object(
    { ...JobRef, mode: opt(lit('due', 'force', 'if-enabled')), expectedProcessInstanceId: opt(NonEmpty) },
    { additionalProperties: false },
  ),
  'cron.runs': Type.Object(
    {
      agentId: opt(NonEmpty),
      scope: opt(lit('job', 'all')),
      id: opt(Type.String({ minLength: 1, pattern: '^[^/\\\\]+$' })),
      jobId: opt(Type.String({ minLength: 1, pattern: '^[^/\\\\]+$' })),
      runId: opt(NonEmpty),
      limit: opt(Type.Integer({ minimum: 1, maximum: 200 })),
      offset: opt(Type.Integer({ minimum: 0 })),
      statuses: opt(Type.Array(lit('ok', 'error', 'skipped'), { minItems: 1, maxItems: 3 })),
      status: opt(lit('all', 'ok', 'error', 'skipped')),
      deliveryStatuses: opt(
        Type.Array(lit('delivered', 'not-delivered', 'unknown', 'not-requested'), {
          minItems: 1,
          maxItems: 4,
        }),
      ),
      deliveryStatus: opt(lit('delivered', 'not-delivered', 'unknown', 'not-requested')),
      query: opt(Type.String()),
      sortDir: opt(lit('asc', 'desc')),
    },
    { additionalProperties: false },
  ),
  'tasks.list': Type.Object(
    {
      status: opt(
        Type.Union([
          lit('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out'),
          Type.Array(lit('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out')),
        ]),
      ),
      agentId: opt(NonEmpty),
      sessionKey: opt(NonEmpty),
      limit: opt(Type.Integer({ minimum: 1, maximum: 500 })),
      cursor: opt(Type.String()),
      // OpenClaw 2026.9.6's Tasks page sends it (newer than the pinned schema): finished tasks, latest first.
      sortBy: opt(lit('createdAt', 'endedAt', 'updatedAt')),
    },
    { additionalProperties: false },
  ),
  'tasks.get': Type.Object({ taskId: NonEmpty }, { additionalProperties: false }),
  'tasks.cancel': Type.Object(
    { taskId: NonEmpty, reason: opt(Type.String()) },
    { additionalProperties: false },
  ),
  wake: Type.Object(
    { mode: lit('now', 'next-heartbeat'), text: NonEmpty, sessionKey: opt(NonEmpty), agentId: opt(NonEmpty) },
    { additionalProperties: true },
  ),
  'set-heartbeats': Type.Object({ enabled: Type.Boolean() }, { additionalProperties: true }),
} as const;
