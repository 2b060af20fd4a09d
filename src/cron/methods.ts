import { createHash } from 'node:crypto';
import { defaultAgentId, isKnownAgent } from '../agents/registry.ts';
import { GatewayError, invalidParams } from '../protocol/gateway-error.ts';
import { ADMIN, READ } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import { configRevision, wireJob } from './cron-service.ts';
import { type CronAddInput, type CronPatch, newJob, patchJob } from './job-input.ts';
import type { CronJob, RunStatus } from './types.ts';

const DEFAULT_RUNS_LIMIT = 50;

function jobIdOf(method: string, params: { id?: string; jobId?: string }): string {
  const id = params.id ?? params.jobId;
  if (!id) throw invalidParams(method, 'id (or jobId) is required');
  return id;
}

/** OpenClaw's not-found answer: INVALID_REQUEST with `details.code: CRON_JOB_NOT_FOUND`. */
function notFound(jobId: string): GatewayError {
  return new GatewayError(
    'INVALID_REQUEST',
    `cron job not found: ${jobId}; list the jobs and retry with a current id`,
    {
      details: { code: 'CRON_JOB_NOT_FOUND', jobId },
    },
  );
}

function checkAgent(ctx: HandlerContext, method: string, agentId: string | null | undefined): void {
  if (agentId && !isKnownAgent(ctx.configState.config, agentId)) {
    throw invalidParams(method, `agentId: unknown agent "${agentId}"`);
  }
}

/** What `cron.list` with `compact` answers per job: the columns of a list view, not the whole job. */
function compactJob(job: CronJob): Record<string, unknown> {
  const { state } = job;
  return {
    id: job.id,
    name: job.name,
    ...(job.agentId ? { agentId: job.agentId } : {}),
    updatedAtMs: job.updatedAtMs,
    ...(job.declarationKey ? { declarationKey: job.declarationKey } : {}),
    ...(job.displayName ? { displayName: job.displayName } : {}),
    enabled: job.enabled,
    ...(state.nextRunAtMs === undefined
      ? {}
      : { nextRunAt: new Date(state.nextRunAtMs).toISOString(), nextRunAtMs: state.nextRunAtMs }),
    scheduleKind: job.schedule.kind,
    schedule: job.schedule,
    ...(state.lastRunAtMs === undefined
      ? {}
      : { lastRunAt: new Date(state.lastRunAtMs).toISOString(), lastRunAtMs: state.lastRunAtMs }),
    ...(state.lastRunStatus === undefined ? {} : { lastRunStatus: state.lastRunStatus }),
    ...(state.lastError === undefined ? {} : { lastRunError: state.lastError }),
    ...(state.lastDeliveryStatus === undefined ? {} : { lastDeliveryStatus: state.lastDeliveryStatus }),
  };
}

type ListParams = {
  includeDisabled?: boolean;
  enabled?: 'all' | 'enabled' | 'disabled';
  query?: string;
  scheduleKind?: string;
  lastRunStatus?: string;
  agentId?: string;
  sortBy?: 'nextRunAtMs' | 'updatedAtMs' | 'name';
  sortDir?: 'asc' | 'desc';
};

function matches(job: CronJob, params: ListParams, fallbackAgent: string): boolean {
  // Disabled jobs are hidden unless asked for, as OpenClaw's default list hides them.
  const enabled = params.enabled ?? (params.includeDisabled ? 'all' : 'enabled');
  if (enabled === 'enabled' && !job.enabled) return false;
  if (enabled === 'disabled' && job.enabled) return false;
  if (params.scheduleKind && params.scheduleKind !== 'all' && job.schedule.kind !== params.scheduleKind)
    return false;
  if (params.lastRunStatus && params.lastRunStatus !== 'all') {
    const status = job.state.lastRunStatus ?? 'unknown';
    if (status !== params.lastRunStatus) return false;
  }
  if (params.agentId && (job.agentId ?? fallbackAgent) !== params.agentId) return false;
  if (params.query) {
    const needle = params.query.toLowerCase();
    const haystack = [job.id, job.name, job.displayName, job.description]
      .filter(Boolean)
      .join('\n')
      .toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

function sorter(params: ListParams): (a: CronJob, b: CronJob) => number {
  const dir = params.sortDir === 'desc' ? -1 : 1;
  const by = params.sortBy ?? 'nextRunAtMs';
  return (a, b) => {
    if (by === 'name') return dir * a.name.localeCompare(b.name);
    if (by === 'updatedAtMs') return dir * (a.updatedAtMs - b.updatedAtMs);
    // Jobs with no next run (disabled, spent) sort after every scheduled one, either way.
    const x = a.state.nextRunAtMs ?? Number.POSITIVE_INFINITY;
    const y = b.state.nextRunAtMs ?? Number.POSITIVE_INFINITY;
    if (x === y) return a.createdAtMs - b.createdAtMs;
    if (x === Number.POSITIVE_INFINITY) return 1;
    if (y === Number.POSITIVE_INFINITY) return -1;
    return dir * (x - y);
  };
}

function page<T>(items: T[], offset: number, limit: number) {
  const slice = items.slice(offset, offset + limit);
  const hasMore = offset + slice.length < items.length;
  return {
    total: items.length,
    offset,
    limit,
    hasMore,
    nextOffset: hasMore ? offset + slice.length : null,
    slice,
  };
}

function snapshotRevision(jobs: readonly CronJob[]): string {
  const hash = createHash('sha256');
  for (const job of jobs) hash.update(`${job.id}:${job.updatedAtMs}\n`);
  return `sha256:${hash.digest('base64url')}`;
}

const PREVIEW_NOT_REQUESTED = { label: 'not requested', detail: 'not requested' };

function deliveryPreview(job: CronJob): { label: string; detail: string } {
  const delivery = job.delivery;
  if (!delivery || delivery.mode === 'none' || !delivery.channel) return PREVIEW_NOT_REQUESTED;
  const account = delivery.accountId ? ` (account ${delivery.accountId})` : '';
  return {
    label: `announce: ${delivery.channel}`,
    detail: delivery.to ? `to ${delivery.to}${account}` : `no recipient: set delivery.to${account}`,
  };
}

export const cronMethods = defineMethods({
  'cron.status': {
    access: READ,
    handler: async (_params, { gateway }) => {
      const { automation } = gateway;
      const nextWakeAtMs = automation.cron.nextWakeAtMs();
      return {
        enabled: gateway.configState.config.cron.enabled,
        storage: 'sqlite',
        storePath: automation.storePath,
        jobs: await automation.store.countJobs(),
        ...(nextWakeAtMs === undefined ? {} : { nextWakeAtMs }),
        scheduler: automation.cron.leader ? 'leader' : 'standby',
      };
    },
  },

  'cron.list': {
    access: READ,
    handler: async (params, { gateway }) => {
      const fallbackAgent = defaultAgentId(gateway.configState.config);
      const jobs = (await gateway.automation.store.listJobs())
        .filter((job) => matches(job, params, fallbackAgent))
        .sort(sorter(params));
      const limit = params.limit ?? Math.max(jobs.length, 1);
      const { slice, ...rest } = page(jobs, params.offset ?? 0, Math.min(limit, 200));
      return {
        // Paging clients (the openclaw CLI) restart when this changes between pages: a revision of the inventory.
        snapshotRevision: snapshotRevision(jobs),
        jobs: slice.map((job) =>
          params.compact
            ? { ...compactJob(job), effectiveAgentId: job.agentId ?? fallbackAgent }
            : { ...wireJob(job), effectiveAgentId: job.agentId ?? fallbackAgent },
        ),
        ...rest,
        ...(params.includeDeliveryPreviews
          ? { deliveryPreviews: Object.fromEntries(slice.map((job) => [job.id, deliveryPreview(job)])) }
          : {}),
      };
    },
  },

  'cron.get': {
    access: READ,
    handler: async (params, { gateway }) => {
      const id = jobIdOf('cron.get', params);
      const job = await gateway.automation.store.getJob(id);
      if (!job) throw notFound(id);
      return wireJob(job);
    },
  },

  'cron.add': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const config = gateway.configState.config;
      checkAgent(gateway, 'cron.add', params.agentId);
      const now = gateway.now();
      const job = await newJob(params as CronAddInput, now, defaultAgentId(config));
      const nextRunAtMs = gateway.automation.cron.computeNext(job, now);
      if (nextRunAtMs !== undefined) job.state.nextRunAtMs = nextRunAtMs;
      await gateway.automation.store.insertJob(job);
      gateway.automation.cron.track(job);
      gateway.events.broadcast('cron', { jobId: job.id, action: 'added', job: wireJob(job) });
      return { ...wireJob(job), deliveryPreview: deliveryPreview(job) };
    },
  },

  'cron.update': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const id = jobIdOf('cron.update', params);
      checkAgent(gateway, 'cron.update', params.patch.agentId);
      const { store, cron } = gateway.automation;
      const current = await store.getJob(id);
      if (!current) throw notFound(id);
      const now = gateway.now();
      const expected = params.expectedConfigRevision;
      const stale = () =>
        new GatewayError(
          'INVALID_REQUEST',
          `cron job ${id} was changed since it was read (expectedConfigRevision): read it again and retry`,
          { details: { code: 'CRON_JOB_CONFLICT', jobId: id } },
        );
      if (expected !== undefined && expected !== configRevision(current)) throw stale();
      const { job: patched, reschedule } = await patchJob(current, params.patch as CronPatch, now);
      let conflict = false;
      const jobs = await store.mutateJobs([id], (stored) => {
        // Re-checked inside the transaction: another writer may have saved between the read and this write.
        if (expected !== undefined && expected !== configRevision(stored)) {
          conflict = true;
          return undefined;
        }
        const next: CronJob = { ...patched, state: { ...stored.state, ...patched.state } };
        if (reschedule) {
          const nextRunAtMs = cron.computeNext(next, now);
          if (nextRunAtMs === undefined) delete next.state.nextRunAtMs;
          else next.state.nextRunAtMs = nextRunAtMs;
        }
        if (!next.enabled) delete next.state.nextRunAtMs;
        return next;
      });
      if (conflict) throw stale();
      const job = jobs.get(id);
      if (!job) throw notFound(id);
      cron.track(job);
      gateway.events.broadcast('cron', { jobId: id, action: 'updated', job: wireJob(job) });
      return wireJob(job);
    },
  },

  'cron.remove': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const id = jobIdOf('cron.remove', params);
      const { store, cron } = gateway.automation;
      const existing = await store.getJob(id);
      if (!existing) throw notFound(id);
      if (existing.declarationKey) {
        throw invalidParams(
          'cron.remove',
          `${existing.name} is system-owned (${existing.declarationKey}): set agents.*.heartbeat.every to "0m" to turn it off`,
        );
      }
      const removed = await store.deleteJob(id);
      if (!removed) throw notFound(id);
      cron.untrack(id);
      gateway.events.broadcast('cron', { jobId: id, action: 'removed', job: wireJob(removed) });
      return { ok: true, removed: true };
    },
  },

  'cron.run': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const id = jobIdOf('cron.run', params);
      const result = await gateway.automation.cron.runNow(id, params.mode ?? 'force');
      if (!result) throw notFound(id);
      return result;
    },
  },

  'cron.runs': {
    access: READ,
    handler: async (params, { gateway }) => {
      const jobId = params.id ?? params.jobId;
      if (params.scope === 'job' && !jobId) throw invalidParams('cron.runs', 'scope job needs id (or jobId)');
      const statuses: RunStatus[] | undefined =
        params.statuses ?? (params.status && params.status !== 'all' ? [params.status] : undefined);
      const limit = params.limit ?? DEFAULT_RUNS_LIMIT;
      const offset = params.offset ?? 0;
      const { store } = gateway.automation;
      const { entries, total } = await store.listRuns({
        ...(params.scope === 'all' || !jobId ? {} : { jobId }),
        ...(statuses ? { statuses } : {}),
        ...(params.query ? { query: params.query } : {}),
        limit,
        offset,
        sortDir: params.sortDir ?? 'desc',
      });
      const names = new Map<string, string>();
      for (const entry of entries) {
        if (!names.has(entry.jobId)) names.set(entry.jobId, (await store.getJob(entry.jobId))?.name ?? '');
      }
      const hasMore = offset + entries.length < total;
      return {
        entries: entries.map((entry) => ({
          ...entry,
          ...(names.get(entry.jobId) ? { jobName: names.get(entry.jobId) } : {}),
        })),
        total,
        offset,
        limit,
        hasMore,
        nextOffset: hasMore ? offset + entries.length : null,
      };
    },
  },
});
