import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { WriteKeyAuthService } from '../auth/write-key-auth.service';
import { QueryService, type QueryResponse } from './query.service';

@Controller('v1/query')
export class QueryController {
  constructor(
    private readonly auth: WriteKeyAuthService,
    private readonly query: QueryService,
  ) {}

  @Post()
  @HttpCode(200)
  async run(@Req() request: FastifyRequest, @Body() body: unknown): Promise<QueryResponse> {
    const key = await this.auth.authenticate(request);
    this.auth.limit(key, 1);
    return this.query.run(body, (eventType) => this.auth.authorize(key, eventType));
  }
}
