import { HttpException } from '@nestjs/common';
import { RegistryError } from './registry.error';

/** The body Confluent clients parse on every failed request. */
export interface RegistryErrorBody {
  readonly error_code: number;
  readonly message: string;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: RegistryErrorBody;
  /** Unexpected failures are logged with their stack; expected ones are not. */
  readonly unexpected: boolean;
}

/**
 * Any thrown value → the HTTP answer. Registry errors keep their Confluent code; Nest and
 * Fastify HTTP errors (unknown route, unsupported media type, body too large) keep their
 * status as the code, as Confluent's REST layer does; anything else is a 500 that says
 * nothing about internals.
 */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof RegistryError) {
    return {
      status: exception.status,
      body: { error_code: exception.errorCode, message: exception.message },
      unexpected: exception.status >= 500,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return {
      status,
      body: { error_code: status, message: httpExceptionMessage(exception) },
      unexpected: status >= 500,
    };
  }
  return {
    status: 500,
    body: { error_code: 500, message: 'Internal server error' },
    unexpected: true,
  };
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  if (typeof response === 'object' && response !== null && 'message' in response) {
    const { message } = response as { message: unknown };
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return exception.message;
}
