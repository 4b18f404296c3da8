import { KeyedRateLimiter, TokenBucket } from './token-bucket';

describe(TokenBucket.name, () => {
  let now = 0;
  beforeEach(() => {
    now = 0;
  });

  it('allows a burst up to its capacity, then refuses with the time until enough tokens', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 20, now: () => now });
    expect(bucket.take(20)).toEqual({ allowed: true, remaining: 0 });
    expect(bucket.take(5)).toEqual({ allowed: false, retryAfterMs: 500, remaining: 0 });
    now = 500;
    expect(bucket.take(5)).toEqual({ allowed: true, remaining: 0 });
  });

  it('refills continuously but never above capacity', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, capacity: 10, now: () => now });
    bucket.take(10);
    now = 60_000;
    expect(bucket.take(1)).toEqual({ allowed: true, remaining: 9 });
  });

  it('bounds Retry-After for a cost above capacity by the time to fill the bucket', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, capacity: 2, now: () => now });
    bucket.take(2);
    expect(bucket.take(50)).toMatchObject({ allowed: false, retryAfterMs: 2_000 });
  });
});

describe(KeyedRateLimiter.name, () => {
  it('keeps one bucket per key', () => {
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, capacity: 1, now: () => 0 });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });
});
