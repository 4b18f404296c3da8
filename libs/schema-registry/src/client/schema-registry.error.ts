/** What failed: an HTTP answer, the connection, the request timeout, or an unreadable answer. */
export type SchemaRegistryFailure = 'http' | 'network' | 'timeout' | 'invalid-response';

/** Confluent `error_code`s a caller commonly branches on. */
export const CONFLUENT_ERROR_CODES = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: 40408,
  INCOMPATIBLE_SCHEMA: 409,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
} as const;

export interface SchemaRegistryErrorOptions {
  readonly failure: SchemaRegistryFailure;
  readonly method: string;
  /** Path and query of the request; never the credentials. */
  readonly path: string;
  readonly status?: number;
  readonly errorCode?: number;
  /** The registry's own `message`, or the reason the request did not complete. */
  readonly serverMessage: string;
  readonly retriable: boolean;
  /** How many requests were sent before giving up. */
  readonly attempts?: number;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * A failed registry call. `retriable` says whether the same request may succeed later
 * (network errors, timeouts, 5xx, 429); the client has already retried those with backoff
 * by the time one reaches the caller.
 */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
  readonly failure: SchemaRegistryFailure;
  readonly method: string;
  readonly path: string;
  /** HTTP status; undefined when no answer came back. */
  readonly status: number | undefined;
  /** Confluent's `error_code` (40401, 42201, 409…); undefined when the body had none. */
  readonly errorCode: number | undefined;
  readonly serverMessage: string;
  readonly retriable: boolean;
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(options: SchemaRegistryErrorOptions) {
    const what =
      options.status === undefined
        ? options.failure
        : `${options.status}${options.errorCode === undefined ? '' : ` (error_code ${options.errorCode})`}`;
    super(
      `schema registry ${options.method} ${options.path} failed: ${what}: ${options.serverMessage}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.failure = options.failure;
    this.method = options.method;
    this.path = options.path;
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.serverMessage = options.serverMessage;
    this.retriable = options.retriable;
    this.attempts = options.attempts ?? 1;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The same error, noting how many attempts were made. */
  withAttempts(attempts: number): SchemaRegistryError {
    return new SchemaRegistryError({ ...this.options(), attempts });
  }

  private options(): SchemaRegistryErrorOptions {
    return {
      failure: this.failure,
      method: this.method,
      path: this.path,
      status: this.status,
      errorCode: this.errorCode,
      serverMessage: this.serverMessage,
      retriable: this.retriable,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
    };
  }
}

export const isSchemaRegistryError = (err: unknown): err is SchemaRegistryError =>
  err instanceof SchemaRegistryError;

/** A 404 saying the subject (or its only version) does not exist yet. */
export const isSubjectNotFound = (err: unknown): err is SchemaRegistryError =>
  isSchemaRegistryError(err) && err.errorCode === CONFLUENT_ERROR_CODES.SUBJECT_NOT_FOUND;
