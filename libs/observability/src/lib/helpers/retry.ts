import { backoffDelay, isRetriableError, type BackoffOptions } from './backoff';
import { errorFields, helperLogger, type HelperLogger } from './helper-logger';

/** Jittered by default, so instances that failed together do not retry together. */
const RETRY_BACKOFF: BackoffOptions = { initialMs: 100, jitter: 0.2 };

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
      const delayMs = backoffDelay(attempt, { ...RETRY_BACKOFF, ...options }, options.random);
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
