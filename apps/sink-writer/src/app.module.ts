import { Module, type DynamicModule } from '@nestjs/common';
import {
  PLATFORM_CONFIG,
  PlatformConfigModule,
  type PlatformConfig,
  type PlatformConfigModuleOptions,
} from '@platform/config';
import { ObservabilityModule } from '@platform/observability';
import { SinkModule } from '@platform/sink-adapters';
import type { Registry } from 'prom-client';
import {
  SINK_WRITER_SETTINGS,
  sinkWriterSettingsProvider,
} from './config/sink-writer-settings.provider';
import type { SinkWriterSettings } from './config/sink-writer.config';
import { sinkOptionsFor } from './consumer/build-sinks';
import { SINK_WRITER_RUN_ONCE, SinkConsumerService } from './consumer/sink-consumer.service';
import { SinkWriteTally } from './consumer/sink-write-tally';

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

/** The settings and the sinks' metrics, global so that SinkModule's factory sees them. */
@Module({})
class SinkWriterCoreModule {
  static forRoot(env: Readonly<Record<string, string | undefined>>): DynamicModule {
    return {
      module: SinkWriterCoreModule,
      global: true,
      providers: [sinkWriterSettingsProvider(env), SinkWriteTally],
      exports: [SINK_WRITER_SETTINGS, SinkWriteTally],
    };
  }
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
        SinkWriterCoreModule.forRoot(env),
        SinkModule.registerAsync({
          inject: [PLATFORM_CONFIG, SINK_WRITER_SETTINGS, SinkWriteTally],
          useFactory: (
            config: PlatformConfig,
            settings: SinkWriterSettings,
            tally: SinkWriteTally,
          ) => ({
            sinks: settings.sinks,
            plugins: settings.sinkPlugins,
            optionsFor: sinkOptionsFor(config, tally, env, {
              pgCopyConnections: settings.pgCopyConnections,
            }),
          }),
        }),
      ],
      providers: [
        { provide: SINK_WRITER_RUN_ONCE, useValue: options.runOnce === true },
        SinkConsumerService,
      ],
    };
  }
}
