/** A binary min-heap of events ordered by (time, seq): O(log n) push and pop, ties broken by insertion order. */
export interface HeapItem {
  time: number;
  seq: number;
}

export class EventHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as T;
      if (!less(item, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(a[r] as T, a[l] as T) ? r : l;
      const child = a[c] as T;
      if (!less(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function less(a: HeapItem, b: HeapItem): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
