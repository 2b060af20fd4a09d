import type { GatewayClientOptions } from '@openclaw/gateway-client';

export type EventFrame = Parameters<NonNullable<GatewayClientOptions['onEvent']>>[0];

/** Events one reference client received, with event-driven waits (a deadline, never a sleep). */
export class EventLog {
  readonly events: EventFrame[] = [];
  #waiters: { match: (e: EventFrame) => boolean; resolve: (e: EventFrame) => void }[] = [];
  readonly #waitMs: number;

  constructor(waitMs = 5_000) {
    this.#waitMs = waitMs;
  }

  push(event: EventFrame): void {
    this.events.push(event);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.match(event)) return true;
      waiter.resolve(event);
      return false;
    });
  }

  wait(name: string, match: (payload: Record<string, unknown>) => boolean = () => true): Promise<EventFrame> {
    const test = (e: EventFrame) => e.event === name && match((e.payload ?? {}) as Record<string, unknown>);
    const found = this.events.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for event ${name}`)), this.#waitMs);
      this.#waiters.push({
        match: test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}
