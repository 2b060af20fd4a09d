import { createHash, randomUUID } from 'node:crypto';
import type { RunOutcome } from '../chat/chat-service.ts';
import { messageText } from '../chat/wire-message.ts';
import { isSilentReply } from '../cron/heartbeat.ts';
import { endedTask, runningTask, summarize } from '../cron/task-ledger.ts';
import type { TaskSummary } from '../cron/types.ts';
import { mainSessionKey } from '../routing/session-key.ts';
import type { GatewayContext } from '../server/context.ts';
import type { AgentAction, WakeAction } from './actions.ts';
import { wrapWebhookContent } from './external-content.ts';
import type { AgentTarget, WakeTarget } from './policy.ts';

export type EventOutcome = 'queued' | 'coalesced';

/**
 * A wake: the text is queued for the session's next heartbeat and, in mode `now`, a beat is asked for at once;
 * the answer does not wait for it (OpenClaw's: the response does not prove the beat ran).
 */
export function dispatchWake(ctx: GatewayContext, action: WakeAction, target: WakeTarget): EventOutcome {
  const { heartbeat } = ctx.automation;
  const queued = heartbeat.enqueue(target.sessionKey, action.text, 'hook');
  if (action.mode === 'now') ctx.hooks.background(heartbeat.run(target.agentId, 'wake', target.sessionKey));
  return queued ? 'queued' : 'coalesced';
}

/** OpenClaw's `completion` for `waitForCompletion`: whether a reply existed, never its text. */
export type Completion = { status: 'ok' | 'error'; replyDisposition: 'visible' | 'silent' | 'empty' };
export type AgentDispatch = { runId: string; completion: Promise<Completion> };

function replyOf(outcome: RunOutcome): string {
  return outcome.message ? messageText(outcome.message).trim() : '';
}

function completionOf(outcome: RunOutcome): Completion {
  const reply = replyOf(outcome);
  return {
    status: outcome.status === 'ok' ? 'ok' : 'error',
    replyDisposition: reply === '' ? 'empty' : isSilentReply(reply) ? 'silent' : 'visible',
  };
}

/**
 * A replayed request (same idempotency key, path and dispatch fields; OpenClaw's scope) gets the same run id, so
 * the chat pipeline's own idempotency answers it with the first run instead of starting a second. Shaped as a
 * UUID, like every other hook run id.
 */
function replayRunId(action: AgentAction, target: AgentTarget, sourcePath: string): string {
  const scope = JSON.stringify({
    sourcePath,
    key: action.idempotencyKey,
    agentId: target.agentId,
    sessionKey: action.sessionKey ?? null,
    sessionMode: action.sessionMode,
    message: action.message,
    name: action.name,
    wakeMode: action.wakeMode,
    deliver: action.deliver,
    timeoutSeconds: action.timeoutSeconds ?? null,
  });
  const hex = createHash('sha256').update(scope).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An agent run: one turn through the chat pipeline on the `hook-dispatch` lane, the message wrapped as
 * untrusted content. Resolves once the turn is admitted (its user message committed) and its task is in the
 * ledger; the run itself goes on, and its end is recorded on the task and, unless `deliver: false` (or the
 * reply is silent), queued for the agent's main session as OpenClaw announces hook results.
 */
export async function dispatchAgent(
  ctx: GatewayContext,
  action: AgentAction,
  target: AgentTarget,
  sourcePath: string,
): Promise<AgentDispatch> {
  const runId = action.idempotencyKey ? replayRunId(action, target, sourcePath) : randomUUID();
  const startedAt = ctx.now();
  const sent = await ctx.chat.send({
    sessionKey: target.sessionKey,
    agentId: target.agentId,
    message: wrapWebhookContent(action.message, {
      name: action.name,
      jobId: target.jobId,
      receivedAt: new Date(startedAt).toISOString(),
    }),
    idempotencyKey: runId,
    lane: 'hook-dispatch',
    ...(action.timeoutSeconds ? { timeoutMs: action.timeoutSeconds * 1000 } : {}),
  });
  const completion = sent.done.then(completionOf);
  if (sent.status !== 'started') return { runId, completion };
  const task = runningTask(
    {
      runtime: 'webhook',
      title: action.name,
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      runId,
      sourceId: action.mappingId ?? sourcePath,
      progressSummary: 'Running webhook agent turn.',
      deliveryStatus: action.deliver ? 'pending' : 'not_applicable',
    },
    startedAt,
  );
  const taskId = task.id;
  await saveTask(ctx, task, ctx.bootId);
  ctx.logger.info(`hook agent run accepted runId=${runId}`, {
    runId,
    name: action.name,
    sourcePath,
    agentId: target.agentId,
    logicalSessionKey: target.logicalKey,
    sessionKey: target.sessionKey,
  });
  ctx.hooks.trackRun(
    taskId,
    { runId, sessionKey: target.sessionKey },
    finish(ctx, action, target, task, sent.done),
  );
  return { runId, completion };
}

async function saveTask(ctx: GatewayContext, task: TaskSummary, owner?: string): Promise<void> {
  try {
    await ctx.automation.store.putTask(task, owner);
    ctx.events.broadcast('task', { action: 'upserted', task });
  } catch (error) {
    ctx.logger.error(`hook run ${task.runId}: recording its task failed`, {
      error: (error as Error).message,
    });
  }
}

async function finish(
  ctx: GatewayContext,
  action: AgentAction,
  target: AgentTarget,
  task: TaskSummary,
  done: Promise<RunOutcome>,
): Promise<void> {
  const outcome = await done;
  const endedAt = ctx.now();
  const reply = replyOf(outcome);
  const error =
    outcome.status === 'ok'
      ? undefined
      : outcome.status === 'aborted'
        ? 'the run was aborted'
        : (outcome.errorMessage ?? 'the turn failed');
  // OpenClaw announces every failure, and a success unless delivery is off; a silent reply has nothing to say,
  // and an aborted run (cancelled by an operator, or the gateway stopping) was stopped on purpose.
  const announce =
    outcome.status === 'error' ||
    (outcome.status === 'ok' && action.deliver && reply !== '' && !isSilentReply(reply));
  await saveTask(
    ctx,
    endedTask(task, {
      status: outcome.status === 'ok' ? 'completed' : outcome.status === 'aborted' ? 'cancelled' : 'failed',
      endedAt,
      ...(reply ? { summary: reply } : {}),
      ...(error ? { error } : {}),
      deliveryStatus: announce ? 'session_queued' : 'not_applicable',
    }),
  );
  const level = error ? 'warn' : 'info';
  ctx.logger[level](`hook agent run completed runId=${task.runId} status=${error ? 'error' : 'ok'}`, {
    runId: task.runId,
    name: action.name,
    agentId: target.agentId,
    sessionKey: target.sessionKey,
    durationMs: endedAt - (task.startedAt ?? endedAt),
    ...(error ? { error } : {}),
  });
  if (!announce) return;
  const { heartbeat } = ctx.automation;
  const { mainKey, scope } = ctx.configState.config.session;
  const main = mainSessionKey(target.agentId, mainKey, scope);
  const text = error ? `Hook ${action.name} (error): ${error}` : `Hook ${action.name}: ${summarize(reply)}`;
  heartbeat.enqueue(main, text, 'hook');
  if (action.wakeMode === 'now') await heartbeat.run(target.agentId, 'wake', main);
}
