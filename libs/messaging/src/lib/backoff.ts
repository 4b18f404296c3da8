/** Exponential backoff with a cap, for retries of retriable failures. */
export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  readonly initialMs?: number;
  /** Each delay is the previous one times this. Default 2. */
  readonly multiplier?: number;
  /** No delay is longer than this. Default 10 s. */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = Object.freeze({
  initialMs: 200,
  multiplier: 2,
  maxMs: 10_000,
});

/** Delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs, multiplier, maxMs } = { ...DEFAULT_BACKOFF, ...options };
  const exponent = Math.max(0, attempt - 1);
  return Math.min(maxMs, initialMs * multiplier ** exponent);
}

/**
 * Whether retrying can help: errors of this platform (`MessagingError`, `SerdeError`,
 * `SchemaRegistryError`, ...) say so in `retriable`. Anything else counts as not retriable.
 */
export function isRetriable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { retriable?: unknown }).retriable === true
  );
}

/** The `code` of an error of this platform, or `fallback`. */
export function errorCode(error: unknown, fallback: string): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return fallback;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
