import type { FieldFailure } from '@platform/contracts';

export type GatewayErrorCode =
  | 'MALFORMED_JSON'
  | 'TOO_DEEP'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_REQUEST'
  | 'INVALID_EVENT'
  | 'UNKNOWN_EVENT_TYPE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAVAILABLE'
  | 'DRAINING'
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

  static unavailable(message: string, retryAfterSeconds = 1): GatewayError {
    return new GatewayError(503, 'UNAVAILABLE', message, { retryAfterSeconds });
  }
}

export interface ErrorBody {
  readonly error: {
    readonly code: GatewayErrorCode;
    readonly message: string;
    readonly failures?: readonly FieldFailure[];
    readonly [key: string]: unknown;
  };
}

export function errorBody(error: GatewayError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.extra.failures === undefined ? {} : { failures: error.extra.failures }),
      ...(error.extra.details ?? {}),
    },
  };
}
