import { Logger } from '@nestjs/common';
import type { PostgresSettings } from '@platform/config';
import { assertReachable } from '@platform/observability';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { GATEWAY_MIGRATIONS } from './migrations';

const logger = new Logger('GatewayDatabase');

/**
 * Opens the gateway's DataSource over `postgres` settings in schema `dbSchema` and runs
 * pending migrations under a PostgreSQL advisory lock, so instances starting together do
 * not race (one migrates, the others wait and find nothing to do).
 */
export async function openDatabase(
  settings: PostgresSettings,
  dbSchema: string,
  applicationName = 'ingestion-gateway',
): Promise<DataSource> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbSchema))
    throw new Error(`invalid PostgreSQL schema name ${dbSchema}`);
  await assertReachable('PostgreSQL', [`${settings.host}:${settings.port}`], 5_000);
  // TypeORM creates its migrations table inside the schema, so the schema must exist first.
  const client = new Client({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.username,
    password: settings.password,
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${dbSchema}"`);
  } finally {
    await client.end();
  }
  const dataSource = new DataSource({
    type: 'postgres',
    host: settings.host,
    port: settings.port,
    database: settings.database,
    username: settings.username,
    password: settings.password,
    schema: dbSchema,
    migrations: GATEWAY_MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    applicationName,
    extra: { max: 10, connectionTimeoutMillis: 5_000 },
  });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const lock = `ingestion-gateway:${dbSchema}`;
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    if (applied.length > 0)
      logger.log({ event: 'migrations_applied', names: applied.map((m) => m.name) });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
    await runner.release();
  }
  return dataSource;
}
