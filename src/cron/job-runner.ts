import type { ChatService } from '../chat/chat-service.ts';
import { chatTarget } from '../chat/targets.ts';
import { messageText } from '../chat/wire-message.ts';
import type { GatewayConfig } from '../config/types.ts';
import { mainSessionKey } from '../routing/session-key.ts';
import type { GatewayStore } from '../storage/store.ts';
import { announce, type ChannelDeliver } from './announce.ts';
import type { JobRunner, RunResult } from './cron-service.ts';
import type { HeartbeatEvent, HeartbeatRunner } from './heartbeat.ts';
import type { CronJob } from './types.ts';

export type JobRunnerDeps = {
  chat: ChatService;
  store: GatewayStore;
  heartbeat: HeartbeatRunner;
  config(): GatewayConfig;
  now(): number;
  /** Channel delivery for `announce` jobs. */
  deliver?: ChannelDeliver;
};

/** An isolated job's own session: `agent:<agentId>:cron:<jobId>`, fresh (reset) for every run. */
export function isolatedSessionKey(agentId: string, jobId: string): string {
  return `agent:${agentId}:cron:${jobId}`.toLowerCase();
}

function beatResult(beat: HeartbeatEvent, summary?: string): RunResult {
  const base = {
    ...(beat.sessionKey ? { sessionKey: beat.sessionKey } : {}),
    ...(summary ? { summary } : {}),
  };
  if (beat.status === 'skipped')
    return { ...base, status: 'skipped', error: `heartbeat skipped: ${beat.reason}` };
  if (beat.status === 'failed') return { ...base, status: 'error', error: beat.reason ?? 'heartbeat failed' };
  return { ...base, status: 'ok', ...(beat.preview && !summary ? { summary: beat.preview } : {}) };
}

/** Where an agent turn of this job runs. */
function turnSession(config: GatewayConfig, job: CronJob, agentId: string): string {
  const target = job.sessionTarget;
  if (target === 'isolated') return isolatedSessionKey(agentId, job.id);
  if (target === 'main') return mainSessionKey(agentId, config.session.mainKey, config.session.scope);
  if (target === 'current') {
    return job.sessionKey ?? mainSessionKey(agentId, config.session.mainKey, config.session.scope);
  }
  return chatTarget(config, { sessionKey: target.slice('session:'.length), agentId }, 'cron', 'sessionTarget')
    .sessionKey;
}

/**
 * Executes a job's payload. `systemEvent`: queued for the agent's main session, and with `wakeMode: "now"` the
 * heartbeat runs at once and its outcome is the run's. `agentTurn`: one turn through the chat pipeline on the
 * `cron` lane, in the job's session. `heartbeat`: one beat of the agent's heartbeat.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  return async (job, run) => {
    const config = deps.config();
    const agentId = job.agentId ?? 'main';
    const payload = job.payload;
    if (payload.kind === 'heartbeat') return beatResult(await deps.heartbeat.run(agentId, 'interval'));
    if (payload.kind === 'systemEvent') {
      const sessionKey = mainSessionKey(agentId, config.session.mainKey, config.session.scope);
      deps.heartbeat.enqueue(sessionKey, payload.text, 'cron');
      if (job.wakeMode !== 'now') return { status: 'ok', summary: payload.text, sessionKey };
      return beatResult(await deps.heartbeat.run(agentId, 'cron', sessionKey), payload.text);
    }
    const sessionKey = turnSession(config, job, agentId);
    // "Fresh session" per isolated run: a new transcript generation under the job's key, the old ones kept.
    if (job.sessionTarget === 'isolated') await deps.store.resetSession(sessionKey, deps.now());
    const sent = await deps.chat.send({
      sessionKey,
      agentId,
      message: payload.message,
      idempotencyKey: run.runId,
      lane: 'cron',
      automation: { jobId: job.id },
      ...(payload.timeoutSeconds ? { timeoutMs: payload.timeoutSeconds * 1000 } : {}),
    });
    const onAbort = () => deps.chat.abort(sessionKey, run.runId);
    run.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await sent.done;
      const summary = outcome.message ? messageText(outcome.message) : undefined;
      if (outcome.status === 'ok') {
        const delivered = await announce(deps.deliver, job.delivery, summary);
        return { status: 'ok', sessionKey, ...(summary ? { summary } : {}), ...delivered };
      }
      return {
        status: 'error',
        sessionKey,
        error:
          outcome.status === 'aborted' ? 'the run was aborted' : (outcome.errorMessage ?? 'the turn failed'),
        ...(summary ? { summary } : {}),
      };
    } finally {
      run.signal.removeEventListener('abort', onAbort);
    }
  };
}
