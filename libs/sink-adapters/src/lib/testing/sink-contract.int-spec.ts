import { createChdbConnection } from 'chdb/connection';
import { randomUUID } from 'node:crypto';
import { ClickHouseSink, type ClickHouseConnection } from '../clickhouse/clickhouse.sink';
import { PostgresSink } from '../postgres/postgres.sink';
import { localClickHouseSettings, localPostgresSettings } from './fixtures';
import { describeSinkContract } from './sink-contract';

// The database drivers against the local stack (ClickHouse 18.16, PostgreSQL 15) and chDB.
const name = (): string => `contract_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

const chName = name();
describeSinkContract('ClickHouse 18.16', {
  make: () => new ClickHouseSink({ settings: localClickHouseSettings(chName) }),
  cleanup: async () => {
    const admin = new ClickHouseSink({ settings: localClickHouseSettings(chName) });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS \`${chName}\``);
    await admin.close();
  },
});

const chdbName = name();
describeSinkContract('ClickHouse (chDB)', {
  make: () =>
    new ClickHouseSink({
      settings: { ...localClickHouseSettings(chdbName), url: 'http://chdb.invalid' },
      connection: createChdbConnection({ path: ':memory:' }) as unknown as ClickHouseConnection,
    }),
});

const pgName = name();
describeSinkContract('PostgreSQL 15', {
  make: () => new PostgresSink({ settings: localPostgresSettings(pgName) }),
  cleanup: async () => {
    const admin = new PostgresSink({ settings: localPostgresSettings(pgName) });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${pgName}" CASCADE`);
    await admin.close();
  },
});
