/**
 * What must be true before the gateway is ready. Start-up registers each sidecar as pending and marks it done;
 * `/readyz` and non-probe `connect`s consult this. Draining (shutdown) makes it not ready again.
 */
export class Readiness {
  #pending = new Set<string>(['startup-sidecars']);
  /** Started but unable to serve (a channel account that failed): `/readyz` says so; methods keep working. */
  #unhealthy = new Map<string, unknown>();
  #draining = false;

  markStarted(): void {
    this.#pending.delete('startup-sidecars');
  }

  setFailing(name: string, failing: boolean): void {
    if (failing) this.#pending.add(name);
    else this.#pending.delete(name);
  }

  /**
   * Marks a component that has settled but cannot serve, with what `/readyz` shows of it (`detail`), or clears it
   * (`undefined`). Unlike `setFailing` it does not hold start-up back or refuse methods that wait for ready: a
   * broken Telegram account makes `/readyz` answer 503, as OpenClaw's does, while the gateway keeps serving.
   */
  setUnhealthy(name: string, detail: unknown): void {
    if (detail === undefined) this.#unhealthy.delete(name);
    else this.#unhealthy.set(name, detail);
  }

  /** `/readyz`: ready, and nothing unhealthy. */
  get healthy(): boolean {
    return this.ready && this.#unhealthy.size === 0;
  }

  /** What is unhealthy, by name. */
  unhealthy(): Record<string, unknown> {
    return Object.fromEntries(this.#unhealthy);
  }

  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get started(): boolean {
    return !this.#pending.has('startup-sidecars');
  }

  get ready(): boolean {
    return this.#pending.size === 0 && !this.#draining;
  }

  failing(): string[] {
    const list = [...this.#pending, ...this.#unhealthy.keys()];
    if (this.#draining) list.push('gateway-draining');
    return list;
  }
}
