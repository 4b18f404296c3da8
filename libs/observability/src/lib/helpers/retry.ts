import { errorFields, helperLogger, type HelperLogger } from './helper-logger';

export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Cap on any single delay. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Growth per retry. Default 2. */
  readonly factor?: number;
  /**
   * Share of each delay that is random, in [0, 1]: the delay is drawn from
   * `[base * (1 - jitter), base]`, so instances that failed together do not retry together
   * and the cap is never exceeded. Default 0.2; 0 gives the exact exponential sequence.
   */
  readonly jitter?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first one included. Default 3. */
  readonly maxAttempts?: number;
  /** Only errors this accepts are retried. Default {@link isRetriableError}. */
  readonly isRetriable?: (error: unknown) => boolean;
  /** Name in the retry log lines. Default the function's name, else `operation`. */
  readonly name?: string;
  readonly logger?: HelperLogger;
  /** Stops waiting and rethrows the last error when aborted. */
  readonly signal?: AbortSignal;
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Called before each wait (tests, metrics). */
  readonly onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** The platform's error convention: errors say whether a retry can help with `retriable: true`. */
export function isRetriableError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { retriable?: unknown }).retriable === true
  );
}

/**
 * Delay before retry number `retry` (1 for the first retry):
 * `min(maxDelayMs, initialDelayMs * factor^(retry - 1))`, minus up to `jitter` of it.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * factor ** Math.max(0, retry - 1));
  return Math.round(base * (1 - jitter * random()));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` until it succeeds, retrying only errors that `isRetriable` accepts (by default
 * those with `retriable: true`), with exponential backoff, a cap and jitter. Each retry logs
 * a `warn` line (`event: 'retry'`). A non-retriable error, the last attempt's error, or an
 * abort rethrows the error as it was thrown, never wrapped.
 */
export async function retry<T>(
  fn: (attempt: number) => T | Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
  const isRetriable = options.isRetriable ?? isRetriableError;
  const name = options.name ?? (fn.name || 'operation');
  const logger = helperLogger(options.logger);

  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetriable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, options, options.random);
      options.onRetry?.({ attempt, maxAttempts, delayMs, error });
      logger.warn(
        {
          event: 'retry',
          op: name,
          attempt,
          max_attempts: maxAttempts,
          delay_ms: delayMs,
          ...errorFields(error),
        },
        `${name} failed (attempt ${attempt}/${maxAttempts}), retrying in ${delayMs} ms`,
      );
      if (!(await sleep(delayMs, options.signal))) throw error;
    }
  }
}
