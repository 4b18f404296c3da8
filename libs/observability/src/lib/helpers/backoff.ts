/** Exponential backoff with a cap: the platform's one rule for waiting between retries. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 200 ms. */
  readonly initialMs?: number;
  /** Each delay is the previous one times this. Default 2. */
  readonly multiplier?: number;
  /** No delay is longer than this. Default 10 s. */
  readonly maxMs?: number;
  /**
   * Share of each delay that is random, in [0, 1]: the delay is drawn from
   * `[base * (1 - jitter), base]`, so instances that failed together do not retry together
   * and the cap is never exceeded. Default 0: the exact exponential sequence.
   */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = Object.freeze({
  initialMs: 200,
  multiplier: 2,
  maxMs: 10_000,
  jitter: 0,
});

/**
 * Delay before retry number `attempt` (1 for the first retry):
 * `min(maxMs, initialMs * multiplier^(attempt - 1))`, minus up to `jitter` of it.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const multiplier = options.multiplier ?? DEFAULT_BACKOFF.multiplier;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const base = Math.min(maxMs, initialMs * multiplier ** Math.max(0, attempt - 1));
  const share = Math.min(1, Math.max(0, options.jitter ?? DEFAULT_BACKOFF.jitter));
  return share === 0 ? base : Math.round(base * (1 - share * random()));
}

/** The platform's error convention: errors say whether a retry can help with `retriable: true`. */
export function isRetriableError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { retriable?: unknown }).retriable === true
  );
}
