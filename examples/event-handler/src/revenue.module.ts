import { Controller, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { KafkaEventContext } from '@platform/messaging';

/** The fields of a `purchase` event this module reads (config/domains/ecommerce.yaml). */
export interface Purchase {
  readonly event_id: string;
  readonly order_id: string;
  readonly revenue: number;
  readonly currency: string;
}

/** Revenue per currency, since the service started. */
@Injectable()
export class RevenueTally {
  private readonly totals = new Map<string, { orders: number; revenue: number }>();

  add(purchase: Purchase): void {
    const total = this.totals.get(purchase.currency) ?? { orders: 0, revenue: 0 };
    this.totals.set(purchase.currency, {
      orders: total.orders + 1,
      revenue: total.revenue + purchase.revenue,
    });
  }

  snapshot(): Record<string, { orders: number; revenue: number }> {
    return Object.fromEntries(this.totals);
  }
}

/** Tallies every purchase and logs the large ones. */
@Controller()
export class PurchaseHandler {
  private readonly logger = new Logger(PurchaseHandler.name);
  static readonly LARGE = 500;

  constructor(@Inject(RevenueTally) private readonly tally: RevenueTally) {}

  @EventPattern('purchase')
  onPurchase(@Payload() purchase: Purchase, @Ctx() context: KafkaEventContext): void {
    this.tally.add(purchase);
    if (purchase.revenue >= PurchaseHandler.LARGE) {
      const { partition, offset } = context.getRecord();
      this.logger.log({ event: 'large_purchase', order_id: purchase.order_id, partition, offset });
    }
  }
}

@Module({ controllers: [PurchaseHandler], providers: [RevenueTally] })
export class RevenueModule {}
