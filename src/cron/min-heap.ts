export type HeapEntry = { id: string; at: number };

/**
 * A binary min-heap of (time, job id): the scheduler's only per-job memory. Entries are never removed in place;
 * the scheduler skips those whose time no longer matches its index (lazy deletion), so a reschedule is O(log n).
 */
export class MinHeap {
  #items: HeapEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  clear(): void {
    this.#items = [];
  }

  push(entry: HeapEntry): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].at <= entry.at) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = entry;
  }

  peek(): HeapEntry | undefined {
    return this.#items[0];
  }

  pop(): HeapEntry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right].at < items[left].at ? right : left;
      if (items[child].at >= last.at) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }
}
