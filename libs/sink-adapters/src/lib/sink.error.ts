/** Why a sink operation failed. `retriable` says whether trying again can help. */
export type SinkErrorCode =
  | 'CONNECTION'
  | 'TIMEOUT'
  | 'TOO_MANY_CONNECTIONS'
  | 'SERIALIZATION'
  | 'SYNTAX'
  | 'CONSTRAINT'
  | 'TYPE'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_SCHEMA'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_TABLE'
  | 'UNKNOWN_SINK'
  | 'NOT_CONNECTED'
  | 'IO'
  | 'UNKNOWN';

const RETRIABLE_BY_DEFAULT: ReadonlySet<SinkErrorCode> = new Set<SinkErrorCode>([
  'CONNECTION',
  'TIMEOUT',
  'TOO_MANY_CONNECTIONS',
  'SERIALIZATION',
]);

export interface SinkErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** The sink that failed, e.g. `clickhouse`. */
  readonly sink?: string;
}

/**
 * Every failure of a sink. Sinks throw it and never swallow it: a swallowed write would let
 * the caller commit offsets for rows that were never stored.
 */
export class SinkError extends Error {
  readonly code: SinkErrorCode;
  readonly retriable: boolean;
  readonly sink?: string;

  constructor(code: SinkErrorCode, message: string, options: SinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(code);
    this.sink = options.sink;
  }
}

export function isSinkError(error: unknown): error is SinkError {
  return error instanceof SinkError;
}

/** Node socket errors that mean "the other side was not there or went away". */
const NODE_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const NODE_TIMEOUT_CODES: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** Classifies a Node system error (or an AggregateError of them), if it is one. */
export function nodeErrorCode(error: unknown): SinkErrorCode | undefined {
  const codes: string[] = [];
  const collect = (e: unknown): void => {
    if (typeof e === 'object' && e !== null) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') codes.push(code);
      const inner = (e as { errors?: unknown }).errors;
      if (Array.isArray(inner)) inner.forEach(collect);
      const cause = (e as { cause?: unknown }).cause;
      if (cause !== undefined && cause !== e) collect(cause);
    }
  };
  collect(error);
  if (codes.some((c) => NODE_TIMEOUT_CODES.has(c))) return 'TIMEOUT';
  if (codes.some((c) => NODE_CONNECTION_CODES.has(c))) return 'CONNECTION';
  const message = error instanceof Error ? error.message : '';
  if (/timeout|timed out/i.test(message)) return 'TIMEOUT';
  if (/socket hang up|connection terminated|connection refused/i.test(message)) return 'CONNECTION';
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
