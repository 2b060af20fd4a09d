import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** A loop this late (p99) or this busy is reported as degraded in `health.eventLoop`. */
const DEGRADED_DELAY_P99_MS = 200;
const DEGRADED_UTILIZATION = 0.9;

export type EventLoopHealth = {
  degraded: boolean;
  reasons: ('event_loop_delay' | 'event_loop_utilization' | 'cpu')[];
  intervalMs: number;
  delayP99Ms: number;
  delayMaxMs: number;
  utilization: number;
  cpuCoreRatio: number;
};

/**
 * The two monotonic counters clients use to notice a missed presence or health snapshot, plus the event-loop
 * sampler behind `health.eventLoop`. Counters start at 1 and only grow.
 */
export class HealthState {
  #presenceVersion = 1;
  #healthVersion = 1;
  #histogram: ReturnType<typeof monitorEventLoopDelay>;
  #lastSampleAt = performance.now();
  #lastElu = performance.eventLoopUtilization();
  #lastCpu = process.cpuUsage();

  constructor() {
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
  }

  get stateVersion(): { presence: number; health: number } {
    return { presence: this.#presenceVersion, health: this.#healthVersion };
  }

  bumpPresence(): void {
    this.#presenceVersion += 1;
  }

  bumpHealth(): void {
    this.#healthVersion += 1;
  }

  /** Samples the loop since the previous call (the health refresh interval) and resets the window. */
  sampleEventLoop(): EventLoopHealth {
    const now = performance.now();
    const intervalMs = Math.max(1, now - this.#lastSampleAt);
    const elu = performance.eventLoopUtilization(this.#lastElu);
    const cpu = process.cpuUsage(this.#lastCpu);
    const delayP99Ms = round(this.#histogram.percentile(99) / 1e6);
    const delayMaxMs = round(this.#histogram.max / 1e6);
    const utilization = round(elu.utilization);
    const cpuCoreRatio = round((cpu.user + cpu.system) / 1000 / intervalMs);
    this.#histogram.reset();
    this.#lastSampleAt = now;
    this.#lastElu = performance.eventLoopUtilization();
    this.#lastCpu = process.cpuUsage();
    const reasons: EventLoopHealth['reasons'] = [];
    if (delayP99Ms > DEGRADED_DELAY_P99_MS) reasons.push('event_loop_delay');
    if (utilization > DEGRADED_UTILIZATION) reasons.push('event_loop_utilization');
    return {
      degraded: reasons.length > 0,
      reasons,
      intervalMs: round(intervalMs),
      delayP99Ms,
      delayMaxMs,
      utilization,
      cpuCoreRatio,
    };
  }

  close(): void {
    this.#histogram.disable();
  }
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : 0;
}
