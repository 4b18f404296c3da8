/**
 * A binary min-heap ordered by a numeric priority; ties pop in insertion order.
 *
 * Priorities, insertion numbers and items sit in three parallel arrays, and a sift moves a
 * hole instead of swapping entries: no object per push. The synthetic event stream sifts once
 * per event (`replaceTop`), the window engine's queues on every window they schedule.
 */
export class MinHeap<T> {
  private readonly priorities: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(priority: number, item: T): void {
    this.items.push(item);
    this.priorities.push(priority);
    this.seqs.push(0);
    this.siftUp(this.items.length - 1, priority, this.seq++, item);
  }

  peekPriority(): number | undefined {
    return this.items.length === 0 ? undefined : this.priorities[0];
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0] as T;
    const lastItem = this.items.pop() as T;
    const lastPriority = this.priorities.pop() as number;
    const lastSeq = this.seqs.pop() as number;
    if (n > 1) this.siftDown(0, lastPriority, lastSeq, lastItem);
    return top;
  }

  /**
   * `pop()` then `push(priority, item)` in one sift: what a consumer that takes the head and
   * puts back its successor (a merge of sorted runs) does on every step. Same order as the pair.
   */
  replaceTop(priority: number, item: T): T | undefined {
    if (this.items.length === 0) {
      this.push(priority, item);
      return undefined;
    }
    const top = this.items[0] as T;
    this.siftDown(0, priority, this.seq++, item);
    return top;
  }

  clear(): void {
    this.items.length = 0;
    this.priorities.length = 0;
    this.seqs.length = 0;
  }

  /** Whether entry `i` comes before (priority, seq). */
  private before(i: number, priority: number, seq: number): boolean {
    const p = this.priorities[i] as number;
    return p !== priority ? p < priority : (this.seqs[i] as number) < seq;
  }

  private place(i: number, priority: number, seq: number, item: T): void {
    this.priorities[i] = priority;
    this.seqs[i] = seq;
    this.items[i] = item;
  }

  private move(from: number, to: number): void {
    this.place(
      to,
      this.priorities[from] as number,
      this.seqs[from] as number,
      this.items[from] as T,
    );
  }

  private siftUp(i: number, priority: number, seq: number, item: T): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(parent, priority, seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, priority, seq, item);
  }

  private siftDown(i: number, priority: number, seq: number, item: T): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child =
        right < n && this.before(right, this.priorities[left] as number, this.seqs[left] as number)
          ? right
          : left;
      if (!this.before(child, priority, seq)) break;
      this.move(child, i);
      i = child;
    }
    this.place(i, priority, seq, item);
  }
}
