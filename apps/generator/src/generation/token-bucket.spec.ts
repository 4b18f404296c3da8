import { TokenBucket } from './token-bucket';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe(TokenBucket.name, () => {
  it('grants the initial burst without waiting, then asks to wait for the debt', () => {
    const c = clock();
    const bucket = new TokenBucket(100, c.now, 10);
    expect(bucket.reserve(10)).toBe(0);
    expect(bucket.reserve(5)).toBeCloseTo(50);
  });

  it('refills at the rate and never holds more than the burst', () => {
    const c = clock();
    const bucket = new TokenBucket(1_000, c.now, 50);
    bucket.reserve(50);
    c.advance(20);
    expect(bucket.available()).toBeCloseTo(20);
    c.advance(10_000);
    expect(bucket.available()).toBe(50);
  });

  it('holds the long-run rate whatever the batch size', () => {
    for (const batch of [1, 7, 100, 5_000]) {
      const c = clock();
      const bucket = new TokenBucket(5_000, c.now);
      let sent = 0;
      while (sent < 50_000) {
        c.advance(bucket.reserve(batch));
        sent += batch;
      }
      const seconds = (c.now() - 1_000) / 1000;
      expect(sent / seconds).toBeGreaterThan(4_900);
      expect(sent / seconds).toBeLessThan(5_200);
    }
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new TokenBucket(0, () => 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, () => 0)).toThrow(RangeError);
  });
});
