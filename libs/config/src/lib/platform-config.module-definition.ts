import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LoadOptions } from './loader';

/** `forRoot` options: what {@link loadWithProvenance} takes. */
export type PlatformConfigModuleOptions = LoadOptions;

export const {
  ConfigurableModuleClass: PlatformConfigConfigurableModule,
  MODULE_OPTIONS_TOKEN: PLATFORM_CONFIG_MODULE_OPTIONS,
  OPTIONS_TYPE: PLATFORM_CONFIG_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PLATFORM_CONFIG_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PlatformConfigModuleOptions>()
  .setClassMethodName('forRoot')
  // Config is read once per process and every module may ask for it.
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
