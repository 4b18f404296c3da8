import { createChdbConnection } from 'chdb/connection';
import { randomUUID } from 'node:crypto';
import { ClickHouseSink, type ClickHouseConnection } from './clickhouse/clickhouse.sink';
import { DAY_MS, partitionName } from './postgres/postgres-partitions';
import { PostgresSink } from './postgres/postgres.sink';
import { eventTableSchema } from './table-schema';
import { ecommerceModel } from './testing/ecommerce-model';
import { localClickHouseSettings, localPostgresSettings } from './testing/fixtures';

/**
 * Time-series storage on the real servers: PostgreSQL event tables partitioned by day (this
 * server has no TimescaleDB: detected, and the plain path taken), partitions made for the
 * horizon and on demand, idempotent by event_id, an expired partition dropped by the
 * retention job; ClickHouse retention as TTL (chDB) or as a delete (18.16, no TTL).
 */
const NAME = `ts_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const model = ecommerceModel();
const pageView = model.eventTypes.find((e) => e.name === 'page_view');
if (pageView === undefined) throw new Error('page_view missing');
const RETENTION = 30 * DAY_MS;
const schema = eventTableSchema({ ...pageView, retentionMs: RETENTION }, model);
const columns = schema.columns.map((c) => c.name);
const TABLE = 'events_page_view';
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

const view = (id: string, at: number) => ({
  event_id: id,
  timestamp: at,
  user_id: 'u1',
  page_url: '/p',
  page_title: null,
  referrer: null,
  device_type: 'mobile',
  country: 'US',
});

describe('time-series tables', () => {
  const conflicts: number[] = [];
  const pg = new PostgresSink({
    settings: localPostgresSettings(NAME),
    partitionsAheadDays: 3,
    metrics: {
      recordWrite: () => undefined,
      recordConflict: (_s, _t, rows) => conflicts.push(rows),
    },
  });
  const count = async () =>
    Number((await pg.query(`SELECT count(*) AS n FROM "${NAME}".${TABLE}`))[0]?.['n']);

  beforeAll(async () => {
    await pg.connect();
  });

  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${NAME}" CASCADE`);
    await pg.close();
  });

  it('detects whether TimescaleDB is available, and takes the plain path without it', async () => {
    const available = await pg.query(
      "SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'timescaledb'",
    );
    expect(pg.features.timescaledb).toBe(Number(available[0]?.['n']) > 0);
    expect(pg.features.timescaledb).toBe(false); // not packaged for Debian here
    await pg.createTable(TABLE, schema);
    const kind = await pg.query(
      `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2`,
      [NAME, TABLE],
    );
    expect(kind).toEqual([{ relkind: 'p' }]);
  });

  it('has the partitions of today and the configured horizon ahead', async () => {
    expect(await pg.partitionDays(TABLE)).toEqual([0, 1, 2, 3].map((d) => today + d * DAY_MS));
  });

  it('writes into partitions (made on demand for a past day), once per event_id on a replay', async () => {
    const old = today - 10 * DAY_MS;
    const rows = [view('a', old + 5), view('b', today + 1_000), view('c', today + DAY_MS + 7)];
    await pg.writeRows(TABLE, rows, columns);
    expect(await pg.partitionDays(TABLE)).toContain(old);
    // A replay of the same events (and one new) takes the conflict path: still one row each.
    await pg.writeRows(TABLE, [...rows, view('d', today + 2)], columns);
    expect(conflicts).toEqual([4]);
    expect(await count()).toBe(4);
    const ids = await pg.query(
      `SELECT event_id, tableoid::regclass::text AS part FROM "${NAME}".${TABLE} ORDER BY event_id`,
    );
    expect(ids.map((r) => r['event_id'])).toEqual(['a', 'b', 'c', 'd']);
    expect(ids[0]?.['part']).toBe(`${NAME}.${partitionName(TABLE, old)}`);
  });

  it('drops a partition that expired, with its rows, in the retention job', async () => {
    const expired = today - 45 * DAY_MS;
    await pg.writeRows(TABLE, [view('old', expired + 60_000)], columns);
    expect(await pg.partitionDays(TABLE)).toContain(expired);
    const result = await pg.maintainPartitions(TABLE);
    expect(result.dropped).toEqual([expired]);
    expect(await pg.partitionDays(TABLE)).not.toContain(expired);
    expect(await count()).toBe(4);
    // Later: the job run 25 days from now drops the day 10 days back, and makes new days ahead.
    const later = await pg.maintainPartitions(TABLE, Date.now() + 25 * DAY_MS);
    expect(later.dropped).toEqual([today - 10 * DAY_MS]);
    expect(later.created).toContain(today + 28 * DAY_MS);
    expect(await count()).toBe(3);
  });

  it('ClickHouse with TTL (chDB, ClickHouse 26) keeps the retention as the table TTL', async () => {
    const chdb = new ClickHouseSink({
      settings: { ...localClickHouseSettings(NAME), url: 'http://chdb.invalid' },
      connection: createChdbConnection({ path: ':memory:' }) as unknown as ClickHouseConnection,
    });
    await chdb.connect();
    try {
      await chdb.createTable(TABLE, schema);
      const ddl = await chdb.query(`SHOW CREATE TABLE ${NAME}.${TABLE}`);
      expect(String(Object.values(ddl[0] ?? {})[0])).toContain(
        `TTL toDateTime(timestamp) + toIntervalSecond(${RETENTION / 1000})`,
      );
    } finally {
      await chdb.query(`DROP DATABASE IF EXISTS ${NAME}`);
      await chdb.close();
    }
  });

  it('ClickHouse 18.16 (no TTL) deletes expired rows when the table is declared', async () => {
    const ch = new ClickHouseSink({
      settings: localClickHouseSettings(NAME),
    });
    await ch.connect();
    try {
      expect(ch.features.ttl).toBe(false);
      await ch.createTable(TABLE, schema);
      await ch.writeRows(
        TABLE,
        [view('fresh', Date.now()), view('expired', Date.now() - 40 * DAY_MS)],
        columns,
      );
      await ch.createTable(TABLE, schema); // a writer starting again runs the retention
      const deadline = Date.now() + 20_000;
      let ids: unknown[] = [];
      while (Date.now() < deadline) {
        ids = (await ch.query(`SELECT event_id FROM \`${NAME}\`.${TABLE} FINAL`)).map(
          (r) => r['event_id'],
        );
        if (ids.length === 1) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(ids).toEqual(['fresh']);
    } finally {
      await ch.query(`DROP DATABASE IF EXISTS \`${NAME}\``);
      await ch.close();
    }
  });
});
