import { Module, type DynamicModule } from '@nestjs/common';
import {
  PLATFORM_CONFIG,
  PlatformConfigModule,
  type PlatformConfig,
  type PlatformConfigModuleOptions,
} from '@platform/config';
import { ObservabilityModule } from '@platform/observability';
import type { Registry } from 'prom-client';
import { sinkWriterSettingsProvider } from './config/sink-writer-settings.provider';
import {
  SINK_WRITER_ENV,
  SINK_WRITER_RUN_ONCE,
  SinkConsumerService,
} from './consumer/sink-consumer.service';

export interface SinkWriterAppOptions {
  /** How the platform config is loaded. Default: `CONFIG_DIR`/`ENVIRONMENT`/`DOMAIN`. */
  readonly config?: PlatformConfigModuleOptions;
  /** Where `SINK_WRITER_*` settings are read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A metrics registry of its own (tests running several apps in one process). */
  readonly registry?: Registry;
  /** `run-once`: capture the end offsets at start (see `SinkConsumerService.untilEnd`). */
  readonly runOnce?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(options: SinkWriterAppOptions = {}): DynamicModule {
    const env = options.env ?? process.env;
    return {
      module: AppModule,
      imports: [
        PlatformConfigModule.forRoot({ ...options.config, isGlobal: true }),
        ObservabilityModule.forRootAsync({
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => ({
            serviceName: 'sink-writer',
            serviceVersion: config.version,
            logging: config.logging,
            drainTimeoutMs: 25_000,
            ...(options.registry ? { registry: options.registry } : {}),
          }),
        }),
      ],
      providers: [
        sinkWriterSettingsProvider(env),
        { provide: SINK_WRITER_ENV, useValue: env },
        { provide: SINK_WRITER_RUN_ONCE, useValue: options.runOnce === true },
        SinkConsumerService,
      ],
    };
  }
}
