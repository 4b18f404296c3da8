// Backoff and the retriable convention live in @platform/observability, the lowest lib.
export {
  DEFAULT_BACKOFF,
  backoffDelay,
  isRetriableError as isRetriable,
  type BackoffOptions,
} from '@platform/observability';

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
