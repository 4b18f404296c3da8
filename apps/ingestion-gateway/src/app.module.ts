import { DynamicModule, Module } from '@nestjs/common';
import {
  PLATFORM_CONFIG,
  PlatformConfigModule,
  type PlatformConfig,
  type PlatformConfigModuleOptions,
} from '@platform/config';
import { EventContracts } from '@platform/contracts';
import { createKafka, nestLoggerSink } from '@platform/messaging';
import { ObservabilityModule } from '@platform/observability';
import { builtInProcessors } from '@platform/processors';
import { WriteKeyAuthService } from './auth/write-key-auth.service';
import { loadGatewaySettings, type GatewaySettings } from './config/gateway-settings';
import { ContractsController } from './contracts/contracts.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { StatsService } from './dashboard/stats.service';
import { GatewayMetrics } from './core/gateway-metrics';
import { McpController } from './mcp/mcp.controller';
import { KafkaGatewayService } from './core/kafka-gateway.service';
import {
  EVENT_PROCESSORS,
  GATEWAY_DATABASE,
  GATEWAY_IDEMPOTENCY_CONNECTIONS,
  GATEWAY_KAFKA,
  GATEWAY_SETTINGS,
  type KafkaFactory,
} from './core/tokens';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { openDatabase, openIdempotencyConnections } from './persistence/database';
import { GatewayDatabase } from './persistence/gateway-database.service';
import { QueryController } from './query/query.controller';
import { querySinkModule } from './query/query-sink.module';
import { QueryService } from './query/query.service';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

export interface GatewayAppOptions {
  /** How the platform config is loaded (default: CONFIG_DIR / ENVIRONMENT / DOMAIN). */
  readonly config?: PlatformConfigModuleOptions;
  /** Where GATEWAY_* variables are read (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Builds the Kafka client (tests route it through a proxy). */
  readonly kafkaFactory?: KafkaFactory;
}

const defaultKafkaFactory: KafkaFactory = (settings, clientId) =>
  createKafka(settings, { clientId, logger: nestLoggerSink(), logLevel: 'warn' });

@Module({})
export class AppModule {
  static forRoot(options: GatewayAppOptions = {}): DynamicModule {
    // Read and validated before anything connects: a bad variable fails the boot, listing all.
    const settings = loadGatewaySettings(options.env ?? process.env);
    const kafkaFactory = options.kafkaFactory ?? defaultKafkaFactory;
    return {
      module: AppModule,
      imports: [
        PlatformConfigModule.forRoot({ ...options.config, isGlobal: true }),
        querySinkModule(settings),
        ObservabilityModule.forRootAsync({
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => ({
            serviceName: 'ingestion-gateway',
            serviceVersion: config.version,
            logging: config.logging,
            drainTimeoutMs: settings.drainTimeoutMs,
            requestLogSampleRate: settings.requestLogSampleRate,
          }),
        }),
      ],
      controllers: [
        EventsController,
        QueryController,
        SubscriptionsController,
        ContractsController,
        DashboardController,
        McpController,
      ],
      providers: [
        StatsService,
        { provide: GATEWAY_SETTINGS, useValue: settings },
        {
          provide: GATEWAY_KAFKA,
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => kafkaFactory(config.kafka, 'ingestion-gateway'),
        },
        {
          provide: GATEWAY_DATABASE,
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => openDatabase(config.postgres, settings.dbSchema),
        },
        {
          provide: GATEWAY_IDEMPOTENCY_CONNECTIONS,
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) =>
            openIdempotencyConnections(config.postgres, settings.idempotencySynchronousCommit),
        },
        {
          provide: EventContracts,
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) =>
            new EventContracts(config.model, {
              maxStringLength: settings.maxStringLength,
              eventTime: {
                minMs: settings.minEventTimeMs,
                maxFutureSkewMs: settings.maxEventTimeSkewMs,
              },
            }),
        },
        {
          provide: EVENT_PROCESSORS,
          inject: [PLATFORM_CONFIG],
          // Unknown processors or bad options fail the boot, every problem listed.
          useFactory: (config: PlatformConfig) =>
            builtInProcessors().chains(config.model, options.env ?? process.env),
        },
        GatewayDatabase,
        GatewayMetrics,
        KafkaGatewayService,
        WriteKeyAuthService,
        EventsService,
        QueryService,
        SubscriptionsService,
      ],
    };
  }
}

export type { GatewaySettings };
