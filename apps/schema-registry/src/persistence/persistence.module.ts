import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { assertReachable } from '@platform/observability';
import { Client } from 'pg';
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
  const pg = config.postgres;
  return {
    type: 'postgres',
    host: pg.host,
    port: pg.port,
    database: pg.database,
    username: pg.username,
    password: pg.password,
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
 * TypeORM creates its migrations table inside the configured schema before it runs the
 * first migration, so the schema has to exist first.
 */
async function ensureDbSchema(options: PostgresConnectionOptions): Promise<void> {
  // Names the address and the reason at once, on every attempt.
  await assertReachable(
    'PostgreSQL',
    [`${options.host ?? 'localhost'}:${options.port ?? 5432}`],
    5_000,
  );
  const client = new Client({
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.username,
    password: typeof options.password === 'string' ? options.password : undefined,
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema ?? 'public'}"`);
  } finally {
    await client.end();
  }
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
            await ensureDbSchema(raw);
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
