/** Outcome of taking tokens: allowed, or refused with when enough tokens will be there. */
export type TakeResult =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly remaining: number };

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens the bucket holds (the burst). */
  readonly capacity: number;
  readonly now?: () => number;
}

/** A token bucket, refilled continuously; starts full. Pure apart from the clock. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = options.capacity;
    this.updatedAt = this.now();
  }

  take(cost = 1): TakeResult {
    this.refill();
    if (cost <= this.tokens) {
      this.tokens -= cost;
      return { allowed: true, remaining: Math.floor(this.tokens) };
    }
    const missing = Math.min(cost, this.options.capacity) - this.tokens;
    const retryAfterMs = Math.max(1, Math.ceil((missing / this.options.ratePerSecond) * 1000));
    return { allowed: false, retryAfterMs, remaining: Math.floor(this.tokens) };
  }

  /** True when the bucket is full again (it can be forgotten without changing behaviour). */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.options.capacity;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.updatedAt = now;
    this.tokens = Math.min(
      this.options.capacity,
      this.tokens + elapsed * this.options.ratePerSecond,
    );
  }
}

/** One bucket per key (write key id), created on first use, forgotten once full again. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: TokenBucketOptions) {}

  take(key: string, cost = 1): TakeResult {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.options);
      this.buckets.set(key, bucket);
    }
    return bucket.take(cost);
  }

  sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }
}
