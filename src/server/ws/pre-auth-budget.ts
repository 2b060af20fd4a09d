/**
 * Unauthenticated sockets per source bucket (protocol.md §1: over 32 from one source → HTTP 503 at upgrade).
 * A slot is taken at upgrade and given back when the socket authenticates or closes.
 */
export class PreAuthBudget {
  #counts = new Map<string, number>();

  tryAcquire(bucket: string, max: number): boolean {
    const count = this.#counts.get(bucket) ?? 0;
    if (count >= max) return false;
    this.#counts.set(bucket, count + 1);
    return true;
  }

  release(bucket: string): void {
    const count = this.#counts.get(bucket) ?? 0;
    if (count <= 1) this.#counts.delete(bucket);
    else this.#counts.set(bucket, count - 1);
  }

  inUse(bucket: string): number {
    return this.#counts.get(bucket) ?? 0;
  }
}
