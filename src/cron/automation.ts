import type { ChatService } from '../chat/chat-service.ts';
import { anyChanged } from '../config/diff.ts';
import type { ConfigReloader } from '../config/reload.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { Logger } from '../logging/logger.ts';
import type { Broadcast } from '../server/broadcast.ts';
import type { Lanes } from '../server/lanes.ts';
import type { CronStore } from '../storage/cron-store.ts';
import type { GatewayStore } from '../storage/store.ts';
import type { ChannelDeliver } from './announce.ts';
import { type CronClock, CronService } from './cron-service.ts';
import { HeartbeatRunner } from './heartbeat.ts';
import { reconcileHeartbeatJobs } from './heartbeat-jobs.ts';
import { createJobRunner } from './job-runner.ts';

export type AutomationDeps = {
  cronStore: CronStore;
  /** Where the jobs are kept, for `cron.status`. */
  storePath: string;
  store: GatewayStore;
  chat: ChatService;
  lanes: Lanes;
  events: Broadcast;
  logger: Logger;
  owner: string;
  config(): GatewayConfig;
  now(): number;
  clock?: CronClock;
  /** Channel delivery: cron `announce` jobs and heartbeats with a channel target. */
  deliver?: ChannelDeliver;
};

const HEARTBEAT_KEYS = ['agents', 'session.mainKey', 'session.scope'];

/**
 * The automation runtime of the post-attach phase: the scheduler, the heartbeat and the job runner wired
 * together. Built with the gateway's state (cheap: no timers, no croner); `start` arms it.
 */
export class Automation {
  readonly cron: CronService;
  readonly heartbeat: HeartbeatRunner;
  readonly store: CronStore;
  readonly storePath: string;
  readonly #deps: AutomationDeps;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: AutomationDeps) {
    this.#deps = deps;
    this.store = deps.cronStore;
    this.storePath = deps.storePath;
    this.heartbeat = new HeartbeatRunner({
      chat: deps.chat,
      lanes: deps.lanes,
      store: deps.cronStore,
      logger: deps.logger,
      now: deps.now,
      config: deps.config,
      broadcast: (event) => deps.events.broadcast('heartbeat', event),
      ...(deps.deliver ? { deliver: deps.deliver } : {}),
    });
    this.cron = new CronService({
      store: deps.cronStore,
      owner: deps.owner,
      clock: deps.clock,
      logger: deps.logger,
      enabled: () => deps.config().cron.enabled,
      emit: (event, payload) => deps.events.broadcast(event, payload),
      runJob: createJobRunner({
        chat: deps.chat,
        store: deps.store,
        heartbeat: this.heartbeat,
        config: deps.config,
        now: deps.now,
        ...(deps.deliver ? { deliver: deps.deliver } : {}),
      }),
    });
  }

  async start(config: ConfigReloader): Promise<void> {
    await this.heartbeat.load();
    await this.cron.start();
    await this.#reconcile();
    if (!this.#deps.config().cron.enabled) {
      this.#deps.logger.warn('cron.enabled is false: jobs are kept but none runs, heartbeats included');
    }
    this.#unsubscribe = config.subscribe((change) => {
      if (!anyChanged(change.before, change.after, HEARTBEAT_KEYS)) return;
      this.#reconcile().catch((error: unknown) =>
        this.#deps.logger.error('heartbeat jobs could not follow the config change', {
          error: (error as Error).message,
        }),
      );
    });
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.cron.stop();
  }

  /** Only the scheduler's leader writes the system-owned jobs, so two gateways never insert the same one. */
  async #reconcile(): Promise<void> {
    if (!this.cron.leader) return;
    await reconcileHeartbeatJobs(this.store, this.cron, this.#deps.config(), this.#deps.now(), (payload) =>
      this.#deps.events.broadcast('cron', payload),
    );
  }
}
