/**
 * A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. Pure: the clock is
 * injected (ms), so tests drive it by hand. `reserve(n)` takes n tokens at once, letting the
 * balance go negative, and says how long to wait before acting; the debt is what keeps the
 * long-run rate exact however large the batches are.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSec: number,
    private readonly now: () => number,
    readonly burst: number = Math.max(1, ratePerSec / 10),
  ) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) {
      throw new RangeError(
        `rate must be a positive number of tokens per second, got ${ratePerSec}`,
      );
    }
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens; returns 0 if they were there, else the ms until the debt is paid. */
  reserve(n: number): number {
    this.refill();
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSec) * 1000;
  }

  /** Tokens available now (negative while in debt). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }
}
