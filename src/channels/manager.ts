import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatService } from '../chat/chat-service.ts';
import type { ConfigReloader } from '../config/reload.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { Readiness } from '../health/readiness.ts';
import type { Logger } from '../logging/logger.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { ChannelStore } from '../storage/channel-store.ts';
import type { GatewayStore } from '../storage/store.ts';
import { accountLogger, withoutSecrets } from './account-logger.ts';
import { type AccountRecord, accountSecrets, recordKey } from './account-record.ts';
import type {
  ChannelAccount,
  ChannelAccountContext,
  ChannelAccountHandle,
  ChannelAdapter,
  ChannelStatusPatch,
  InboundMessage,
} from './channel-types.ts';
import type { InboundPipeline } from './inbound.ts';
import type { ReplyTiming } from './reply-stream.ts';

/** A start that has not settled by then is reported failed; start-up and `/readyz` do not wait on it longer. */
export const CHANNEL_START_TIMEOUT_MS = 30_000;

export type RegisteredChannel = { owner: string; adapter: ChannelAdapter };

export type ChannelManagerDeps = {
  /** The registered channels (built-in and plugins'), read again at every reconcile. */
  channels(): readonly RegisteredChannel[];
  config(): GatewayConfig;
  channelStore: ChannelStore;
  store: GatewayStore;
  chat: ChatService;
  sessions: SessionService;
  readiness: Readiness;
  logger: Logger;
  now(): number;
  /** Preview throttle and typing refresh (testing seam); OpenClaw's defaults otherwise. */
  timing?: Partial<ReplyTiming>;
  startTimeoutMs?: number;
};

/** Settings whose change restarts a running account; access, limits and streaming apply to the next message. */
function restartKey(account: ChannelAccount): string {
  return JSON.stringify([account.enabled, account.configured, account.settings]);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs the channels: starts every enabled, configured account of every registered channel when the gateway starts
 * (the plugin-bootstrap phase), restarts what a config change touches, stops everything on shutdown, and keeps
 * what `channels.status` and `/readyz` report. A failing account is reported, never fatal. The inbound pipeline
 * (access policy, routing, turns, replies) is loaded with the first account that starts, so a gateway with no
 * channel configured never loads it.
 */
export class ChannelManager {
  readonly #deps: ChannelManagerDeps;
  readonly #records = new Map<string, AccountRecord>();
  #pipeline: Promise<InboundPipeline> | undefined;
  #unsubscribe: (() => void) | undefined;
  #reconciling: Promise<void> = Promise.resolve();
  /** Channels this manager marked unhealthy, so one that goes away is cleared too. */
  #unhealthy = new Set<string>();
  #closed = false;

  constructor(deps: ChannelManagerDeps) {
    this.#deps = deps;
  }

  get deps(): ChannelManagerDeps {
    return this.#deps;
  }

  /** The plugin-bootstrap service: starts what config asks for and follows config changes. */
  async start(config: ConfigReloader): Promise<void> {
    this.#closed = false;
    this.#unsubscribe = config.subscribe(({ before, after }) => {
      if (JSON.stringify(before.channels) === JSON.stringify(after.channels)) return;
      this.sync().catch((error: unknown) =>
        this.#deps.logger.error('channels could not follow the config change', { error: errorText(error) }),
      );
    });
    this.#warnUnclaimedBlocks();
    await this.sync();
  }

  /** Stops every account; resolves once each adapter's stop has. */
  async stop(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#reconciling.catch(() => undefined);
    await Promise.all(
      [...this.#records.values()].map((record) => this.#transition(record, () => this.#stopRun(record))),
    );
  }

  /**
   * Brings the running accounts in line with the config and the registered channels (a plugin that registers a
   * channel later calls it too). Resolves when every start it began has settled.
   */
  sync(): Promise<void> {
    this.#reconciling = this.#reconciling.catch(() => undefined).then(() => this.#reconcile());
    return this.#reconciling;
  }

  records(): readonly AccountRecord[] {
    return [...this.#records.values()];
  }

  record(channel: string, accountId: string): AccountRecord | undefined {
    return this.#records.get(recordKey(channel, accountId));
  }

  adapter(channel: string): ChannelAdapter | undefined {
    return this.#deps.channels().find((entry) => entry.adapter.id === channel)?.adapter;
  }

  /** The accounts config gives a channel, read without throwing (an adapter bug is logged, not fatal). */
  accountsOf(adapter: ChannelAdapter, config: GatewayConfig = this.#deps.config()): ChannelAccount[] {
    try {
      return adapter.accounts(config);
    } catch (error) {
      this.#deps.logger.error(`${adapter.id}: reading its accounts from config failed`, {
        error: errorText(error),
      });
      return [];
    }
  }

  /** `channels.start`: starts (or restarts a failed) account, clearing a manual stop. */
  async startAccount(record: AccountRecord): Promise<void> {
    record.manualStop = false;
    if (record.state === 'running' || record.state === 'starting') return;
    await this.#transition(record, () => this.#startRun(record));
  }

  /** `channels.stop`: stops the account until `channels.start` (or a gateway restart). */
  async stopAccount(record: AccountRecord): Promise<void> {
    record.manualStop = true;
    await this.#transition(record, () => this.#stopRun(record));
  }

  /** `channels.logout`: stops the account and has the adapter forget its credentials or session. */
  async logoutAccount(record: AccountRecord, logout: () => Promise<void>): Promise<void> {
    await this.stopAccount(record);
    await logout();
  }

  /** Routes `/channels/<channel>[/<accountId>]` to the running account's HTTP handler, if it has one. */
  httpHandler(path: string): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    const [, prefix, channel, accountId, extra] = path.split('/');
    if (prefix !== 'channels' || !channel || extra !== undefined) return undefined;
    const adapter = this.adapter(channel);
    if (!adapter) return undefined;
    const record = this.record(channel, accountId || adapter.defaultAccountId(this.#deps.config()));
    const handle = record?.state === 'running' ? record.handle : undefined;
    return handle?.handleRequest?.bind(handle);
  }

  /** The inbound pipeline, loaded once. */
  pipeline(): Promise<InboundPipeline> {
    this.#pipeline ??= import('./inbound.ts').then(async ({ InboundPipeline }) => {
      const { DEFAULT_REPLY_TIMING } = await import('./reply-stream.ts');
      const { config, chat, sessions, store, channelStore, now } = this.#deps;
      return new InboundPipeline({
        config,
        chat,
        sessions,
        store,
        channelStore,
        now,
        timing: { ...DEFAULT_REPLY_TIMING, ...this.#deps.timing },
      });
    });
    return this.#pipeline;
  }

  async #reconcile(): Promise<void> {
    if (this.#closed) return;
    const config = this.#deps.config();
    const seen = new Set<string>();
    const work: Promise<void>[] = [];
    for (const { adapter } of this.#deps.channels()) {
      for (const account of this.accountsOf(adapter, config)) {
        const key = recordKey(adapter.id, account.accountId);
        seen.add(key);
        let record = this.#records.get(key);
        if (!record) {
          record = this.#newRecord(adapter, account);
          this.#records.set(key, record);
        }
        const previous = record.account;
        record.account = account;
        const wanted = account.enabled && account.configured && !record.manualStop;
        const active = record.state === 'running' || record.state === 'starting';
        const target = record;
        if (!wanted) {
          if (active || record.state === 'failed')
            work.push(this.#transition(target, () => this.#stopRun(target)));
        } else if (!active && record.state !== 'failed') {
          work.push(this.#transition(target, () => this.#startRun(target)));
        } else if (
          restartKey(previous) !== restartKey(account) ||
          (record.state === 'failed' && JSON.stringify(previous) !== JSON.stringify(account))
        ) {
          // A failed account is tried again when its config changes (a corrected token).
          work.push(
            this.#transition(target, async () => {
              await this.#stopRun(target);
              await this.#startRun(target);
            }),
          );
        }
      }
    }
    for (const [key, record] of this.#records) {
      if (seen.has(key)) continue;
      this.#records.delete(key);
      work.push(this.#transition(record, () => this.#stopRun(record)));
    }
    await Promise.all(work);
    this.#syncReadiness();
  }

  #newRecord(adapter: ChannelAdapter, account: ChannelAccount): AccountRecord {
    return {
      channel: adapter.id,
      accountId: account.accountId,
      adapter,
      account,
      logger: accountLogger(this.#deps.logger, adapter.id, account.accountId),
      state: 'stopped',
      handle: undefined,
      handleReady: Promise.resolve(undefined),
      controller: undefined,
      manualStop: false,
      connected: undefined,
      lastError: null,
      lastStartAt: null,
      lastStopAt: null,
      lastInboundAt: null,
      lastOutboundAt: null,
      lastTransportActivityAt: null,
      lastRunActivityAt: null,
      lastProbeAt: null,
      fields: {},
      activeRuns: 0,
      approved: undefined,
      transition: Promise.resolve(),
    };
  }

  /** Runs `work` after the account's previous start or stop, never at the same time as one. */
  #transition(record: AccountRecord, work: () => Promise<void>): Promise<void> {
    const next = record.transition.then(work, work);
    record.transition = next.catch(() => undefined);
    return next;
  }

  async #startRun(record: AccountRecord): Promise<void> {
    if (this.#closed) return;
    const { now, logger } = this.#deps;
    const controller = new AbortController();
    let settle!: (handle: ChannelAccountHandle | undefined) => void;
    record.handleReady = new Promise((resolve) => (settle = resolve));
    record.controller = controller;
    record.state = 'starting';
    record.lastStartAt = now();
    record.connected = undefined;
    record.fields = {};
    record.approved = undefined;
    const secrets = accountSecrets(record.account);
    let handle: ChannelAccountHandle;
    try {
      const pipeline = await this.pipeline();
      const ctx = this.#context(record, controller, pipeline);
      handle = await this.#withStartTimeout(record.adapter.start(ctx), controller);
    } catch (error) {
      settle(undefined);
      if (record.controller !== controller) return;
      controller.abort();
      record.controller = undefined;
      record.state = 'failed';
      record.connected = false;
      record.lastError = withoutSecrets(errorText(error), secrets);
      record.logger.error(`failed to start: ${record.lastError}`);
      this.#syncReadiness();
      return;
    }
    if (record.controller !== controller || controller.signal.aborted) {
      // Stopped while it was starting: the late handle is stopped at once.
      settle(undefined);
      await handle
        .stop()
        .catch((error: unknown) => record.logger.warn(`stopping failed: ${errorText(error)}`));
      return;
    }
    record.handle = handle;
    record.state = 'running';
    record.lastError = null;
    settle(handle);
    logger.info(`channel ${record.channel}[${record.accountId}] started`, {
      channel: record.channel,
      accountId: record.accountId,
    });
    this.#syncReadiness();
  }

  async #withStartTimeout(
    starting: Promise<ChannelAccountHandle>,
    controller: AbortController,
  ): Promise<ChannelAccountHandle> {
    const timeoutMs = this.#deps.startTimeoutMs ?? CHANNEL_START_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not start within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([starting, timeout]);
    } catch (error) {
      // A start still running when it timed out is told to give up; if it returns a handle anyway, it is stopped.
      if (!controller.signal.aborted) controller.abort();
      starting.then(
        (late) => late.stop().catch(() => undefined),
        () => undefined,
      );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #stopRun(record: AccountRecord): Promise<void> {
    const { controller, handle } = record;
    if (!controller && !handle) {
      if (record.state === 'failed') {
        record.state = 'stopped';
        this.#syncReadiness();
      }
      return;
    }
    record.state = 'stopping';
    controller?.abort();
    record.controller = undefined;
    record.handle = undefined;
    record.handleReady = Promise.resolve(undefined);
    try {
      await handle?.stop();
    } catch (error) {
      record.logger.warn(
        `stopping failed: ${withoutSecrets(errorText(error), accountSecrets(record.account))}`,
      );
    }
    record.state = 'stopped';
    record.connected = false;
    record.lastStopAt = this.#deps.now();
    this.#syncReadiness();
  }

  #context(
    record: AccountRecord,
    controller: AbortController,
    pipeline: InboundPipeline,
  ): ChannelAccountContext {
    const { channelStore, now } = this.#deps;
    const { channel, accountId } = record;
    return {
      channel,
      account: record.account,
      logger: record.logger,
      signal: controller.signal,
      state: {
        get: (key) => channelStore.getState(channel, accountId, key),
        set: (key, value) => channelStore.setState(channel, accountId, key, value, now()),
      },
      receive: (message: InboundMessage) => {
        if (record.controller !== controller) {
          return Promise.reject(new Error(`${channel}[${accountId}] is stopped; the message was not taken`));
        }
        return pipeline.receive(record, message);
      },
      report: (patch) => {
        if (record.controller === controller) this.#report(record, patch);
      },
      deadLetter: async (entry) => {
        const error = withoutSecrets(entry.error, accountSecrets(record.account));
        record.lastError = `a delivery to ${entry.chatId} failed after ${entry.attempts} attempt(s): ${error}`;
        record.logger.warn(`${record.lastError}; kept as a dead letter`);
        try {
          await channelStore.addDeadLetter({ channel, accountId, ...entry, error, createdAt: now() });
        } catch (storeError) {
          record.logger.error(`the dead letter could not be stored: ${errorText(storeError)}`, {
            payload: entry.payload,
          });
        }
      },
    };
  }

  #report(record: AccountRecord, patch: ChannelStatusPatch): void {
    if (patch.connected !== undefined) record.connected = patch.connected;
    if (patch.lastError !== undefined) {
      record.lastError =
        patch.lastError === null ? null : withoutSecrets(patch.lastError, accountSecrets(record.account));
    }
    if (patch.lastTransportActivityAt !== undefined)
      record.lastTransportActivityAt = patch.lastTransportActivityAt;
    if (patch.fields) record.fields = { ...record.fields, ...patch.fields };
    this.#syncReadiness();
  }

  /**
   * `/readyz`: a channel is unhealthy while one of its enabled accounts failed to start, or runs but reports itself
   * disconnected with an error (a revoked token). Start-up does not wait on it and methods keep working.
   */
  #syncReadiness(): void {
    const failing = new Map<string, { accountId: string; error: string }[]>();
    for (const record of this.#records.values()) {
      if (!failing.has(record.channel)) failing.set(record.channel, []);
      const broken =
        record.state === 'failed' ||
        (record.state === 'running' && record.connected === false && record.lastError !== null);
      if (broken)
        failing
          .get(record.channel)
          ?.push({ accountId: record.accountId, error: record.lastError ?? 'failed' });
    }
    for (const channel of this.#unhealthy)
      if (!failing.has(channel)) this.#deps.readiness.setUnhealthy(channel, undefined);
    this.#unhealthy.clear();
    for (const [channel, accounts] of failing) {
      this.#deps.readiness.setUnhealthy(channel, accounts.length > 0 ? { accounts } : undefined);
      if (accounts.length > 0) this.#unhealthy.add(channel);
    }
  }

  /** A `channels.<id>` block no registered channel reads is most likely a typo or a missing plugin. */
  #warnUnclaimedBlocks(): void {
    const known = new Set(this.#deps.channels().map((entry) => entry.adapter.id));
    for (const id of Object.keys(this.#deps.config().channels)) {
      if (id !== 'defaults' && !known.has(id)) {
        this.#deps.logger.warn(`channels.${id}: no registered channel is named ${id}; the block is ignored`);
      }
    }
  }
}
