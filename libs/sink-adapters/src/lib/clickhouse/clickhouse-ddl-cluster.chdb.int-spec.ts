import { createChdbConnection } from 'chdb/connection';
import { AGG_SCHEMA, EVENTS_SCHEMA } from '../testing/fixtures';
import { createDatabaseSql, createTableSql } from './clickhouse-ddl';
import { escapeString } from './clickhouse-literal';
import { ClickHouseConnection, ClickHouseSink } from './clickhouse.sink';
import { clickHouseFeatures } from './clickhouse-features';

/**
 * The ON CLUSTER DDL through a real ClickHouse parser (chDB, in-process). chDB has no
 * cluster and no Keeper, so the statements are parsed and formatted (`formatQuerySingleLine`),
 * not run.
 */
describe('replicated DDL parsed by ClickHouse (chDB)', () => {
  const sink = new ClickHouseSink({
    settings: {
      url: 'http://chdb.invalid',
      database: 'default',
      username: 'default',
      password: '',
      ssl: false,
    },
    connection: createChdbConnection({ path: ':memory:' }) as unknown as ClickHouseConnection,
  });
  const features = clickHouseFeatures('26.7.2.1');

  beforeAll(async () => {
    await sink.connect();
  });
  afterAll(async () => {
    await sink.close();
  });

  const formatted = async (sql: string): Promise<string> => {
    const [row] = await sink.query(`SELECT formatQuerySingleLine('${escapeString(sql)}') AS q`);
    return String(row?.['q'] ?? '');
  };

  it.each([
    ['agg', AGG_SCHEMA],
    ['events', EVENTS_SCHEMA],
  ] as const)(
    'parses the %s table: ON CLUSTER, ReplicatedReplacingMergeTree, macros',
    async (table, schema) => {
      const q = await formatted(createTableSql('platform', table, schema, features, 'replicated'));
      expect(q).toContain(`CREATE TABLE IF NOT EXISTS platform.${table} ON CLUSTER replicated`);
      expect(q).toContain(
        `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/platform/${table}', '{replica}'`,
      );
    },
  );

  it('parses the database statement', async () => {
    expect(await formatted(createDatabaseSql('platform', 'replicated'))).toBe(
      'CREATE DATABASE IF NOT EXISTS platform ON CLUSTER replicated',
    );
  });

  it('refuses a statement ClickHouse cannot parse (the check can fail)', async () => {
    await expect(formatted('CREATE TABLE ON CLUSTER x (')).rejects.toThrow(/Syntax error/i);
  });
});
