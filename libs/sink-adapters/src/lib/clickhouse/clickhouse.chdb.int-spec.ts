import { createChdbConnection } from 'chdb/connection';
import { randomUUID } from 'node:crypto';
import { AGG_SCHEMA, EVENTS_SCHEMA } from '../testing/fixtures';
import { createTwice, hostileEventRows } from '../testing/sink-contract';
import { ClickHouseConnection, ClickHouseSink } from './clickhouse.sink';

// The same adapter against ClickHouse 26.7 in-process (chDB): DateTime64(3), server-side
// query parameters and insert_deduplication_token, which the 18.16 server cannot exercise.
const DATABASE = `sink_chdb_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const AGG_COLUMNS = AGG_SCHEMA.columns.map((c) => c.name);
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);

const agg = (device: string, version: number, value: number) => ({
  window_start: Date.UTC(2024, 0, 1, 0, 1),
  window_end: Date.UTC(2024, 0, 1, 0, 2),
  device_type: device,
  value,
  event_count: version * 10,
  version,
});

describe(`${ClickHouseSink.name} against chDB (ClickHouse 26.7 in-process)`, () => {
  const sink = new ClickHouseSink({
    settings: {
      url: 'http://chdb.invalid',
      database: DATABASE,
      username: 'default',
      password: '',
      ssl: false,
    },
    // chdb types its Connection against @clickhouse/client-common, @clickhouse/client 1.23
    // bundles its own copy of those types; the runtime contract is the same.
    connection: createChdbConnection({ path: ':memory:' }) as unknown as ClickHouseConnection,
  });
  const t = (table: string) => `${DATABASE}.${table}`;

  beforeAll(async () => {
    await sink.connect();
  });

  afterAll(async () => {
    await sink.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await sink.close();
  });

  it('detects a current server with every optional feature', async () => {
    expect((await sink.healthCheck()).version).toMatch(/^26\./);
    expect(sink.features).toMatchObject({
      queryParams: true,
      dateTime64: true,
      asyncInsert: true,
      insertDeduplicationToken: true,
    });
  });

  it("stores timestamps as DateTime64(3, 'UTC') with millisecond precision", async () => {
    await createTwice(sink, 'events_ms', EVENTS_SCHEMA);
    const ts = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    await sink.writeRows('events_ms', [{ event_id: 'a', ts }], ['event_id', 'ts']);
    const [row] = await sink.query(
      `SELECT toUnixTimestamp64Milli(ts) AS ms, toTypeName(ts) AS type FROM ${t('events_ms')} FINAL`,
    );
    expect(row).toEqual({ ms: ts, type: "DateTime64(3, 'UTC')" });
  });

  it('drops a retried insert of the same batch at insert time (insert_deduplication_token)', async () => {
    await createTwice(sink, 'agg_dedup', AGG_SCHEMA);
    const rows = [agg('ios', 1, 1), agg('web', 1, 2)];
    await sink.writeRows('agg_dedup', rows, AGG_COLUMNS, { batchId: '7' });
    await sink.writeRows('agg_dedup', rows, AGG_COLUMNS, { batchId: '7' });
    // Without FINAL: the second insert never created a part.
    expect(await sink.query(`SELECT count() AS n FROM ${t('agg_dedup')}`)).toEqual([{ n: 2 }]);
    // Another batch id is another insert; the key still collapses it under FINAL.
    await sink.writeRows('agg_dedup', rows, AGG_COLUMNS, { batchId: '8' });
    expect(await sink.query(`SELECT count() AS n FROM ${t('agg_dedup')}`)).toEqual([{ n: 4 }]);
    expect(await sink.query(`SELECT count() AS n FROM ${t('agg_dedup')} FINAL`)).toEqual([
      { n: 2 },
    ]);
  });

  it('keeps the highest version of a window', async () => {
    await createTwice(sink, 'agg_versions', AGG_SCHEMA);
    await sink.writeRows('agg_versions', [agg('ios', 2, 20)], AGG_COLUMNS, { batchId: 'a' });
    await sink.writeRows('agg_versions', [agg('ios', 1, 10)], AGG_COLUMNS, { batchId: 'b' });
    expect(await sink.query(`SELECT value, version FROM ${t('agg_versions')} FINAL`)).toEqual([
      { value: 20, version: 2 },
    ]);
  });

  it('binds hostile strings and times as server-side query parameters', async () => {
    await createTwice(sink, 'events_hostile', EVENTS_SCHEMA);
    const rows = hostileEventRows();
    await sink.writeRows('events_hostile', rows, EVENT_COLUMNS, { batchId: 'h' });
    for (const row of rows.filter((r) => r.label !== null)) {
      const found = await sink.query(
        `SELECT event_id FROM ${t('events_hostile')} FINAL WHERE label = {label:String} AND ts = fromUnixTimestamp64Milli({ms:Int64}, 'UTC')`,
        { label: row.label, ms: row.ts },
      );
      expect(found).toEqual([{ event_id: row.event_id }]);
    }
    expect(
      await sink.query(`SELECT count() AS n FROM ${t('events_hostile')} WHERE label = {l:String}`, {
        l: "' OR 1=1 --",
      }),
    ).toEqual([{ n: 0 }]);
  });
});
