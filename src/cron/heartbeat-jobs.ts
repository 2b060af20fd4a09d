import { randomUUID } from 'node:crypto';
import { listAgents } from '../agents/registry.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { CronStore } from '../storage/cron-store.ts';
import { type CronService, wireJob } from './cron-service.ts';
import { heartbeatSettings } from './heartbeat.ts';
import type { CronJob } from './types.ts';

const DECLARATION_PREFIX = 'heartbeat:';

/** The system-owned job of an agent's heartbeat cadence, as config says it should be. */
function desiredJob(agentId: string, everyMs: number, now: number, existing?: CronJob): CronJob {
  const enabled = everyMs > 0;
  // The anchor is kept across edits of anything but the cadence, so a reload does not move the next beat.
  const sameCadence = existing?.schedule.kind === 'every' && existing.schedule.everyMs === everyMs;
  const anchorMs = sameCadence && existing.schedule.kind === 'every' ? existing.schedule.anchorMs : now;
  return {
    id: existing?.id ?? randomUUID(),
    declarationKey: `${DECLARATION_PREFIX}${agentId}`,
    displayName: `Heartbeat (${agentId})`,
    agentId,
    name: `heartbeat-${agentId}`,
    enabled,
    createdAtMs: existing?.createdAtMs ?? now,
    updatedAtMs: now,
    // everyMs 0 ("0m") disables the cadence; the job stays, disabled, with a placeholder interval.
    schedule: { kind: 'every', everyMs: enabled ? everyMs : 1_800_000, anchorMs },
    sessionTarget: 'main',
    wakeMode: 'next-heartbeat',
    payload: { kind: 'heartbeat' },
    state: existing?.state ?? {},
  };
}

function sameDefinition(a: CronJob, b: CronJob): boolean {
  return a.enabled === b.enabled && JSON.stringify(a.schedule) === JSON.stringify(b.schedule);
}

/**
 * Makes the stored heartbeat jobs match `agents.*.heartbeat`: one per configured agent, created, updated or
 * removed as the config changes. Config owns them; `cron.update` refuses to edit anything but `enabled`.
 */
export async function reconcileHeartbeatJobs(
  store: CronStore,
  cron: CronService,
  config: GatewayConfig,
  now: number,
  emit: (payload: Record<string, unknown>) => void,
): Promise<void> {
  const agents = listAgents(config).map((agent) => agent.id);
  for (const agentId of agents) {
    const { everyMs } = heartbeatSettings(config, agentId);
    const existing = await store.getJobByDeclaration(`${DECLARATION_PREFIX}${agentId}`);
    const desired = desiredJob(agentId, everyMs, now, existing);
    if (existing && sameDefinition(existing, desired)) continue;
    desired.state = { ...desired.state, nextRunAtMs: cron.computeNext(desired, now) };
    if (!desired.enabled) delete desired.state.nextRunAtMs;
    if (existing) {
      const jobs = await store.mutateJobs([existing.id], () => desired);
      const job = jobs.get(existing.id);
      if (job) cron.track(job);
      emit({ jobId: desired.id, action: 'updated', job: wireJob(desired) });
    } else {
      await store.insertJob(desired);
      cron.track(desired);
      emit({ jobId: desired.id, action: 'added', job: wireJob(desired) });
    }
  }
  for (const job of await store.jobsByDeclarationPrefix(DECLARATION_PREFIX)) {
    if (agents.includes((job.declarationKey ?? '').slice(DECLARATION_PREFIX.length))) continue;
    await store.deleteJob(job.id);
    cron.untrack(job.id);
    emit({ jobId: job.id, action: 'removed', job: wireJob(job) });
  }
}
