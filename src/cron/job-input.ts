import { randomUUID } from 'node:crypto';
import { GatewayError } from '../protocol/gateway-error.ts';
import { parseAt, ScheduleError, validateSchedule } from './schedule.ts';
import type { CronDelivery, CronJob, CronPayload, CronSchedule, SessionTarget, WakeMode } from './types.ts';

type Obj = Record<string, unknown>;

/** What `cron.add` takes (OpenClaw's CronAddParams) once the params schema has passed. */
export type CronAddInput = {
  name: string;
  displayName?: string;
  description?: string;
  agentId?: string | null;
  sessionKey?: string | null;
  enabled?: boolean;
  deleteAfterRun?: boolean;
  schedule: Obj;
  sessionTarget: string;
  wakeMode: string;
  payload: Obj;
  delivery?: Obj;
};

export type CronPatch = Partial<Omit<CronAddInput, 'displayName'>> & { displayName?: string | null };

const SCHEDULE_KINDS = ['at', 'every', 'cron'];
const PAYLOAD_KINDS = ['systemEvent', 'agentTurn'];

function invalid(method: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `invalid ${method} params: ${message}`);
}

/** OpenClaw's schedule kinds clawgate does not run are refused by name, not silently stored. */
function scheduleOf(method: string, raw: Obj): CronSchedule {
  const kind = raw.kind;
  if (typeof kind !== 'string' || !SCHEDULE_KINDS.includes(kind)) {
    throw invalid(
      method,
      `schedule.kind: ${JSON.stringify(kind)} is not supported by clawgate (use at, every or cron)`,
    );
  }
  if (kind === 'at') {
    if (typeof raw.at !== 'string' || raw.at.trim() === '') throw invalid(method, 'schedule.at is required');
    try {
      return { kind, at: new Date(parseAt(raw.at)).toISOString() };
    } catch (error) {
      throw invalid(method, (error as Error).message);
    }
  }
  if (kind === 'every') {
    const { everyMs, anchorMs } = raw;
    if (!Number.isInteger(everyMs) || (everyMs as number) < 1) {
      throw invalid(method, 'schedule.everyMs must be a positive integer (milliseconds)');
    }
    if (anchorMs !== undefined && (!Number.isInteger(anchorMs) || (anchorMs as number) < 0)) {
      throw invalid(method, 'schedule.anchorMs must be a non-negative integer (epoch milliseconds)');
    }
    return {
      kind,
      everyMs: everyMs as number,
      ...(anchorMs === undefined ? {} : { anchorMs: anchorMs as number }),
    };
  }
  if (typeof raw.expr !== 'string' || raw.expr.trim() === '')
    throw invalid(method, 'schedule.expr is required');
  if (raw.tz !== undefined && typeof raw.tz !== 'string')
    throw invalid(method, 'schedule.tz must be a string');
  const { staggerMs } = raw;
  if (staggerMs !== undefined && (!Number.isInteger(staggerMs) || (staggerMs as number) < 0)) {
    throw invalid(method, 'schedule.staggerMs must be a non-negative integer (milliseconds)');
  }
  return {
    kind: 'cron',
    expr: raw.expr.trim(),
    ...(raw.tz ? { tz: raw.tz as string } : {}),
    ...(staggerMs === undefined ? {} : { staggerMs: staggerMs as number }),
  };
}

function payloadOf(method: string, raw: Obj): CronPayload {
  const kind = raw.kind;
  if (typeof kind !== 'string' || !PAYLOAD_KINDS.includes(kind)) {
    throw invalid(
      method,
      `payload.kind: ${JSON.stringify(kind)} is not supported by clawgate (use systemEvent or agentTurn)`,
    );
  }
  if (kind === 'systemEvent') {
    if (typeof raw.text !== 'string' || raw.text.trim() === '')
      throw invalid(method, 'payload.text is required');
    return { kind, text: raw.text };
  }
  if (typeof raw.message !== 'string' || raw.message.trim() === '') {
    throw invalid(method, 'payload.message is required');
  }
  const { model, thinking, timeoutSeconds, lightContext } = raw;
  if (timeoutSeconds !== undefined && (typeof timeoutSeconds !== 'number' || timeoutSeconds < 0)) {
    throw invalid(method, 'payload.timeoutSeconds must be a non-negative number');
  }
  return {
    kind: 'agentTurn',
    message: raw.message,
    ...(typeof model === 'string' && model ? { model } : {}),
    ...(typeof thinking === 'string' && thinking ? { thinking } : {}),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(typeof lightContext === 'boolean' ? { lightContext } : {}),
  };
}

function sessionTargetOf(method: string, target: string): SessionTarget {
  if (target === 'main' || target === 'isolated' || target === 'current') return target;
  if (/^session:.+/.test(target)) return target as SessionTarget;
  throw invalid(method, `sessionTarget: "${target}" must be main, isolated, current or session:<key>`);
}

function wakeModeOf(method: string, mode: string): WakeMode {
  if (mode === 'now' || mode === 'next-heartbeat') return mode;
  throw invalid(method, `wakeMode: "${mode}" must be now or next-heartbeat`);
}

function deliveryOf(method: string, raw: Obj | undefined, payload: CronPayload): CronDelivery | undefined {
  if (raw === undefined) return payload.kind === 'agentTurn' ? { mode: 'announce' } : undefined;
  if (raw.mode !== 'none' && raw.mode !== 'announce') {
    throw invalid(
      method,
      `delivery.mode: ${JSON.stringify(raw.mode)} is not supported by clawgate (use none or announce)`,
    );
  }
  const delivery: CronDelivery = { mode: raw.mode };
  if (typeof raw.channel === 'string') delivery.channel = raw.channel;
  if (typeof raw.to === 'string') delivery.to = raw.to;
  if (typeof raw.accountId === 'string' && raw.accountId !== '') delivery.accountId = raw.accountId;
  if ((typeof raw.threadId === 'string' && raw.threadId !== '') || typeof raw.threadId === 'number')
    delivery.threadId = String(raw.threadId);
  if (typeof raw.bestEffort === 'boolean') delivery.bestEffort = raw.bestEffort;
  return delivery;
}

/** OpenClaw's pairing rules: the main session takes system events, every other target an agent turn. */
function checkTarget(method: string, target: SessionTarget, payload: CronPayload): void {
  if (payload.kind === 'heartbeat') return;
  if (target === 'main' && payload.kind !== 'systemEvent') {
    throw invalid(method, 'sessionTarget main requires payload.kind "systemEvent"');
  }
  if (target !== 'main' && payload.kind !== 'agentTurn') {
    throw invalid(method, `sessionTarget ${target} requires payload.kind "agentTurn"`);
  }
}

async function checkSchedule(method: string, schedule: CronSchedule): Promise<void> {
  try {
    await validateSchedule(schedule);
  } catch (error) {
    if (error instanceof ScheduleError) throw invalid(method, error.message);
    throw error;
  }
}

/** A new job from `cron.add`'s params: ids and times assigned, defaults as OpenClaw fills them. */
export async function newJob(input: CronAddInput, now: number, defaultAgentId: string): Promise<CronJob> {
  const method = 'cron.add';
  const schedule = scheduleOf(method, input.schedule);
  await checkSchedule(method, schedule);
  const payload = payloadOf(method, input.payload);
  const sessionTarget = sessionTargetOf(method, input.sessionTarget);
  checkTarget(method, sessionTarget, payload);
  const delivery = deliveryOf(method, input.delivery, payload);
  // `every` without an anchor counts from its creation, so the first run is one interval away (OpenClaw's).
  const anchored: CronSchedule =
    schedule.kind === 'every' && schedule.anchorMs === undefined ? { ...schedule, anchorMs: now } : schedule;
  return {
    id: randomUUID(),
    ...(input.displayName ? { displayName: input.displayName } : {}),
    agentId: input.agentId ?? defaultAgentId,
    ...(input.sessionKey ? { sessionKey: input.sessionKey } : {}),
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    enabled: input.enabled ?? true,
    // A one-shot reminder goes away once it ran, unless kept (OpenClaw's default).
    ...((input.deleteAfterRun ?? schedule.kind === 'at') ? { deleteAfterRun: true } : {}),
    createdAtMs: now,
    updatedAtMs: now,
    schedule: anchored,
    sessionTarget,
    wakeMode: wakeModeOf(method, input.wakeMode),
    payload,
    ...(delivery ? { delivery } : {}),
    state: {},
  };
}

/**
 * `cron.update`'s patch over a job. Fields set to `null` are cleared; the schedule and payload are replaced
 * whole. Returns the job and whether its next run must be computed again.
 */
export async function patchJob(
  job: CronJob,
  patch: CronPatch,
  now: number,
): Promise<{ job: CronJob; reschedule: boolean }> {
  const method = 'cron.update';
  if (job.declarationKey !== undefined) {
    const allowed = new Set(['enabled']);
    const refused = Object.keys(patch).filter((key) => !allowed.has(key));
    if (refused.length > 0) {
      throw invalid(
        method,
        `${job.name} is system-owned (${job.declarationKey}): change agents.*.heartbeat in the config instead of ${refused.join(', ')}`,
      );
    }
  }
  const next: CronJob = structuredClone(job);
  let reschedule = false;
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.displayName === null) delete next.displayName;
  else if (patch.displayName !== undefined) next.displayName = patch.displayName;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.agentId === null) delete next.agentId;
  else if (patch.agentId !== undefined) next.agentId = patch.agentId;
  if (patch.sessionKey === null) delete next.sessionKey;
  else if (patch.sessionKey !== undefined) next.sessionKey = patch.sessionKey;
  if (patch.deleteAfterRun !== undefined) next.deleteAfterRun = patch.deleteAfterRun;
  if (patch.schedule !== undefined) {
    const schedule = scheduleOf(method, patch.schedule);
    await checkSchedule(method, schedule);
    next.schedule =
      schedule.kind === 'every' && schedule.anchorMs === undefined
        ? { ...schedule, anchorMs: now }
        : schedule;
    reschedule = true;
  }
  if (patch.payload !== undefined) next.payload = payloadOf(method, patch.payload);
  if (patch.sessionTarget !== undefined) next.sessionTarget = sessionTargetOf(method, patch.sessionTarget);
  if (patch.wakeMode !== undefined) next.wakeMode = wakeModeOf(method, patch.wakeMode);
  if (patch.delivery !== undefined) {
    const delivery = deliveryOf(method, patch.delivery, next.payload);
    if (delivery) next.delivery = delivery;
  }
  checkTarget(method, next.sessionTarget, next.payload);
  if (patch.enabled !== undefined && patch.enabled !== job.enabled) {
    next.enabled = patch.enabled;
    next.state.scheduleActivatedAtMs = now;
    reschedule = true;
  }
  next.updatedAtMs = now;
  return { job: next, reschedule };
}
