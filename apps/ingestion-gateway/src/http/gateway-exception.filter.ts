import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MALFORMED_ENCODING_CODES } from './content-encoding';
import { errorBody, GatewayError, type GatewayErrorCode } from './gateway.error';

const FASTIFY_CODES: Readonly<
  Record<string, { status: number; code: GatewayErrorCode; message?: string }>
> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'the request body is larger than the limit',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'unsupported content type; send application/json',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'invalid content type header',
  },
  FST_ERR_CTP_EMPTY_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'missing content type; send application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'MALFORMED_JSON',
    message: 'the request body is empty; expected JSON',
  },
  ...Object.fromEntries(
    MALFORMED_ENCODING_CODES.map((code) => [
      code,
      {
        status: 400,
        code: 'MALFORMED_ENCODING' as const,
        message: 'the body does not decode as its Content-Encoding says',
      },
    ]),
  ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'content-length does not match the body',
  },
};

const STATUS_CODES: Readonly<Record<number, GatewayErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Any thrown value as a GatewayError; `unexpected` marks what deserves an error log. */
export function toGatewayError(exception: unknown): { error: GatewayError; unexpected: boolean } {
  if (exception instanceof GatewayError) return { error: exception, unexpected: false };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    return {
      error: new GatewayError(
        status,
        STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST'),
        message,
      ),
      unexpected: status >= 500,
    };
  }
  const code = (exception as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const known = FASTIFY_CODES[code];
    if (known !== undefined) {
      return {
        error: new GatewayError(known.status, known.code, known.message ?? code),
        unexpected: false,
      };
    }
    const statusCode = (exception as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      const message = exception instanceof Error ? exception.message : code;
      return {
        error: new GatewayError(statusCode, STATUS_CODES[statusCode] ?? 'INVALID_REQUEST', message),
        unexpected: false,
      };
    }
  }
  return { error: new GatewayError(500, 'INTERNAL', 'internal error'), unexpected: true };
}

/** The one place errors become responses: `{ error: { code, message, failures? } }`. */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(GatewayExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { error, unexpected } = toGatewayError(exception);
    if (unexpected) {
      this.logger.error(
        {
          event: 'request_failed',
          method: request.method,
          url: request.url.split('?')[0],
          status: error.status,
        },
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (error.extra.retryAfterSeconds !== undefined) {
      void reply.header(
        'retry-after',
        String(Math.max(1, Math.ceil(error.extra.retryAfterSeconds))),
      );
    }
    void reply
      .status(error.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(error));
  }
}
