import { boundFailures, type FieldFailure } from '@platform/contracts';

export type GatewayErrorCode =
  | 'MALFORMED_JSON'
  | 'TOO_DEEP'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_REQUEST'
  | 'INVALID_EVENT'
  | 'UNKNOWN_EVENT_TYPE'
  | 'UNSUPPORTED_ENCODING'
  | 'MALFORMED_ENCODING'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'MALFORMED_HTTP'
  | 'BAD_URL'
  | 'TABLE_NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAVAILABLE'
  | 'DRAINING'
  | 'OVERLOADED'
  | 'INTERNAL';

/** An expected failure with its HTTP status, a stable code, a reason and per-field failures. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    message: string,
    readonly extra: {
      readonly failures?: readonly FieldFailure[];
      readonly retryAfterSeconds?: number;
      readonly details?: Readonly<Record<string, unknown>>;
    } = {},
  ) {
    super(message);
  }

  static invalid(message: string, failures: readonly FieldFailure[]): GatewayError {
    return new GatewayError(400, 'INVALID_REQUEST', message, { failures });
  }

  static unavailable(
    message: string,
    retryAfterSeconds = 1,
    details?: Readonly<Record<string, unknown>>,
  ): GatewayError {
    return new GatewayError(503, 'UNAVAILABLE', message, {
      retryAfterSeconds,
      ...(details === undefined ? {} : { details }),
    });
  }
}

export interface ErrorBody {
  readonly error: {
    readonly code: GatewayErrorCode;
    readonly message: string;
    readonly failures?: readonly FieldFailure[];
    readonly failures_omitted?: number;
    readonly [key: string]: unknown;
  };
}

/** The one error shape; failures are bounded (100, then a count of the rest). */
export function errorBody(error: GatewayError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.extra.failures === undefined ? {} : boundedFailures(error.extra.failures)),
      ...(error.extra.details ?? {}),
    },
  };
}

/** `{ failures, failures_omitted? }`: at most 100 failures, and how many more there were. */
export function boundedFailures(all: readonly FieldFailure[]): {
  readonly failures: readonly FieldFailure[];
  readonly failures_omitted?: number;
} {
  const { failures, omitted } = boundFailures(all);
  return omitted > 0 ? { failures, failures_omitted: omitted } : { failures };
}
