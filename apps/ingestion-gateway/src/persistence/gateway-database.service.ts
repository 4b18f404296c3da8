import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { postgresIndicator, ReadinessRegistry } from '@platform/observability';
import type { DataSource } from 'typeorm';
import { WriteKeyStore } from '../auth/write-keys';
import type { GatewaySettings } from '../config/gateway-settings';
import {
  GATEWAY_DATABASE,
  GATEWAY_IDEMPOTENCY_CONNECTIONS,
  GATEWAY_SETTINGS,
} from '../core/tokens';
import { IdempotencyStore } from '../events/idempotency-store';
import { SubscriptionStore } from '../subscriptions/subscription.store';
import type { IdempotencyConnections } from './database';

/** How long shutdown waits for the last ack statements before closing the pool. */
const ACKS_WAIT_MS = 5_000;

/**
 * The migrated DataSource and the idempotency window's connections (opened by the provider
 * factories), and the stores over them.
 */
@Injectable()
export class GatewayDatabase implements OnApplicationShutdown {
  readonly writeKeys: WriteKeyStore;
  readonly subscriptions: SubscriptionStore;
  readonly idempotency: IdempotencyStore;
  private readonly logger = new Logger(GatewayDatabase.name);
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_DATABASE) readonly dataSource: DataSource,
    @Inject(GATEWAY_IDEMPOTENCY_CONNECTIONS)
    private readonly idempotencyConnections: IdempotencyConnections,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
    readiness: ReadinessRegistry,
  ) {
    this.writeKeys = new WriteKeyStore(dataSource, settings.dbSchema);
    this.subscriptions = new SubscriptionStore(dataSource, settings.dbSchema);
    this.idempotency = new IdempotencyStore(idempotencyConnections, settings.dbSchema, {
      windowMs: settings.idempotencyWindowMs,
      // Past the produce timeout a send may still be retrying; a claim outlives it comfortably.
      leaseMs: Math.max(60_000, 3 * settings.produceTimeoutMs),
    });
    readiness.register(postgresIndicator((sql) => dataSource.query(sql)));
    if (settings.idempotencyWindowMs > 0) {
      // Every instance deletes expired ids once a minute; the statement is cheap and idempotent.
      this.sweeper = setInterval(() => {
        this.idempotency.sweep().catch((error: unknown) =>
          this.logger.warn({
            event: 'idempotency_sweep_failed',
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }, 60_000).unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    // Acks are written after the answers (ADR 0010): the last ones go before the pool closes,
    // unless PostgreSQL does not answer (their claims then hold repeats until the lease ends).
    let timer: NodeJS.Timeout | undefined;
    const written = await Promise.race([
      this.idempotency.acksWritten().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ACKS_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!written) this.logger.warn({ event: 'idempotency_acks_unwritten_at_shutdown' });
    await this.idempotencyConnections.end();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
