import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLATFORM_CONFIG, typeormPostgres, type PlatformConfig } from '@platform/config';
import { assertReachable } from '@platform/observability';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { REGISTRY_ENTITIES } from './entities';
import { REGISTRY_MIGRATIONS } from './migrations';
import { RegistryStore } from './registry.store';

export interface PersistenceOptions {
  /** The PostgreSQL schema of the registry's tables (already validated, see resolveDbSchema). */
  readonly dbSchema: string;
}

const logger = new Logger('PersistenceModule');

/** The DataSource options: connection from the platform config's `postgres` section. */
export function dataSourceOptions(
  config: PlatformConfig,
  dbSchema: string,
): PostgresConnectionOptions {
  return {
    ...typeormPostgres(config.postgres),
    schema: dbSchema,
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    // Each PG schema keeps its own migration history, so registries can share a database.
    migrationsTableName: 'migrations',
    // Run by migrateUnderLock, so instances starting together do not race.
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    applicationName: 'schema-registry',
    extra: { max: 20, connectionTimeoutMillis: 5_000 },
  };
}

/**
 * Initializes the DataSource and runs pending migrations while holding a PostgreSQL
 * advisory lock named after the schema: of several instances starting at once, one
 * migrates and the others wait, then find nothing left to do.
 */
async function migrateUnderLock(dataSource: DataSource, dbSchema: string): Promise<DataSource> {
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`schema-registry:${dbSchema}`]);
    // TypeORM creates its migrations table inside the schema, so the schema must exist first.
    await runner.createSchema(dbSchema, true);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    if (applied.length > 0)
      logger.log({ event: 'migrations_applied', names: applied.map((m) => m.name) });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`schema-registry:${dbSchema}`]);
    await runner.release();
  }
  return dataSource;
}

/** The DataSource (migrated at start-up) and the {@link RegistryStore} over it; global. */
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig) => ({
            ...dataSourceOptions(config, options.dbSchema),
            retryAttempts: 5,
            retryDelay: 2_000,
          }),
          dataSourceFactory: async (raw?: DataSourceOptions) => {
            if (!raw || raw.type !== 'postgres')
              throw new Error('schema-registry: expected PostgreSQL DataSource options');
            // Names the address and the reason at once, on every attempt.
            await assertReachable(
              'PostgreSQL',
              [`${raw.host ?? 'localhost'}:${raw.port ?? 5432}`],
              5_000,
            );
            logger.log({
              event: 'datasource_configured',
              host: raw.host,
              port: raw.port,
              database: raw.database,
              schema: raw.schema,
            });
            return migrateUnderLock(new DataSource(raw), raw.schema ?? 'public');
          },
        }),
      ],
      providers: [RegistryStore],
      exports: [RegistryStore],
    };
  }
}
