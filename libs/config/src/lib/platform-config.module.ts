import { Inject, Module } from '@nestjs/common';
import { loadWithProvenance, type LoadedConfig } from './loader';
import type { PlatformConfig } from './platform-config.schema';
import {
  PLATFORM_CONFIG_MODULE_OPTIONS,
  PlatformConfigConfigurableModule,
  type PlatformConfigModuleOptions,
} from './platform-config.module-definition';

/** The validated {@link PlatformConfig}. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
/** The {@link LoadedConfig}: config plus provenance and secret paths, for explain and redaction. */
export const LOADED_PLATFORM_CONFIG = Symbol('LOADED_PLATFORM_CONFIG');

/** `constructor(@InjectPlatformConfig() private readonly config: PlatformConfig)` */
export const InjectPlatformConfig = (): PropertyDecorator & ParameterDecorator =>
  Inject(PLATFORM_CONFIG);

/**
 * Loads and validates the config once, at start-up: a bad config fails the boot with
 * the full list of problems. Global, so any module can inject {@link PLATFORM_CONFIG}.
 */
@Module({
  providers: [
    {
      provide: LOADED_PLATFORM_CONFIG,
      inject: [PLATFORM_CONFIG_MODULE_OPTIONS],
      useFactory: (options: PlatformConfigModuleOptions): Promise<LoadedConfig> =>
        loadWithProvenance(options),
    },
    {
      provide: PLATFORM_CONFIG,
      inject: [LOADED_PLATFORM_CONFIG],
      useFactory: (loaded: LoadedConfig): PlatformConfig => loaded.config,
    },
  ],
  exports: [PLATFORM_CONFIG, LOADED_PLATFORM_CONFIG],
})
export class PlatformConfigModule extends PlatformConfigConfigurableModule {}
