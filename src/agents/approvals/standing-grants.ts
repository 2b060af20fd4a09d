import { createHash, randomUUID } from 'node:crypto';
import { STANDING_GRANTS_MAX_LIST } from '../../config/limits.ts';
import type { CronJob } from '../../cron/types.ts';
import type { ApprovalStore, RevokeOutcome, StandingGrant } from '../../storage/approval-store.ts';
import type { Clock } from './clock.ts';

const DAY_MS = 86_400_000;

/** What a grant binds to of an automation: who runs it, its name for the ledger, and its definition's fingerprint. */
export type AutomationJob = { agentId: string; name: string; revision: string };
export type AutomationLookup = (jobId: string) => Promise<AutomationJob | undefined>;

/**
 * A fingerprint of what a job does. Pausing and resuming it, renaming it or its run state changing keep it; an edit
 * of what it runs, where, when or how it reports changes it, and every grant minted before stops matching.
 */
export function jobRevision(job: CronJob): string {
  const substance = {
    agentId: job.agentId ?? null,
    sessionKey: job.sessionKey ?? null,
    sessionTarget: job.sessionTarget,
    wakeMode: job.wakeMode,
    schedule: job.schedule,
    payload: job.payload,
    delivery: job.delivery ?? null,
  };
  return createHash('sha256').update(JSON.stringify(substance)).digest('hex');
}

export function automationJob(job: CronJob): AutomationJob {
  return { agentId: job.agentId ?? 'main', name: job.name, revision: jobRevision(job) };
}

/**
 * Standing grants (OpenClaw's): "Always allow" on a prompt raised by an automation's run does not write an
 * allowlist entry; it mints a grant bound to that agent, that job's current definition and that exact command
 * and directory. Later runs of the job run that command without asking while the grant is valid: not revoked,
 * not expired, the job not deleted or substantively edited. The check is made at each run, so a revocation or an
 * edit wins over any earlier decision.
 */
export class StandingGrants {
  readonly #store: ApprovalStore;
  readonly #clock: Clock;
  readonly #lookup: AutomationLookup;

  constructor(deps: { store: ApprovalStore; clock: Clock; lookup: AutomationLookup }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#lookup = deps.lookup;
  }

  /** The job, if it exists and is that agent's; a grant can only exist for such a job. */
  async job(agentId: string, jobId: string): Promise<AutomationJob | undefined> {
    const job = await this.#lookup(jobId);
    return job && job.agentId === agentId ? job : undefined;
  }

  /** A valid grant for this exact command of the job, counted as used; undefined when none applies. */
  async use(
    agentId: string,
    jobId: string,
    command: string,
    cwd: string,
  ): Promise<StandingGrant | undefined> {
    const job = await this.job(agentId, jobId);
    if (!job) return undefined;
    return this.#store.useGrant(
      { agentId, cronJobId: jobId, jobRevision: job.revision, command, cwd },
      this.#clock.now(),
    );
  }

  async mint(input: {
    approvalId: string;
    agentId: string;
    jobId: string;
    job: AutomationJob;
    command: string;
    cwd: string;
    expiresInDays: number | undefined;
  }): Promise<StandingGrant> {
    const now = this.#clock.now();
    const grant: StandingGrant = {
      grantId: randomUUID(),
      mintedByApprovalId: input.approvalId,
      agentId: input.agentId,
      cronJobId: input.jobId,
      cronJobName: input.job.name.slice(0, 200) || null,
      jobRevision: input.job.revision,
      command: input.command,
      cwd: input.cwd,
      createdAtMs: now,
      expiresAtMs: input.expiresInDays === undefined ? null : now + input.expiresInDays * DAY_MS,
      revokedAtMs: null,
      revokedBy: null,
      lastUsedAtMs: null,
      useCount: 0,
    };
    await this.#store.insertGrant(grant);
    return grant;
  }

  list(limit = STANDING_GRANTS_MAX_LIST): Promise<StandingGrant[]> {
    return this.#store.listGrants(Math.min(limit, STANDING_GRANTS_MAX_LIST));
  }

  revoke(grantId: string, revokedBy: string): Promise<RevokeOutcome> {
    return this.#store.revokeGrant(grantId, revokedBy, this.#clock.now());
  }
}

/** A grant as `exec.approval.grants.list` shows it (OpenClaw's ExecApprovalStandingGrant). */
export function grantView(grant: StandingGrant) {
  return {
    grantId: grant.grantId,
    mintedByApprovalId: grant.mintedByApprovalId,
    agentId: grant.agentId,
    cronJobId: grant.cronJobId,
    cronJobName: grant.cronJobName,
    command: grant.command.slice(0, 512),
    cwd: grant.cwd === null ? null : grant.cwd.slice(0, 512),
    createdAtMs: grant.createdAtMs,
    expiresAtMs: grant.expiresAtMs,
    revokedAtMs: grant.revokedAtMs,
    revokedBy: grant.revokedBy,
    lastUsedAtMs: grant.lastUsedAtMs,
    useCount: grant.useCount,
  };
}
