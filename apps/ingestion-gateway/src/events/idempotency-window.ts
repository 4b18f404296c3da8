/**
 * Event ids seen within a time window, in memory, bounded in size (oldest evicted first).
 *
 * An id is `pending` while its produce is in flight (a repeat waits for that produce's
 * outcome instead of producing again) and `acked` once Kafka acknowledged it; a failed
 * produce forgets the id, so a retry produces it. Per process only: with several gateway
 * instances a repeat that lands on another instance is produced again (see README).
 */
export type SeenState =
  | { readonly state: 'new' }
  | { readonly state: 'acked' }
  | { readonly state: 'pending'; readonly outcome: Promise<boolean> };

interface Entry {
  at: number;
  outcome: Promise<boolean> | undefined;
}

export interface IdempotencyWindowOptions {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly now?: () => number;
}

export class IdempotencyWindow {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: IdempotencyWindowOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** What is known about `id` now. */
  check(id: string): SeenState {
    if (this.options.windowMs <= 0) return { state: 'new' };
    const entry = this.entries.get(id);
    if (entry === undefined) return { state: 'new' };
    if (this.now() - entry.at >= this.options.windowMs) {
      this.entries.delete(id);
      return { state: 'new' };
    }
    return entry.outcome === undefined
      ? { state: 'acked' }
      : { state: 'pending', outcome: entry.outcome };
  }

  /**
   * Claims `id` for a produce whose outcome (`true` = acknowledged) is `outcome`. When it
   * settles the id becomes acked, or is forgotten if the produce failed.
   */
  claim(id: string, outcome: Promise<boolean>): void {
    if (this.options.windowMs <= 0) return;
    const entry: Entry = { at: this.now(), outcome };
    this.set(id, entry);
    void outcome.then((acked) => {
      if (this.entries.get(id) !== entry) return;
      if (acked) {
        entry.outcome = undefined;
        entry.at = this.now();
      } else {
        this.entries.delete(id);
      }
    });
  }

  /** Drops expired entries (called periodically; `check` also expires lazily). */
  sweep(): void {
    const cutoff = this.now() - this.options.windowMs;
    for (const [id, entry] of this.entries) {
      // Map order is insertion order and `at` only grows on re-insert, so stop at the first live one.
      if (entry.at > cutoff) break;
      if (entry.outcome === undefined) this.entries.delete(id);
    }
  }

  private set(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
