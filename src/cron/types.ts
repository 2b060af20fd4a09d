/**
 * Automation jobs in OpenClaw's wire shapes (`CronJob`, `CronRunLogEntry`, `TaskSummary` of
 * `@openclaw/gateway-protocol`), limited to what clawgate runs: time schedules (`at`, `every`, `cron`) and the
 * `systemEvent`, `agentTurn` and system-owned `heartbeat` payloads.
 */

export type CronSchedule =
  | { kind: 'at'; at: string }
  | { kind: 'every'; everyMs: number; anchorMs?: number }
  | { kind: 'cron'; expr: string; tz?: string; staggerMs?: number };

export type CronPayload =
  | { kind: 'systemEvent'; text: string }
  | {
      kind: 'agentTurn';
      message: string;
      model?: string;
      thinking?: string;
      timeoutSeconds?: number;
      lightContext?: boolean;
    }
  /** The system-owned heartbeat job's: it runs the agent's heartbeat (heartbeat.ts), never stored by a client. */
  | { kind: 'heartbeat' };

/** `main`, `isolated` (a fresh `cron:<jobId>` session per run), `current` (the creator's), or `session:<key>`. */
export type SessionTarget = 'main' | 'isolated' | 'current' | `session:${string}`;
export type WakeMode = 'now' | 'next-heartbeat';
export type RunStatus = 'ok' | 'error' | 'skipped';
export type DeliveryStatus = 'delivered' | 'not-delivered' | 'unknown' | 'not-requested';

export type CronDelivery = {
  mode: 'none' | 'announce';
  channel?: string;
  to?: string;
  accountId?: string;
  threadId?: string;
  bestEffort?: boolean;
};

/** Where a run's announcement went (OpenClaw's CronRunLogEntry.delivery). */
export type CronDeliveryTrace = {
  intended: {
    channel?: string;
    to?: string | null;
    accountId?: string;
    threadId?: string;
    source: 'explicit';
  };
  resolved?: {
    channel?: string;
    to?: string | null;
    accountId?: string;
    threadId?: string;
    source: 'explicit';
    ok: boolean;
    error?: string;
  };
  delivered: boolean;
};

export type CronJobState = {
  nextRunAtMs?: number;
  scheduleActivatedAtMs?: number;
  runningAtMs?: number;
  lastRunAtMs?: number;
  lastRunStatus?: RunStatus;
  /** OpenClaw's deprecated alias of lastRunStatus, still read by older clients. */
  lastStatus?: RunStatus;
  lastError?: string;
  lastDurationMs?: number;
  consecutiveErrors?: number;
  consecutiveSkipped?: number;
  lastDeliveryStatus?: DeliveryStatus;
};

export type CronJob = {
  id: string;
  /** Set on system-owned jobs (`heartbeat:<agentId>`): config, not a client, owns them. */
  declarationKey?: string;
  displayName?: string;
  agentId?: string;
  sessionKey?: string;
  name: string;
  description?: string;
  enabled: boolean;
  deleteAfterRun?: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  schedule: CronSchedule;
  sessionTarget: SessionTarget;
  wakeMode: WakeMode;
  payload: CronPayload;
  delivery?: CronDelivery;
  state: CronJobState;
};

export type CronRunEntry = {
  ts: number;
  jobId: string;
  action: 'finished';
  status: RunStatus;
  completionStatus?: 'succeeded' | 'failed' | 'unknown';
  error?: string;
  summary?: string;
  runId: string;
  sessionKey?: string;
  runAtMs: number;
  durationMs: number;
  nextRunAtMs?: number;
  deliveryStatus: DeliveryStatus;
  delivered?: boolean;
  deliveryError?: string;
  /** Why an announcement had nothing to send (`empty`, `silent`). */
  deliverySuppressionReason?: string;
  delivery?: CronDeliveryTrace;
};

export type TaskStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';

/** One entry of the background-task ledger (OpenClaw's TaskSummary): a cron run, a hook run. */
export type TaskSummary = {
  id: string;
  taskId: string;
  kind: string;
  runtime: string;
  status: TaskStatus;
  title: string;
  agentId?: string;
  sessionKey?: string;
  ownerKey: string;
  runId: string;
  sourceId?: string;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  endedAt?: number;
  progressSummary?: string;
  terminalSummary?: string;
  error?: string;
  deliveryStatus: 'not_applicable' | 'pending' | 'delivered' | 'session_queued' | 'failed';
};
