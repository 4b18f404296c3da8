export const SERDE_ERROR_CODES = [
  'UNKNOWN_MAGIC_BYTE',
  'TRUNCATED',
  'UNKNOWN_SCHEMA',
  'DECODE_FAILED',
  'ENCODE_FAILED',
] as const;
export type SerdeErrorCode = (typeof SERDE_ERROR_CODES)[number];

/** One value that does not fit its schema, e.g. `{ path: 'quantity', message: ... }`. */
export interface SerdeIssue {
  /** Dotted path from the record root; empty for the record itself. */
  readonly path: string;
  readonly message: string;
}

export interface SerdeErrorOptions {
  /** Only a failed schema lookup (registry unreachable) can succeed on a retry. */
  readonly retriable?: boolean;
  readonly issues?: readonly SerdeIssue[];
  readonly schemaId?: number;
  readonly cause?: unknown;
}

/**
 * Everything that can go wrong turning bytes into values and back. Consumers route it to
 * the dead-letter topic (`retriable: false`) or retry with backoff (`retriable: true`).
 */
export class SerdeError extends Error {
  override readonly name = 'SerdeError';
  readonly retriable: boolean;
  readonly issues: readonly SerdeIssue[];
  readonly schemaId: number | undefined;

  constructor(
    readonly code: SerdeErrorCode,
    message: string,
    options: SerdeErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
    this.issues = options.issues ?? [];
    this.schemaId = options.schemaId;
  }
}

export const isSerdeError = (err: unknown): err is SerdeError => err instanceof SerdeError;
