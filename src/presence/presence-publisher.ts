import type { GatewayContext } from '../server/context.ts';

/**
 * Coalesces presence broadcasts. Each one carries the whole list to every `operator.read` socket, so sending one
 * per connect made a burst of N connects cost O(N²) bytes. The first change after a quiet window is sent at once
 * (a lone connect is seen immediately) and opens a window; changes during it are folded into one broadcast at its
 * end, carrying the list as it is then, which opens the next window. So at most one broadcast leaves per window
 * however large the burst, and a window of 0 sends one per change.
 */
export class PresencePublisher {
  #windowMs: () => number;
  #send: () => void;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;
  #closed = false;

  /** `windowMs` is read at each broadcast, so a config change applies from the next window. */
  constructor(windowMs: () => number, send: () => void) {
    this.#windowMs = windowMs;
    this.#send = send;
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
    const windowMs = this.#windowMs();
    if (windowMs > 0) {
      this.#timer = setTimeout(() => this.#windowEnded(), windowMs);
      this.#timer.unref();
    }
    this.#send();
  }

  #windowEnded(): void {
    this.#timer = undefined;
    if (this.#pending) this.#publish();
  }
}

/** One `presence` event with the wire list (capped); the version is bumped per event sent, so clients see no gaps. */
export function broadcastPresence(ctx: Pick<GatewayContext, 'health' | 'events' | 'presence' | 'now'>): void {
  ctx.health.bumpPresence();
  ctx.events.broadcast('presence', { presence: ctx.presence.wireList(ctx.now()) });
}
