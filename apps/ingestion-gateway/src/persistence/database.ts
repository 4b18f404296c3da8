import { Logger } from '@nestjs/common';
import { pgConnection, typeormPostgres, type PostgresSettings } from '@platform/config';
import { assertReachable } from '@platform/observability';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { SqlRunner } from '../events/idempotency-store';
import { GATEWAY_MIGRATIONS } from './migrations';

const logger = new Logger('GatewayDatabase');

/** How long opening a PostgreSQL connection (or waiting for a pooled one) may take. */
const CONNECT_TIMEOUT_MS = 5_000;

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
  const dataSource = new DataSource({
    ...typeormPostgres(settings),
    schema: dbSchema,
    migrations: GATEWAY_MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    applicationName,
    extra: { max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
  });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const lock = `ingestion-gateway:${dbSchema}`;
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
    // TypeORM creates its migrations table inside the schema, so the schema must exist first.
    await runner.createSchema(dbSchema, true);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    if (applied.length > 0)
      logger.log({ event: 'migrations_applied', names: applied.map((m) => m.name) });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
    await runner.release();
  }
  return dataSource;
}

/** The idempotency window's own connections (`end` closes them). */
export interface IdempotencyConnections extends SqlRunner {
  end(): Promise<void>;
}

/**
 * A few connections for the idempotency statements alone, so that they alone may commit
 * without waiting for the WAL flush (`synchronousCommit` false): under client ids that wait
 * was most of a claim's latency, and losing the last moments of ids only in a crash of
 * PostgreSQL itself lets a repeat through, as a gateway crash already can (ADR 0010). The
 * write keys and subscriptions keep synchronous commits on the DataSource.
 */
export function openIdempotencyConnections(
  settings: PostgresSettings,
  synchronousCommit: boolean,
  applicationName = 'ingestion-gateway',
): IdempotencyConnections {
  // One claim and one ack statement in flight (ADR 0010), a release or a sweep beside them.
  const pool = new Pool({
    ...pgConnection(settings),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: `${applicationName} idempotency`,
    options: `-c synchronous_commit=${synchronousCommit ? 'on' : 'off'}`,
    max: 4,
  });
  // An idle connection that breaks (PostgreSQL restarted) is dropped, not thrown.
  pool.on('error', (error) =>
    logger.warn({ event: 'idempotency_connection_error', error: error.message }),
  );
  return {
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    end: () => pool.end(),
  };
}
