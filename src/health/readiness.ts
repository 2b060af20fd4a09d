/**
 * What must be true before the gateway is ready. Start-up registers each sidecar as pending and marks it done;
 * `/readyz` and non-probe `connect`s consult this. Draining (shutdown) makes it not ready again.
 */
export class Readiness {
  #pending = new Set<string>(['startup-sidecars']);
  /** Failed cleanly (a plugin that threw or timed out): reported by `/readyz`, but not holding readiness back. */
  #degraded = new Map<string, string>();
  #draining = false;

  markStarted(): void {
    this.#pending.delete('startup-sidecars');
  }

  setFailing(name: string, failing: boolean): void {
    if (failing) this.#pending.add(name);
    else this.#pending.delete(name);
  }

  /** `reason` marks `name` as failed-but-not-blocking; `undefined` clears it. */
  setDegraded(name: string, reason: string | undefined): void {
    if (reason === undefined) this.#degraded.delete(name);
    else this.#degraded.set(name, reason);
  }

  degraded(): { name: string; reason: string }[] {
    return [...this.#degraded].map(([name, reason]) => ({ name, reason }));
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
    const list = [...this.#pending];
    if (this.#draining) list.push('gateway-draining');
    return list;
  }
}
