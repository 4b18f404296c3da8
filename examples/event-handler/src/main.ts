import { Logger, type INestMicroservice, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { load, type PlatformConfig } from '@platform/config';
import { KafkaEventTransport, KeepHandlerErrors } from '@platform/messaging';
import { SchemaRegistryClient, type SchemaLookup } from '@platform/schema-registry';
import { RevenueModule } from './revenue.module';

export interface RevenueServiceOptions {
  readonly groupId?: string;
  /** Default: the registry client at `schema_registry.url`. */
  readonly registry?: SchemaLookup;
  readonly fromBeginning?: boolean;
  /** Nest's log levels; default all. */
  readonly logLevels?: LogLevel[];
}

/** The example service: the platform's config, the Kafka event transport, one module. */
export async function startRevenueService(
  config: PlatformConfig,
  options: RevenueServiceOptions = {},
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(RevenueModule, {
    ...(options.logLevels === undefined ? {} : { logger: options.logLevels }),
    strategy: new KafkaEventTransport({
      kafka: config.kafka,
      registry: options.registry ?? new SchemaRegistryClient({ url: config.schema_registry.url }),
      topics: config.topics,
      groupId: options.groupId ?? 'example-revenue',
      service: 'example-revenue',
      fromBeginning: options.fromBeginning ?? true,
    }),
  });
  // Dead letters carry the handler's own error, not Nest's "Internal server error".
  app.useGlobalFilters(new KeepHandlerErrors());
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

if (require.main === module) {
  void (async () => {
    await startRevenueService(await load());
  })().catch((error: unknown) => {
    new Logger('example-revenue').error(error);
    process.exit(1);
  });
}
