import { Module } from '@nestjs/common';
import { PLATFORM_CONFIG, PlatformConfigModule, type PlatformConfig } from '@platform/config';
import { ObservabilityModule } from '@platform/observability';
import { GenerationModule } from './generation/generation.module';

@Module({
  imports: [
    PlatformConfigModule.forRoot({}),
    ObservabilityModule.forRootAsync({
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig) => ({
        serviceName: 'generator',
        logging: config.logging,
      }),
    }),
    GenerationModule,
  ],
})
export class AppModule {}
