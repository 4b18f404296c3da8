import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { serverContextOf } from '@platform/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WriteKeyAuthService } from '../auth/write-key-auth.service';
import { EventsService, type BatchResponse, type SingleEventAnswer } from './events.service';

@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly auth: WriteKeyAuthService,
    private readonly events: EventsService,
  ) {}

  @Post(':type')
  @HttpCode(202)
  async one(
    @Req() request: FastifyRequest,
    @Param('type') type: string,
    @Body() body: unknown,
  ): Promise<SingleEventAnswer> {
    const key = await this.auth.authenticate(request);
    this.auth.limit(key, 1);
    // The gateway's trace context does not follow awaits (ADR 0027): re-entered for the produce.
    return context.with(serverContextOf(request.raw), () =>
      this.events.ingestOne(key, type, body, {
        headers: request.headers,
        userAgent: request.headers['user-agent'] || undefined,
        ip: request.ip,
      }),
    );
  }

  @Post()
  async batch(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchResponse['body']> {
    const key = await this.auth.authenticate(request);
    const result = await context.with(serverContextOf(request.raw), () =>
      this.events.ingestBatch(key, body, (cost) => this.auth.limit(key, cost), {
        headers: request.headers,
        userAgent: request.headers['user-agent'] || undefined,
        ip: request.ip,
      }),
    );
    void reply.status(result.status);
    if (result.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(result.retryAfterSeconds));
    return result.body;
  }
}
