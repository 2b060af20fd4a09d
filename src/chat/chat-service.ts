import type { LlmProvider, ProviderMessage, StreamedToolCall } from '../agents/providers/types.ts';
import { ProviderError } from '../agents/providers/types.ts';
import { TurnError, type TurnUsage } from '../agents/runner.ts';
import { runToolLoop, type ToolStep } from '../agents/tool-loop.ts';
import type { ToolTarget } from '../agents/tools/tool-registry.ts';
import type { AgentTool, ToolResult, ToolUpdate } from '../agents/tools/tool-types.ts';
import { maxToolSteps } from '../agents/tools/tools-config.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { Logger } from '../logging/logger.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import type { Broadcast } from '../server/broadcast.ts';
import type { LaneName, Lanes } from '../server/lanes.ts';
import type { SessionEvents } from '../sessions/session-events.ts';
import type { SessionRecord, StoredMessage, Usage } from '../storage/store.ts';
import { type ContextTailStore, MAX_CONTEXT_MESSAGES } from './context-tail.ts';
import { toProviderContext } from './provider-context.ts';
import { boundedDetails } from './tool-transcript.ts';
import { assistantMessage, wireUsage } from './wire-message.ts';

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ModelTarget = { provider: LlmProvider; providerId: string; model: string };

export type ChatDeps = {
  /** The gateway's one store instance: the model's context comes from its in-memory tail (context-tail.ts). */
  store: ContextTailStore;
  events: Broadcast;
  lanes: Lanes;
  logger: Logger;
  now(): number;
  config(): GatewayConfig;
  /** `provider/model` → a provider instance; throws for an unknown provider. */
  resolveModel(ref: string): ModelTarget;
  /** The agent's model chain (primary first) and system prompt. */
  agentSettings(agentId: string): { models: string[]; systemPrompt?: string };
  sessionEvents: SessionEvents;
  /** The tools a turn of this agent may call, its policy applied (ToolRegistry.resolve); none when absent. */
  tools?(target: ToolTarget): AgentTool[] | Promise<AgentTool[]>;
};

export type SendInput = {
  sessionKey: string;
  agentId: string;
  message: string;
  idempotencyKey: string;
  timeoutMs?: number;
  lane?: LaneName;
  /** The cron job running this turn (set by the job runner, never from a client's params): its exec prompts can mint standing grants. */
  automation?: { jobId: string };
  /** In-process listener for the reply's text as it streams (the HTTP chat-completions endpoint). */
  onDelta?: (delta: string) => void;
};

export type SendResult = {
  runId: string;
  status: 'started' | 'in_flight' | 'ok' | 'timeout';
  summary?: string;
  stopReason?: string;
  endedAt?: number;
};

export type RunOutcome = {
  runId: string;
  endedAt: number;
  status: 'ok' | 'error' | 'aborted';
  message?: StoredMessage;
  errorMessage?: string;
  stopReason?: string;
};

type ActiveRun = {
  runId: string;
  sessionKey: string;
  agentId: string;
  automation: { jobId: string } | undefined;
  controller: AbortController;
  abortReason: 'rpc' | 'timeout' | 'shutdown' | undefined;
  /** One per-run counter for agent and chat events: a chat event carries the seq of the agent event it mirrors. */
  seq: number;
  /** Settles with the outcome; never rejects (a failure inside the turn becomes an `error` outcome). */
  done: Promise<RunOutcome>;
};

type Finished = { outcome: RunOutcome; expiresAt: number };

/**
 * The chat pipeline (seed: chat.send → resolveAgentRoute → embedded agent → LLM transport). It owns the runs:
 * the user message is committed before the provider is called, the reply streams out as `chat`/`agent`
 * events, and the assistant message — final, partial on abort, or partial with the error — is committed when
 * the turn ends. A turn never waits on a socket: every event goes through the non-blocking broadcast.
 */
export class ChatService {
  #deps: ChatDeps;
  #runs = new Map<string, ActiveRun>();
  #finished = new Map<string, Finished>();
  /** Runs whose user message is being committed: a concurrent send with the same key waits on it. */
  #starting = new Map<string, Promise<void>>();
  #closing = false;

  constructor(deps: ChatDeps) {
    this.#deps = deps;
  }

  activeRunIds(sessionKey?: string): string[] {
    return [...this.#runs.values()]
      .filter((run) => !sessionKey || run.sessionKey === sessionKey)
      .map((r) => r.runId);
  }

  /** Starts a turn (or reports the one already started under this idempotency key). */
  async send(input: SendInput): Promise<SendResult & { done: Promise<RunOutcome> }> {
    const runId = input.idempotencyKey;
    const active = this.#runs.get(runId);
    if (active) return { runId, status: 'in_flight', done: active.done };
    const finished = this.#recentOutcome(runId);
    if (finished) return { ...repeatAnswer(finished), done: Promise.resolve(finished) };
    if (this.#closing) {
      throw new GatewayError('UNAVAILABLE', 'gateway is shutting down; retry after restart', {
        retryable: true,
      });
    }
    // A second send with the same key while the first is still committing waits for it, then answers in_flight.
    const starting = this.#starting.get(runId);
    if (starting) return starting.then(() => this.send(input));
    const { store, now } = this.#deps;
    let committed!: () => void;
    this.#starting.set(runId, new Promise<void>((resolve) => (committed = resolve)));
    let session: SessionRecord;
    let userMessage: StoredMessage;
    try {
      // The key may name a run from before a restart (or older than the in-memory window): answer from the
      // store instead of starting a second run under the same id.
      const stored = await store.getRun(runId);
      if (stored) {
        const outcome: RunOutcome = {
          runId,
          endedAt: stored.endedAt ?? now(),
          status: stored.status === 'running' ? 'error' : stored.status,
          stopReason: stored.status === 'aborted' ? 'aborted' : undefined,
          errorMessage:
            stored.status === 'running' ? 'the run was interrupted by a gateway restart' : stored.error,
        };
        // Nothing starts under this key: release it, or close() and the next send with it wait forever.
        this.#starting.delete(runId);
        committed();
        return { ...repeatAnswer(outcome), done: Promise.resolve(outcome) };
      }
      // Most turns go to a session that exists: a read then, not a write (which costs a group commit of its own
      // before the user message's). If it is deleted in between, appendMessage creates it again, as before.
      session =
        (await store.getSession(input.sessionKey)) ??
        (await store.ensureSession(input.sessionKey, input.agentId, now()));
      // The user message and its run start commit together: one fsync before the answer goes out.
      userMessage = await store.appendMessage(
        { sessionKey: session.key, role: 'user', content: input.message, timestamp: now(), runId },
        { start: { agentId: input.agentId, startedAt: now() } },
      );
    } catch (error) {
      this.#starting.delete(runId);
      committed();
      throw error;
    }
    const run: ActiveRun = {
      runId,
      sessionKey: session.key,
      agentId: input.agentId,
      automation: input.automation,
      controller: new AbortController(),
      abortReason: undefined,
      seq: 0,
      done: Promise.resolve(undefined as unknown as RunOutcome),
    };
    this.#runs.set(runId, run);
    const lane = input.lane ?? 'main';
    // The response goes out first, then sessions.changed and the user's session.message, then the run's own
    // events: OpenClaw's order, which clients rely on to place the reply under the message.
    run.done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#afterAccepted(run, userMessage))
      .then(() => this.#deps.lanes.run(lane, session.key, () => this.#execute(run, input, userMessage)))
      .catch((error: unknown) => this.#failRun(run, error))
      .finally(() => this.#runs.delete(runId));
    this.#starting.delete(runId);
    committed();
    return { runId, status: 'started', done: run.done };
  }

  async #afterAccepted(run: ActiveRun, userMessage: StoredMessage): Promise<void> {
    // The session is read only for these two events.
    if (!this.#deps.sessionEvents.heard(run.sessionKey)) return;
    let session: SessionRecord | undefined;
    try {
      session = await this.#deps.store.getSession(run.sessionKey);
    } catch (error) {
      // Only the session row for the events is missing; the turn itself can still run.
      this.#deps.logger.error('could not read the session for its events', {
        runId: run.runId,
        error: (error as Error).stack,
      });
    }
    if (session) this.#deps.sessionEvents.changed(session, 'message', run.runId);
    this.#deps.sessionEvents.message(run.agentId, userMessage, session);
  }

  /**
   * The last resort for a turn that threw outside its own handling: the client gets the terminal `error`, the run
   * record is closed, and the outcome is remembered, so nothing waits on it forever and the process goes on.
   */
  async #failRun(run: ActiveRun, error: unknown): Promise<RunOutcome> {
    const { logger, now } = this.#deps;
    const errorMessage = `the run failed: ${(error as Error).message}`;
    logger.error('chat run failed', { runId: run.runId, error: (error as Error).stack });
    const endedAt = now();
    try {
      this.#emitAgent(run, 'lifecycle', { phase: 'error', error: errorMessage, endedAt });
      this.#emitChat(run, 'error', { errorMessage, errorKind: 'unknown', stopReason: 'error' });
    } catch (emitError) {
      logger.error('could not announce the failed run', {
        runId: run.runId,
        error: (emitError as Error).message,
      });
    }
    await this.#closeRunRecord(run.runId, endedAt, errorMessage);
    const outcome: RunOutcome = {
      runId: run.runId,
      endedAt,
      status: 'error',
      errorMessage,
      stopReason: 'error',
    };
    this.#remember(outcome);
    return outcome;
  }

  /** Marks the run ended in the store when the assistant message (which normally carries that) was not saved. */
  async #closeRunRecord(runId: string, endedAt: number, errorMessage: string): Promise<void> {
    try {
      await this.#deps.store.finishRun(runId, 'error', endedAt, errorMessage);
    } catch (error) {
      // At the next start-up it is failed as interrupted; nothing more can be done now.
      this.#deps.logger.error('could not close the run record', { runId, error: (error as Error).message });
    }
  }

  /**
   * Answers a gateway command (`/new`, `/reset`) without a model: the command and the gateway's reply go into the
   * transcript and out as one `final`, as OpenClaw does.
   */
  async commandReply(input: {
    sessionKey: string;
    agentId: string;
    idempotencyKey: string;
    command: string;
    reply: string;
  }): Promise<SendResult> {
    const { store, now } = this.#deps;
    const runId = input.idempotencyKey;
    const finished = this.#recentOutcome(runId);
    if (finished) return repeatAnswer(finished);
    const user = await store.appendMessage({
      sessionKey: input.sessionKey,
      role: 'user',
      content: input.command,
      timestamp: now(),
      runId,
    });
    const assistant = await store.appendMessage({
      sessionKey: input.sessionKey,
      role: 'assistant',
      content: [{ type: 'text', text: input.reply }],
      timestamp: now(),
      runId,
      provider: 'openclaw',
      model: 'gateway-injected',
      stopReason: 'stop',
    });
    const endedAt = now();
    this.#remember({ runId, endedAt, status: 'ok', message: assistant, stopReason: 'stop' });
    setImmediate(() => {
      (async () => {
        this.#deps.events.broadcast('chat', {
          runId,
          sessionKey: input.sessionKey,
          seq: 1,
          state: 'final',
          message: assistantMessage(input.reply, assistant.timestamp),
        });
        const session = await store.getSession(input.sessionKey);
        this.#deps.sessionEvents.message(input.agentId, user, session);
        this.#deps.sessionEvents.message(input.agentId, assistant, session);
        if (session) this.#deps.sessionEvents.changed(session, 'agent.input.settled', runId);
      })().catch((error: unknown) =>
        // The reply is committed and answered; only its events failed, which the log must say.
        this.#deps.logger.error('command reply events failed', { runId, error: (error as Error).stack }),
      );
    });
    return { runId, status: 'started' };
  }

  #recentOutcome(runId: string): RunOutcome | undefined {
    const entry = this.#finished.get(runId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#deps.now()) {
      this.#finished.delete(runId);
      return undefined;
    }
    return entry.outcome;
  }

  #remember(outcome: RunOutcome): void {
    const now = this.#deps.now();
    const { idempotencyTtlMs, idempotencyMaxEntries: max } = this.#deps.config().gateway.limits;
    this.#finished.set(outcome.runId, { outcome, expiresAt: now + idempotencyTtlMs });
    // Expired entries go on each insert, and past the cap the oldest go too (protocol.md §7: 5 min, 1 000
    // entries); an older key is still answered, from the store's runs table.
    for (const [key, entry] of this.#finished) {
      if (entry.expiresAt > now && this.#finished.size <= max) break;
      this.#finished.delete(key);
    }
  }

  /** Aborts the session's runs (or one run); returns the run ids aborted. */
  abort(sessionKey: string, runId?: string, reason: ActiveRun['abortReason'] = 'rpc'): string[] {
    const aborted: string[] = [];
    for (const run of this.#runs.values()) {
      if (run.sessionKey !== sessionKey || (runId && run.runId !== runId)) continue;
      run.abortReason ??= reason;
      run.controller.abort();
      aborted.push(run.runId);
    }
    return aborted;
  }

  /** Waits for a run to end, up to `timeoutMs`; undefined on timeout or an unknown run. */
  async wait(runId: string, timeoutMs: number): Promise<RunOutcome | undefined> {
    const finished = this.#recentOutcome(runId);
    if (finished) return finished;
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([run.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shutdown: aborts every run and waits until each has committed what it streamed. */
  async close(): Promise<void> {
    this.#closing = true;
    // A send already past its closing check is still committing its user message: let it register its run, so
    // that run is aborted too instead of running to its end while the gateway waits to stop.
    await Promise.all([...this.#starting.values()]);
    const runs = [...this.#runs.values()];
    for (const run of runs) {
      run.abortReason ??= 'shutdown';
      run.controller.abort();
    }
    await Promise.allSettled(runs.map((run) => run.done));
  }

  /** A chat event mirroring the agent event just sent (same per-run seq). */
  #emitChat(run: ActiveRun, state: string, extra: Record<string, unknown>): void {
    this.#deps.events.broadcast('chat', {
      runId: run.runId,
      sessionKey: run.sessionKey,
      agentId: run.agentId,
      seq: run.seq,
      state,
      ...extra,
    });
  }

  #emitAgent(run: ActiveRun, stream: string, data: Record<string, unknown>): void {
    run.seq += 1;
    this.#deps.events.broadcast('agent', {
      runId: run.runId,
      seq: run.seq,
      stream,
      ts: this.#deps.now(),
      data,
    });
  }

  /** A start-up phase: agent `run_status` and chat `status`, one seq. */
  #emitPhase(run: ActiveRun, phase: string): void {
    this.#emitAgent(run, 'run_status', { phase });
    this.#emitChat(run, 'status', { phase });
  }

  async #history(userMessage: StoredMessage): Promise<ProviderMessage[]> {
    const messages = await this.#deps.store.recent(userMessage.sessionKey, MAX_CONTEXT_MESSAGES);
    return toProviderContext(messages, userMessage);
  }

  /** The turn's tools; a registry that fails leaves the turn without tools rather than failing it. */
  async #turnTools(run: ActiveRun): Promise<AgentTool[]> {
    if (!this.#deps.tools) return [];
    try {
      return await this.#deps.tools({
        agentId: run.agentId,
        sessionKey: run.sessionKey,
        runId: run.runId,
        ...(run.automation ? { automation: run.automation } : {}),
      });
    } catch (error) {
      this.#deps.logger.error("could not resolve the turn's tools; it runs without them", {
        runId: run.runId,
        error: (error as Error).stack,
      });
      return [];
    }
  }

  /**
   * A tool event: `agent` stream `tool` for clients that asked for tool events, `session.tool` for watchers. Like
   * OpenClaw's, it names its session and agent (beyond the published AgentEvent schema): the Control UI files a
   * tool card under the session it belongs to.
   */
  #emitTool(run: ActiveRun, data: Record<string, unknown>): void {
    run.seq += 1;
    const payload = {
      runId: run.runId,
      seq: run.seq,
      stream: 'tool',
      ts: this.#deps.now(),
      sessionKey: run.sessionKey,
      agentId: run.agentId,
      data,
    };
    this.#deps.events.broadcast('agent', payload, { filter: (client) => client.caps.has(TOOL_EVENTS_CAP) });
    this.#deps.events.broadcast('session.tool', payload, {
      filter: (client) =>
        !client.caps.has(TOOL_EVENTS_CAP) &&
        (client.sessionsSubscribed || client.messageSubscriptions.has(run.sessionKey)),
    });
  }

  /** A committed step's assistant message: its text and tool calls, before any call runs. */
  async #commitToolStep(run: ActiveRun, target: ModelTarget, step: ToolStep): Promise<void> {
    const message = await this.#deps.store.appendMessage({
      sessionKey: run.sessionKey,
      role: 'assistant',
      content: [
        ...(step.text ? [{ type: 'text' as const, text: step.text }] : []),
        ...step.toolCalls.map((call) => ({
          type: 'toolCall' as const,
          id: call.id,
          name: call.name,
          arguments: call.arguments,
        })),
      ],
      timestamp: this.#deps.now(),
      runId: run.runId,
      provider: target.providerId,
      model: target.model,
      ...(step.usage ? { usage: toUsage(step.usage) } : {}),
      stopReason: 'toolUse',
    });
    this.#deps.sessionEvents.message(run.agentId, message, undefined);
  }

  /** A call's result, committed before it is streamed or fed back: an acknowledged result is never lost. */
  async #commitToolResult(run: ActiveRun, call: StreamedToolCall, result: ToolResult): Promise<void> {
    const details = boundedDetails(result.details);
    const message = await this.#deps.store.appendMessage({
      sessionKey: run.sessionKey,
      role: 'toolResult',
      content: result.content,
      timestamp: this.#deps.now(),
      runId: run.runId,
      toolCallId: call.id,
      toolName: call.name,
      isError: result.isError === true,
      ...(details !== undefined ? { details } : {}),
    });
    this.#emitTool(run, {
      phase: 'result',
      name: call.name,
      toolCallId: call.id,
      isError: result.isError === true,
      result: { content: result.content, ...(details !== undefined ? { details } : {}) },
    });
    this.#deps.sessionEvents.message(run.agentId, message, undefined);
  }

  async #execute(run: ActiveRun, input: SendInput, userMessage: StoredMessage): Promise<RunOutcome> {
    const { store, now, logger } = this.#deps;
    const { signal } = run.controller;
    let timer: NodeJS.Timeout | undefined;
    if (input.timeoutMs && input.timeoutMs > 0) {
      // Node fires a longer timer at once; a deadline beyond ~24.8 days is as good as none.
      timer = setTimeout(
        () => {
          run.abortReason ??= 'timeout';
          run.controller.abort();
        },
        Math.min(input.timeoutMs, MAX_TIMER_MS),
      );
    }
    const startedAt = now();
    let text = '';
    let usage: Usage | undefined;
    /** The final step's own usage: what its message records (earlier steps' messages hold theirs). */
    let stepUsage: Usage | undefined;
    let stopReason = 'stop';
    let error: ProviderError | undefined;
    let target: ModelTarget | undefined;
    try {
      this.#emitPhase(run, 'preparing_context');
      this.#emitAgent(run, 'lifecycle', { phase: 'start', startedAt });
      const settings = this.#deps.agentSettings(run.agentId);
      const tools = await this.#turnTools(run);
      const history = await this.#history(userMessage);
      this.#emitPhase(run, 'starting_model');
      // A model chosen for the session (sessions.patch) goes first; the agent's chain follows as fallbacks.
      const sessionModel = (await store.getSession(run.sessionKey))?.model;
      const chain = sessionModel
        ? [sessionModel, ...settings.models.filter((m) => m !== sessionModel)]
        : settings.models;
      for (let index = 0; index < chain.length; index += 1) {
        const ref = chain[index] as string;
        try {
          target = this.#deps.resolveModel(ref);
        } catch (resolveError) {
          error = new ProviderError('unknown', (resolveError as Error).message);
          break;
        }
        this.#emitAgent(run, 'lifecycle', {
          phase: 'model',
          provider: target.providerId,
          model: target.model,
        });
        try {
          const modelTarget = target;
          const result = await runToolLoop(
            {
              provider: target.provider,
              model: target.model,
              system: settings.systemPrompt,
              messages: history,
              tools,
              maxSteps: maxToolSteps(this.#deps.config()),
              signal,
            },
            {
              onDelta: (delta, full) => {
                text = full;
                input.onDelta?.(delta);
                const timestamp = now();
                this.#emitAgent(run, 'assistant', { text: full, delta });
                this.#emitChat(run, 'delta', {
                  deltaText: delta,
                  message: assistantMessage(full, timestamp),
                });
              },
              onUsage: (u) => {
                usage = toUsage(u);
                this.#emitAgent(run, 'usage', { ...wireUsage(usage) });
              },
              onStepStart: () => {
                text = '';
              },
              onToolStep: (step) => this.#commitToolStep(run, modelTarget, step),
              onToolStart: (call) =>
                this.#emitTool(run, {
                  phase: 'start',
                  name: call.name,
                  toolCallId: call.id,
                  args: call.arguments,
                }),
              onToolUpdate: (call, update: ToolUpdate) =>
                this.#emitTool(run, {
                  phase: 'update',
                  name: call.name,
                  toolCallId: call.id,
                  partialResult: update,
                }),
              onToolResult: (call, outcome) => this.#commitToolResult(run, call, outcome),
            },
          );
          text = result.text;
          stopReason = result.stopReason;
          if (result.usage) usage = toUsage(result.usage);
          stepUsage = result.stepUsage ? toUsage(result.stepUsage) : undefined;
          error = undefined;
          break;
        } catch (turnError) {
          const failure = turnError instanceof TurnError ? turnError : undefined;
          error = failure?.providerError ?? new ProviderError('unknown', (turnError as Error).message);
          text = failure?.partialText ?? text;
          if (failure?.usage) usage = toUsage(failure.usage);
          stepUsage = failure?.stepUsage ? toUsage(failure.stepUsage) : undefined;
          const next = chain[index + 1];
          // Fall back only when nothing reached the client yet, no tool ran (another model would run it again)
          // and the failure is worth retrying elsewhere.
          if (next && error.retryable && text === '' && !failure?.toolSteps && !signal.aborted) {
            this.#emitAgent(run, 'lifecycle', {
              phase: 'fallback_step',
              from: ref,
              to: next,
              error: error.message,
            });
            continue;
          }
          break;
        }
      }
    } catch (unexpected) {
      error = new ProviderError('unknown', (unexpected as Error).message);
      logger.error('chat run failed unexpectedly', { runId: run.runId, error: (unexpected as Error).stack });
    } finally {
      clearTimeout(timer);
    }

    const aborted = signal.aborted && run.abortReason !== 'timeout';
    const timedOut = run.abortReason === 'timeout';
    let status: RunOutcome['status'] = aborted ? 'aborted' : error || timedOut ? 'error' : 'ok';
    let finalStop = aborted
      ? run.abortReason === 'rpc'
        ? 'rpc'
        : 'aborted'
      : status === 'error'
        ? 'error'
        : stopReason;
    let errorMessage = timedOut
      ? `the run timed out after ${formatDuration(input.timeoutMs ?? 0)}`
      : status === 'error'
        ? (error?.message ?? 'the run failed')
        : undefined;

    // Commit what the client saw before telling it the turn ended: a partial reply is kept with its stop reason.
    let message: StoredMessage | undefined;
    try {
      message = await store.appendMessage(
        {
          sessionKey: run.sessionKey,
          role: 'assistant',
          content: [{ type: 'text', text }],
          timestamp: now(),
          runId: run.runId,
          ...(target ? { provider: target.providerId, model: target.model } : {}),
          ...(stepUsage ? { usage: stepUsage } : {}),
          stopReason: finalStop,
          ...(errorMessage ? { errorMessage } : {}),
        },
        { finish: { status, endedAt: now(), ...(errorMessage ? { error: errorMessage } : {}) } },
      );
    } catch (storeError) {
      logger.error('could not commit the assistant message', {
        runId: run.runId,
        error: (storeError as Error).stack,
      });
      // A reply that is not in the transcript did not happen as far as the client can tell: the turn ends as an
      // error naming the cause, with what streamed still attached.
      status = 'error';
      finalStop = 'error';
      errorMessage = `the reply could not be saved: ${(storeError as Error).message}`;
      await this.#closeRunRecord(run.runId, now(), errorMessage);
    }

    // OpenClaw's order: the assistant's session.message, then lifecycle end + the terminal chat event (one seq),
    // then sessions.changed.
    let session: SessionRecord | undefined;
    // Read for the session events alone: not when nobody would get them.
    if (message && this.#deps.sessionEvents.heard(run.sessionKey)) {
      try {
        session = await store.getSession(run.sessionKey);
      } catch (readError) {
        logger.error('could not read the session after the turn', {
          runId: run.runId,
          error: (readError as Error).message,
        });
      }
    }
    if (message) this.#deps.sessionEvents.message(run.agentId, message, session);
    const wire = assistantMessage(text, message?.timestamp ?? now());
    const endedAt = now();
    if (status === 'ok') {
      this.#emitAgent(run, 'lifecycle', {
        phase: 'end',
        stopReason: finalStop,
        aborted: false,
        startedAt,
        endedAt,
      });
      this.#emitChat(run, 'final', {
        stopReason: finalStop,
        message: wire,
        ...(usage ? { usage: wireUsage(usage) } : {}),
      });
    } else if (status === 'aborted') {
      this.#emitAgent(run, 'lifecycle', {
        phase: 'end',
        status: 'cancelled',
        aborted: true,
        stopReason: finalStop,
        startedAt,
        endedAt,
      });
      this.#emitChat(run, 'aborted', { stopReason: finalStop, ...(text ? { message: wire } : {}) });
    } else {
      const errorKind = timedOut ? 'timeout' : errorKindOf(error);
      this.#emitAgent(run, 'lifecycle', { phase: 'error', error: errorMessage, startedAt, endedAt });
      this.#emitChat(run, 'error', {
        errorMessage,
        errorKind,
        ...(target
          ? {
              errorDetail: {
                provider: target.providerId,
                model: target.model,
                failoverReason: error?.kind ?? errorKind,
              },
            }
          : {}),
        stopReason: 'error',
        ...(text ? { message: wire } : {}),
        ...(usage ? { usage: wireUsage(usage) } : {}),
      });
    }
    if (session) this.#deps.sessionEvents.changed(session, 'agent.input.settled', run.runId);
    const outcome: RunOutcome = {
      runId: run.runId,
      endedAt,
      status,
      message,
      errorMessage,
      stopReason: finalStop,
    };
    this.#remember(outcome);
    return outcome;
  }
}

/**
 * What a repeated idempotency key gets once its run has ended, as OpenClaw answers: `ok` after success,
 * `timeout`/`aborted` after an abort, and the run's failure as an error after a provider error.
 */
function repeatAnswer(outcome: RunOutcome): SendResult {
  if (outcome.status === 'ok') return { runId: outcome.runId, status: 'ok' };
  if (outcome.status === 'aborted') {
    return {
      runId: outcome.runId,
      status: 'timeout',
      summary: 'aborted',
      stopReason: outcome.stopReason,
      endedAt: outcome.endedAt,
    };
  }
  throw new GatewayError(
    'UNAVAILABLE',
    `agent failed before reply: ${outcome.errorMessage ?? 'the run failed'}`,
  );
}

const TOOL_EVENTS_CAP = 'tool-events';

function toUsage(usage: TurnUsage): Usage {
  return { input: usage.input, output: usage.output, total: usage.input + usage.output };
}

function errorKindOf(error: ProviderError | undefined): string {
  switch (error?.kind) {
    case 'rate_limit':
      return 'rate_limit';
    case 'timeout':
      return 'timeout';
    case 'context_length':
      return 'context_length';
    case 'refusal':
      return 'refusal';
    default:
      return 'unknown';
  }
}

function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
