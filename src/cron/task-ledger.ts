import { randomUUID } from 'node:crypto';
import type { TaskStatus, TaskSummary } from './types.ts';

/** Longest `terminalSummary` a task (and a run-history entry) keeps of a reply. */
const SUMMARY_MAX_CHARS = 2_000;

export function summarize(text: string): string {
  return text.length > SUMMARY_MAX_CHARS ? `${text.slice(0, SUMMARY_MAX_CHARS - 1)}…` : text;
}

export type NewTask = Pick<
  TaskSummary,
  'runtime' | 'title' | 'runId' | 'sourceId' | 'progressSummary' | 'deliveryStatus'
> &
  Partial<Pick<TaskSummary, 'agentId' | 'sessionKey'>>;

/** A detached run's ledger entry as it starts (OpenClaw's TaskSummary; every automation run is `automation_run`). */
export function runningTask(input: NewTask, startedAt: number): TaskSummary {
  const id = randomUUID();
  return {
    id,
    taskId: id,
    kind: 'automation_run',
    status: 'running',
    ownerKey: '',
    createdAt: startedAt,
    updatedAt: startedAt,
    startedAt,
    ...input,
  };
}

export type TaskEnd = {
  status: Exclude<TaskStatus, 'queued' | 'running'>;
  endedAt: number;
  summary?: string;
  error?: string;
} & Partial<Pick<TaskSummary, 'sessionKey' | 'deliveryStatus'>>;

/** The same entry once the run ended. */
export function endedTask(task: TaskSummary, end: TaskEnd): TaskSummary {
  const { status, endedAt, summary, error, ...rest } = end;
  return {
    ...task,
    ...rest,
    status,
    updatedAt: endedAt,
    endedAt,
    ...(summary ? { terminalSummary: summarize(summary) } : {}),
    ...(error === undefined ? {} : { error }),
  };
}
