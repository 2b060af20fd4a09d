import { DEFAULT_LIMITS } from '../config/limits.ts';

export const LANE_NAMES = ['main', 'cron', 'subagent', 'hook-dispatch'] as const;
export type LaneName = (typeof LANE_NAMES)[number];

export const DEFAULT_LANE_CONCURRENCY: Record<LaneName, number> = {
  main: DEFAULT_LIMITS.mainLaneConcurrency,
  cron: 2,
  subagent: 4,
  // OpenClaw sizes webhook agent runs like cron runs, in a lane of their own so neither starves the other.
  'hook-dispatch': 2,
};

type Waiter = () => void;

/** A FIFO counting semaphore. */
class Semaphore {
  max: number;
  active = 0;
  #queue: Waiter[] = [];

  constructor(max: number) {
    this.max = max;
  }

  get queued(): number {
    return this.#queue.length;
  }

  acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.active -= 1;
  }

  /** Lets queued waiters in after the limit was raised. */
  grow(): void {
    while (this.active < this.max && this.#queue.length > 0) {
      this.active += 1;
      this.#queue.shift()?.();
    }
  }
}

type SessionQueue = { running: boolean; tasks: (() => Promise<void>)[] };

export type LaneSnapshot = {
  lanes: { lane: LaneName; active: number; queued: number; max: number }[];
  sessions: { sessionKey: string; running: boolean; queued: number }[];
};

/**
 * Concurrency lanes (the seed's server-lanes): every turn runs in its session's serial lane (one turn per
 * session at a time, queued turns in arrival order) and takes a slot in a shared lane (`main` for chat, `cron`,
 * `subagent`, `hook-dispatch` for webhook runs), so one heavy session cannot starve the rest and bursts queue instead of overloading providers.
 */
export class Lanes {
  #lanes: Record<LaneName, Semaphore>;
  #sessions = new Map<string, SessionQueue>();

  constructor(limits: Partial<Record<LaneName, number>> = {}) {
    this.#lanes = {
      main: new Semaphore(limits.main ?? DEFAULT_LANE_CONCURRENCY.main),
      cron: new Semaphore(limits.cron ?? DEFAULT_LANE_CONCURRENCY.cron),
      subagent: new Semaphore(limits.subagent ?? DEFAULT_LANE_CONCURRENCY.subagent),
      'hook-dispatch': new Semaphore(limits['hook-dispatch'] ?? DEFAULT_LANE_CONCURRENCY['hook-dispatch']),
    };
  }

  setLimit(lane: LaneName, max: number): void {
    this.#lanes[lane].max = max;
    this.#lanes[lane].grow();
  }

  /** Runs `task` after the session's earlier turns, inside a slot of `lane`. */
  run<T>(lane: LaneName, sessionKey: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.#sessions.get(sessionKey);
      if (!queue) {
        queue = { running: false, tasks: [] };
        this.#sessions.set(sessionKey, queue);
      }
      queue.tasks.push(async () => {
        const semaphore = this.#lanes[lane];
        await semaphore.acquire();
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        } finally {
          semaphore.release();
        }
      });
      this.#drain(sessionKey, queue);
    });
  }

  #drain(sessionKey: string, queue: SessionQueue): void {
    if (queue.running) return;
    const next = queue.tasks.shift();
    if (!next) {
      this.#sessions.delete(sessionKey);
      return;
    }
    queue.running = true;
    void next().finally(() => {
      queue.running = false;
      this.#drain(sessionKey, queue);
    });
  }

  /** Whether a session has a turn running or waiting. */
  busy(sessionKey: string): boolean {
    return this.#sessions.has(sessionKey);
  }

  snapshot(): LaneSnapshot {
    return {
      lanes: LANE_NAMES.map((lane) => ({
        lane,
        active: this.#lanes[lane].active,
        queued: this.#lanes[lane].queued,
        max: this.#lanes[lane].max,
      })),
      sessions: [...this.#sessions].map(([sessionKey, queue]) => ({
        sessionKey,
        running: queue.running,
        queued: queue.tasks.length,
      })),
    };
  }
}
