import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { postgresIndicator, ReadinessRegistry } from '@platform/observability';
import type { DataSource } from 'typeorm';
import { WriteKeyStore } from '../auth/write-keys';
import type { GatewaySettings } from '../config/gateway-settings';
import { GATEWAY_DATABASE, GATEWAY_SETTINGS } from '../core/tokens';
import { SubscriptionStore } from '../subscriptions/subscription.store';

/** The migrated DataSource (opened by the provider factory) and the stores over it. */
@Injectable()
export class GatewayDatabase implements OnApplicationShutdown {
  readonly writeKeys: WriteKeyStore;
  readonly subscriptions: SubscriptionStore;

  constructor(
    @Inject(GATEWAY_DATABASE) readonly dataSource: DataSource,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
    readiness: ReadinessRegistry,
  ) {
    this.writeKeys = new WriteKeyStore(dataSource, settings.dbSchema);
    this.subscriptions = new SubscriptionStore(dataSource, settings.dbSchema);
    readiness.register(postgresIndicator((sql) => dataSource.query(sql)));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
