import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import type { FastifyRequest } from 'fastify';
import { WriteKeyAuthService } from '../auth/write-key-auth.service';
import { GatewayError } from '../http/gateway.error';
import { planSubscription } from './subscription-request';
import { SubscriptionsService, type CreatedSubscription } from './subscriptions.service';

@Controller('v1/subscribe')
export class SubscriptionsController {
  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly auth: WriteKeyAuthService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<CreatedSubscription> {
    const key = await this.auth.authenticate(request);
    this.auth.limit(key, 1);
    const planned = planSubscription(this.config.model, body);
    if (!planned.ok) throw GatewayError.invalid('invalid subscription', planned.failures);
    for (const type of planned.spec.eventTypes) this.auth.authorize(key, type);
    return this.subscriptions.create(planned.spec, key.source);
  }

  @Get(':id')
  get(@Req() request: FastifyRequest, @Param('id') id: string): Promise<CreatedSubscription> {
    return this.authorized(request, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() request: FastifyRequest, @Param('id') id: string): Promise<void> {
    await this.authorized(request, id);
    await this.subscriptions.remove(id);
  }

  /**
   * The subscription, when the key may use every event type it delivers (the rule that
   * created it): a key limited to other types gets 403, as it would creating it.
   */
  private async authorized(request: FastifyRequest, id: string): Promise<CreatedSubscription> {
    const key = await this.auth.authenticate(request);
    if (!/^[a-z0-9]{8,40}$/.test(id))
      throw new GatewayError(404, 'NOT_FOUND', 'no such subscription');
    const subscription = await this.subscriptions.get(id);
    for (const type of subscription.event_types) this.auth.authorize(key, type);
    return subscription;
  }
}
