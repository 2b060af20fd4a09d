import type { GatewayContext } from '../server/context.ts';

/**
 * Presence bytes per second the gateway spends at most, summed over readers: after a broadcast of B bytes the next
 * window is at least B / this long. A handful of UIs never reach it (their window stays presenceCoalesceMs); a
 * few thousand Control UIs, each a reader of a 64-entry list, would otherwise be sent hundreds of MB a second
 * (at 16 MiB/s, receiving them cost a burst of 3 000 connecting UIs more CPU than their handshakes).
 */
export const PRESENCE_BYTES_PER_SECOND = 4 * 1024 * 1024;

/**
 * Coalesces presence broadcasts. Each one carries the whole list to every `operator.read` socket, so sending one
 * per connect made a burst of N connects cost O(N²) bytes. The first change after a quiet window is sent at once
 * (a lone connect is seen immediately) and opens a window; changes during it are folded into one broadcast at its
 * end, carrying the list as it is then, which opens the next window. So at most one broadcast leaves per window
 * however large the burst, and a window of 0 sends one per change.
 */
export class PresencePublisher {
  #windowMs: () => number;
  #send: () => number;
  #bytesPerSecond: number;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;
  #closed = false;

  /**
   * `windowMs` is read at each broadcast, so a config change applies from the next window. `send` broadcasts and
   * returns the bytes it queued (over all recipients), which stretch the next window past `bytesPerSecond`.
   */
  constructor(windowMs: () => number, send: () => number, bytesPerSecond = PRESENCE_BYTES_PER_SECOND) {
    this.#windowMs = windowMs;
    this.#send = send;
    this.#bytesPerSecond = bytesPerSecond;
  }

  /** The list changed: broadcast now, or at the end of the open window. */
  changed(): void {
    if (this.#closed) return;
    if (this.#timer) this.#pending = true;
    else this.#publish();
  }

  /** Drops a pending broadcast and clears the window's timer; later changes are ignored. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#pending = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #publish(): void {
    this.#pending = false;
    const configured = this.#windowMs();
    const bytes = this.#send();
    // A configured window of 0 (one broadcast per change) is kept as asked: it is for tests and tiny setups.
    if (configured > 0) {
      const windowMs = Math.max(configured, Math.ceil((bytes / this.#bytesPerSecond) * 1000));
      this.#timer = setTimeout(() => this.#windowEnded(), windowMs);
      this.#timer.unref();
    }
  }

  #windowEnded(): void {
    this.#timer = undefined;
    if (this.#pending) this.#publish();
  }
}

/** One `presence` event with the wire list (capped); the version is bumped per event sent, so clients see no gaps. */
export function broadcastPresence(
  ctx: Pick<GatewayContext, 'health' | 'events' | 'presence' | 'now'>,
): number {
  ctx.health.bumpPresence();
  return ctx.events.broadcastSnapshot('presence', ctx.presence.publish(ctx.now()));
}
