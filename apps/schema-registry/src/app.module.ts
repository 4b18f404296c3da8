import { DynamicModule, Module } from '@nestjs/common';
import {
  PLATFORM_CONFIG,
  PlatformConfigModule,
  type PlatformConfig,
  type PlatformConfigModuleOptions,
} from '@platform/config';
import { ObservabilityModule } from '@platform/observability';
import { CompatibilityModule } from './compatibility/compatibility.module';
import { CompatibilityConfigModule } from './config/compatibility-config.module';
import { HealthModule } from './health/health.module';
import { RootController } from './http/root.controller';
import { ModeModule } from './mode/mode.module';
import { resolveDbSchema } from './persistence/db-schema';
import { PersistenceModule } from './persistence/persistence.module';
import { SchemasModule } from './schemas/schemas.module';
import { SubjectsModule } from './subjects/subjects.module';

export interface SchemaRegistryAppOptions {
  /** PostgreSQL schema for the tables. Default: `SCHEMA_REGISTRY_DB_SCHEMA`, then `schema_registry`. */
  readonly dbSchema?: string;
  /** How the platform config is loaded. Default: `CONFIG_DIR`/`ENVIRONMENT`/`DOMAIN` and the nearest `config/`. */
  readonly config?: PlatformConfigModuleOptions;
  /** `false` silences the logs (in-process tests). */
  readonly logs?: false;
}

@Module({})
export class AppModule {
  static forRoot(options: SchemaRegistryAppOptions = {}): DynamicModule {
    const dbSchema = resolveDbSchema(options.dbSchema, process.env);
    return {
      module: AppModule,
      controllers: [RootController],
      imports: [
        PlatformConfigModule.forRoot({ ...options.config, isGlobal: true }),
        ObservabilityModule.forRootAsync({
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => ({
            serviceName: 'schema-registry',
            logging: options.logs === false ? { level: 'silent' } : config.logging,
          }),
        }),
        PersistenceModule.forRoot({ dbSchema }),
        SubjectsModule,
        SchemasModule,
        CompatibilityConfigModule,
        CompatibilityModule,
        HealthModule,
        ModeModule,
      ],
    };
  }
}
