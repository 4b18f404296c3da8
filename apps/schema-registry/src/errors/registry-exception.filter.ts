import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REGISTRY_CONTENT_TYPE } from '../http/content-types';
import { toErrorResponse } from './error-mapping';

/**
 * The one place errors become responses: `{error_code, message}` in the registry's
 * content type. Nest routes Fastify's own errors (body parser, unknown route, media type)
 * here too, through the error and not-found handlers it installs.
 */
@Catch()
export class RegistryExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(RegistryExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body, unexpected } = toErrorResponse(exception);
    if (unexpected) {
      const cause =
        exception instanceof Error && exception.cause instanceof Error
          ? exception.cause
          : exception;
      this.logger.error(
        {
          event: 'request_failed',
          method: request.method,
          url: request.url,
          status,
          error_code: body.error_code,
        },
        cause instanceof Error ? cause.stack : String(cause),
      );
    }
    void reply.status(status).header('content-type', REGISTRY_CONTENT_TYPE).send(body);
  }
}
