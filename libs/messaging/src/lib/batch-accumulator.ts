export interface AccumulatorOptions<T, F> {
  /** A flush starts once this many items wait. */
  readonly maxBatch: number;
  /** ... or once the waiting items weigh this much (by `weightOf`). Default: never. */
  readonly maxWeight?: number;
  /** An item's weight, e.g. its size in bytes. Default 0. */
  readonly weightOf?: (item: T) => number;
  /** ... or this long after the first waiting item arrived. */
  readonly maxWaitMs: number;
  /**
   * ... or once this many submissions wait (every concurrently handled partition has handed
   * its records over, so waiting longer gains nothing). Default: never.
   */
  readonly maxSubmissions?: number;
  /**
   * Writes everything; resolves with the items that failed for good (each goes back to the
   * submission it came from), or rejects, and then every submission in it rejects.
   */
  readonly flush: (items: readonly T[]) => Promise<readonly F[]>;
  /** Which item a failure belongs to. */
  readonly itemOf: (failure: F) => T;
  /**
   * Flushes written at once. Default 1. With more, a flush starts while earlier ones are
   * still written, so the next batch is encoded and sent while the database works.
   */
  readonly maxConcurrentFlushes?: number;
  /**
   * Items whose writes must not overlap any other write (e.g. versioned upserts and deletes,
   * whose order matters): a flush holding one runs alone. Default: none.
   */
  readonly exclusive?: (item: T) => boolean;
}

interface Submission<T, F> {
  readonly items: readonly T[];
  readonly resolve: (failures: F[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers items from concurrent submitters (one per partition) into batches by size and
 * time, writes them (one batch at a time, or up to `maxConcurrentFlushes`), and answers each
 * submitter with its own failures. A submitter's promise settles only after the batch
 * holding its items was written, so it can commit its offsets then and only then.
 */
export class BatchAccumulator<T, F> {
  private waiting: Submission<T, F>[] = [];
  private waitingItems = 0;
  private waitingWeight = 0;
  /** Some waiting item is exclusive. */
  private waitingExclusive = false;
  private timer: NodeJS.Timeout | undefined;
  /** Flushes being written, and whether each holds an exclusive item. */
  private readonly running = new Map<Promise<void>, boolean>();
  private closed = false;

  constructor(private readonly options: AccumulatorOptions<T, F>) {}

  submit(items: readonly T[]): Promise<F[]> {
    if (this.closed) return Promise.reject(new Error('BatchAccumulator is closed'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<F[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.waitingItems += items.length;
      const { weightOf, exclusive } = this.options;
      if (weightOf !== undefined) for (const item of items) this.waitingWeight += weightOf(item);
      if (exclusive !== undefined && !this.waitingExclusive) {
        this.waitingExclusive = items.some(exclusive);
      }
      this.schedule();
    });
  }

  /** Flushes what waits now, without waiting for size or time. */
  async flushNow(): Promise<void> {
    this.clearTimer();
    await this.kick(true);
  }

  /** Flushes what waits and refuses new submissions. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.waiting.length > 0 || this.running.size > 0) await this.flushNow();
  }

  private schedule(): void {
    if (this.due()) {
      this.clearTimer();
      void this.kick(false);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.kick(true);
      }, this.options.maxWaitMs);
    }
  }

  private due(): boolean {
    const { maxBatch, maxSubmissions, maxWeight } = this.options;
    return (
      this.waitingItems >= maxBatch ||
      (maxWeight !== undefined && this.waitingWeight >= maxWeight) ||
      (maxSubmissions !== undefined && this.waiting.length >= maxSubmissions)
    );
  }

  /** Whether a flush of what waits may start beside the flushes running. */
  private canStart(): boolean {
    if (this.running.size === 0) return true;
    if (this.running.size >= (this.options.maxConcurrentFlushes ?? 1)) return false;
    return !this.waitingExclusive && ![...this.running.values()].some((exclusive) => exclusive);
  }

  /** Starts a flush of everything waiting; when none may start now, waits for one to end. */
  private async kick(force: boolean): Promise<void> {
    if (this.waiting.length > 0 && !this.canStart()) {
      await Promise.race(this.running.keys());
      return;
    }
    if (this.waiting.length === 0 || (!force && !this.due())) {
      if (force && this.running.size > 0) await Promise.race(this.running.keys());
      return;
    }
    const batch = this.waiting;
    const exclusive = this.waitingExclusive;
    this.waiting = [];
    this.waitingItems = 0;
    this.waitingWeight = 0;
    this.waitingExclusive = false;
    this.clearTimer();
    const flush: Promise<void> = this.run(batch).finally(() => {
      this.running.delete(flush);
      // What arrived meanwhile: write it now if it is due, else when its time comes.
      if (this.waiting.length > 0) {
        if (this.due()) void this.kick(false);
        else if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.kick(true);
          }, this.options.maxWaitMs);
        }
      }
    });
    this.running.set(flush, exclusive);
    await flush;
  }

  private async run(batch: readonly Submission<T, F>[]): Promise<void> {
    const items: T[] = [];
    for (const s of batch) for (const item of s.items) items.push(item);
    let failures: readonly F[];
    try {
      failures = await this.options.flush(items);
    } catch (error) {
      for (const s of batch) s.reject(error);
      return;
    }
    if (failures.length === 0) {
      for (const s of batch) s.resolve([]);
      return;
    }
    // Only failures need their submission found: no map of every item on the common path.
    const owner = new Map<T, Submission<T, F>>();
    for (const s of batch) for (const item of s.items) owner.set(item, s);
    const bySubmission = new Map<Submission<T, F>, F[]>();
    for (const f of failures) {
      const s = owner.get(this.options.itemOf(f));
      if (s === undefined) continue;
      const list = bySubmission.get(s) ?? [];
      list.push(f);
      bySubmission.set(s, list);
    }
    for (const s of batch) s.resolve(bySubmission.get(s) ?? []);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
