/**
 * Group commit for a statement: `submit` queues an item; one `flush` of everything queued
 * runs at a time, and items submitted while it runs go together into the next. Idle, an item
 * is flushed at once (no added latency); busy, many callers share one round trip.
 */
export class Coalescer<I, O> {
  private queue: { item: I; resolve: (out: O) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  /** `flush` answers each item, in order; a rejection fails every item of that flush. */
  constructor(private readonly flush: (items: readonly I[]) => Promise<readonly O[]>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const out = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i] as O));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.running = false;
  }
}
