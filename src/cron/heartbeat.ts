import { randomUUID } from 'node:crypto';
import type { ChatService } from '../chat/chat-service.ts';
import { messageText } from '../chat/wire-message.ts';
import { parseDuration } from '../config/duration.ts';
import type { GatewayConfig, HeartbeatConfig } from '../config/types.ts';
import type { Logger } from '../logging/logger.ts';
import { mainSessionKey } from '../routing/session-key.ts';
import type { Lanes } from '../server/lanes.ts';
import type { CronStore } from '../storage/cron-store.ts';
import type { ChannelDeliver } from './announce.ts';

export const DEFAULT_HEARTBEAT_EVERY = '30m';
/** The reply that means "nothing needs attention": the turn is kept but nothing is announced. */
export const SILENT_REPLY_TOKENS = ['NO_REPLY', 'HEARTBEAT_OK'];

export function isSilentReply(text: string): boolean {
  return SILENT_REPLY_TOKENS.some((token) => text.startsWith(token));
}
export const DEFAULT_HEARTBEAT_PROMPT =
  'Scheduled check-in. Act on the system events above, if any, and on anything the user asked you to watch. ' +
  'Do not bring back old tasks from earlier conversations. If nothing needs attention, reply NO_REPLY.';
/** Without `timeoutSeconds`, a heartbeat turn may take its cadence, up to this. */
const MAX_DEFAULT_TIMEOUT_MS = 600_000;
/** Pending system events kept per session; the oldest go first (OpenClaw keeps a short queue too). */
export const MAX_QUEUED_EVENTS = 20;
const PREVIEW_MAX_CHARS = 200;
const LAST_HEARTBEAT_KEY = 'heartbeat.last';

export type HeartbeatStatus = 'sent' | 'ok-empty' | 'ok-token' | 'skipped' | 'failed';
export type HeartbeatEvent = {
  ts: number;
  status: HeartbeatStatus;
  reason?: string;
  preview?: string;
  durationMs?: number;
  silent?: boolean;
  indicatorType?: 'ok' | 'alert' | 'error';
  agentId?: string;
  sessionKey?: string;
};

export type HeartbeatReason = 'interval' | 'wake' | 'cron' | 'manual';

/** An agent's heartbeat settings: its own `heartbeat` over `agents.defaults.heartbeat`, durations parsed. */
export type HeartbeatSettings = {
  everyMs: number;
  prompt: string;
  target: string;
  to?: string;
  accountId?: string;
  sessionKey: string;
  timeoutMs: number;
  activeHours?: { start: string; end: string; timezone?: string };
};

export function heartbeatSettings(config: GatewayConfig, agentId: string): HeartbeatSettings {
  const agent = config.agents.list.find((entry) => entry.id === agentId);
  const merged: HeartbeatConfig = { ...config.agents.defaults.heartbeat, ...agent?.heartbeat };
  const everyMs = parseDuration(merged.every ?? DEFAULT_HEARTBEAT_EVERY) ?? 0;
  const main = mainSessionKey(agentId, config.session.mainKey, config.session.scope);
  return {
    everyMs,
    prompt: merged.prompt ?? DEFAULT_HEARTBEAT_PROMPT,
    target: merged.target ?? 'owner',
    ...(merged.to ? { to: merged.to } : {}),
    ...(merged.accountId ? { accountId: merged.accountId } : {}),
    sessionKey: merged.session ? mainSessionKey(agentId, merged.session, config.session.scope) : main,
    timeoutMs:
      merged.timeoutSeconds !== undefined
        ? merged.timeoutSeconds * 1000
        : Math.min(everyMs || MAX_DEFAULT_TIMEOUT_MS, MAX_DEFAULT_TIMEOUT_MS),
    ...(merged.activeHours ? { activeHours: merged.activeHours } : {}),
  };
}

/** Minutes since local midnight of `now` in `timeZone` (the host's without one). */
function localMinutes(now: number, timeZone: string | undefined): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(new Date(now));
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return value('hour') * 60 + value('minute');
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
}

/** `start`–`end` local time; a window past midnight (22:00–06:00) wraps; `24:00` is the end of the day. */
export function withinActiveHours(now: number, hours: HeartbeatSettings['activeHours']): boolean {
  if (!hours) return true;
  const current = localMinutes(now, hours.timezone);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (start === end) return true;
  return start < end ? current >= start && current < end : current >= start || current < end;
}

export type HeartbeatDeps = {
  chat: ChatService;
  lanes: Lanes;
  store: CronStore;
  logger: Logger;
  now(): number;
  config(): GatewayConfig;
  broadcast(payload: HeartbeatEvent): void;
  /** Sends an alert to a channel target (`target: "<channel id>"` with `to`). */
  deliver?: ChannelDeliver;
};

/** Targets that are not a channel id. */
const NON_CHANNEL_TARGETS = new Set(['owner', 'last', 'none']);

type QueuedEvent = { text: string; ts: number; source: string };

/**
 * The per-agent heartbeat (OpenClaw's): a main-session turn with the heartbeat prompt and whatever system
 * events were queued for that session since the last one. Its cadence is a system-owned cron job
 * (heartbeat-jobs.ts); this runs one beat. A poll with no events and nowhere to deliver (`target: "owner"`
 * without a channel) is skipped as `no-route`, so a fresh gateway never calls a model on its own.
 */
export class HeartbeatRunner {
  readonly #deps: HeartbeatDeps;
  readonly #queues = new Map<string, QueuedEvent[]>();
  #enabled = true;
  #last: HeartbeatEvent | null = null;

  constructor(deps: HeartbeatDeps) {
    this.#deps = deps;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** `set-heartbeats`: while off, beats are skipped (`disabled`); queued events wait. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  last(): HeartbeatEvent | null {
    return this.#last;
  }

  async load(): Promise<void> {
    this.#last = (await this.#deps.store.getValue<HeartbeatEvent>(LAST_HEARTBEAT_KEY)) ?? null;
  }

  /**
   * Queues text for the session's next beat (`system-event`, a `systemEvent` job, `wake`, a webhook). False when
   * it was coalesced: the same text is already the newest pending event (OpenClaw's rule, so a retried webhook
   * or a repeated wake does not stack copies).
   */
  enqueue(sessionKey: string, text: string, source: string): boolean {
    let queue = this.#queues.get(sessionKey);
    if (!queue) {
      queue = [];
      this.#queues.set(sessionKey, queue);
    }
    const cleaned = text.trim();
    if (queue.at(-1)?.text === cleaned) return false;
    queue.push({ text: cleaned, ts: this.#deps.now(), source });
    if (queue.length > MAX_QUEUED_EVENTS) queue.splice(0, queue.length - MAX_QUEUED_EVENTS);
    return true;
  }

  pending(sessionKey: string): number {
    return this.#queues.get(sessionKey)?.length ?? 0;
  }

  /** Runs one beat for the agent now; never rejects (a failure is a `failed` beat). */
  async run(agentId: string, reason: HeartbeatReason, sessionKey?: string): Promise<HeartbeatEvent> {
    const started = this.#deps.now();
    const settings = heartbeatSettings(this.#deps.config(), agentId);
    const key = sessionKey ?? settings.sessionKey;
    const base = { agentId, sessionKey: key };
    if (!this.#enabled) return this.#record({ ...base, ts: started, status: 'skipped', reason: 'disabled' });
    if (reason === 'interval' && !withinActiveHours(started, settings.activeHours)) {
      return this.#record({ ...base, ts: started, status: 'skipped', reason: 'quiet-hours' });
    }
    const events = this.#queues.get(key) ?? [];
    if (events.length === 0 && settings.target === 'owner') {
      return this.#record({ ...base, ts: started, status: 'skipped', reason: 'no-route' });
    }
    if (events.length === 0 && this.#deps.lanes.busy(key)) {
      return this.#record({ ...base, ts: started, status: 'skipped', reason: 'requests-in-flight' });
    }
    this.#queues.delete(key);
    const lines = events.map((event) => `System event (${event.source}): ${event.text}`);
    const message = lines.length > 0 ? `${lines.join('\n')}\n\n${settings.prompt}` : settings.prompt;
    try {
      const sent = await this.#deps.chat.send({
        sessionKey: key,
        agentId,
        message,
        idempotencyKey: `heartbeat:${agentId}:${randomUUID()}`,
        lane: 'cron',
        timeoutMs: settings.timeoutMs,
      });
      const outcome = await sent.done;
      const durationMs = this.#deps.now() - started;
      if (outcome.status !== 'ok') {
        return this.#record({
          ...base,
          ts: this.#deps.now(),
          status: 'failed',
          reason: outcome.errorMessage ?? outcome.status,
          durationMs,
          indicatorType: 'error',
        });
      }
      const text = outcome.message ? messageText(outcome.message).trim() : '';
      if (text === '') return this.#record({ ...base, ts: this.#deps.now(), status: 'ok-empty', durationMs });
      if (isSilentReply(text)) {
        return this.#record({
          ...base,
          ts: this.#deps.now(),
          status: 'ok-token',
          durationMs,
          silent: true,
          indicatorType: 'ok',
        });
      }
      const undelivered = await this.#deliver(settings, text);
      if (undelivered) {
        return this.#record({
          ...base,
          ts: this.#deps.now(),
          status: 'failed',
          reason: undelivered,
          preview: text.slice(0, PREVIEW_MAX_CHARS),
          durationMs,
          indicatorType: 'error',
        });
      }
      return this.#record({
        ...base,
        ts: this.#deps.now(),
        status: 'sent',
        preview: text.slice(0, PREVIEW_MAX_CHARS),
        durationMs,
        indicatorType: 'alert',
      });
    } catch (error) {
      // Not sent (shutting down, store failure): the events go back for the next beat.
      if (events.length > 0) this.#queues.set(key, [...events, ...(this.#queues.get(key) ?? [])]);
      return this.#record({
        ...base,
        ts: this.#deps.now(),
        status: 'failed',
        reason: (error as Error).message,
        durationMs: this.#deps.now() - started,
        indicatorType: 'error',
      });
    }
  }

  /**
   * An alert for a channel target goes out through that channel (OpenClaw's `target: "<channel id>"` with `to`);
   * `owner`, `last` and `none` keep it in the session. Returns why it could not be delivered, if it could not.
   */
  async #deliver(settings: HeartbeatSettings, text: string): Promise<string | undefined> {
    if (NON_CHANNEL_TARGETS.has(settings.target)) return undefined;
    if (!settings.to) return `heartbeat target ${settings.target} needs heartbeat.to (the recipient)`;
    if (!this.#deps.deliver) return 'no channel can deliver: channels are not running';
    try {
      await this.#deps.deliver({
        channel: settings.target,
        to: settings.to,
        text,
        ...(settings.accountId ? { accountId: settings.accountId } : {}),
      });
      return undefined;
    } catch (error) {
      return `delivery to ${settings.target} failed: ${(error as Error).message}`;
    }
  }

  #record(event: HeartbeatEvent): HeartbeatEvent {
    this.#last = event;
    this.#deps.broadcast(event);
    this.#deps.store.putValue(LAST_HEARTBEAT_KEY, event, event.ts).catch((error: unknown) => {
      this.#deps.logger.warn('heartbeat: saving the last beat failed', { error: (error as Error).message });
    });
    return event;
  }
}
