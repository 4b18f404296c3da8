import { Module, type DynamicModule } from '@nestjs/common';
import { PLATFORM_CONFIG, PlatformConfigModule, type PlatformConfig } from '@platform/config';
import { ObservabilityModule } from '@platform/observability';
import {
  AGGREGATOR_CONSOLE,
  AGGREGATOR_SETTINGS,
  AggregatorService,
} from './aggregator/aggregator.service';
import type { AggregatorSettings } from './pipeline/settings';

@Module({})
export class AppModule {
  static forRoot(options: {
    readonly settings: AggregatorSettings;
    readonly console: boolean;
    readonly environment?: string;
  }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformConfigModule.forRoot(
          options.environment === undefined ? {} : { environment: options.environment },
        ),
        ObservabilityModule.forRootAsync({
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => ({
            serviceName: 'aggregator',
            logging: config.logging,
          }),
        }),
      ],
      providers: [
        { provide: AGGREGATOR_SETTINGS, useValue: options.settings },
        { provide: AGGREGATOR_CONSOLE, useValue: options.console },
        AggregatorService,
      ],
    };
  }
}
