/**
 * Group commit for a statement: `submit` queues an item, and what is queued is flushed
 * together, one flush at a time. A flush starts once the current turn of the event loop has
 * run its I/O callbacks (`setImmediate`), so the requests read in one turn share a statement
 * instead of the first going alone and the rest waiting for it. Items queued while a flush
 * runs go together into the next.
 */
export class Coalescer<I, O> {
  private queue: { item: I; resolve: (out: O) => void; reject: (error: unknown) => void }[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  /** `flush` answers each item, in order; a rejection fails every item of that flush. */
  constructor(private readonly flush: (items: readonly I[]) => Promise<readonly O[]>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        void this.drain();
      }
    });
  }

  /** Resolves once nothing is queued or being flushed (at once when idle). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    for (;;) {
      // Each flush waits for the end of the turn it would start in, even after the previous one.
      await endOfTurn();
      if (this.queue.length === 0) break;
      const batch = this.queue;
      this.queue = [];
      try {
        const out = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i] as O));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
