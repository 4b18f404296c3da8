/** A binary min-heap ordered by a numeric priority; ties pop in insertion order. */
export class MinHeap<T> {
  private readonly items: { priority: number; seq: number; item: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(priority: number, item: T): void {
    this.items.push({ priority, seq: this.seq++, item });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peekPriority(): number | undefined {
    return this.items.length === 0 ? undefined : this.items[0].priority;
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    const last = this.items.pop();
    if (last !== undefined && this.items.length > 0) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.items.length && this.less(left, smallest)) smallest = left;
        if (right < this.items.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top.item;
  }

  clear(): void {
    this.items.length = 0;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a];
    const y = this.items[b];
    return x.priority !== y.priority ? x.priority < y.priority : x.seq < y.seq;
  }

  private swap(a: number, b: number): void {
    const t = this.items[a];
    this.items[a] = this.items[b];
    this.items[b] = t;
  }
}
