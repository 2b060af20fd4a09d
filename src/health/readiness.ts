/**
 * What must be true before the gateway is ready. Start-up registers each sidecar as pending and marks it done;
 * `/readyz` and non-probe `connect`s consult this. Draining (shutdown) makes it not ready again.
 */
export class Readiness {
  #pending = new Set<string>(['startup-sidecars']);
  #draining = false;

  markStarted(): void {
    this.#pending.delete('startup-sidecars');
  }

  setFailing(name: string, failing: boolean): void {
    if (failing) this.#pending.add(name);
    else this.#pending.delete(name);
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
