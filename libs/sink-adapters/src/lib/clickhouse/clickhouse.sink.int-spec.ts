import { randomUUID } from 'node:crypto';
import { SinkError } from '../sink.error';
import { AGG_SCHEMA, EVENTS_SCHEMA, localClickHouseSettings } from '../testing/fixtures';
import { createTwice, hostileEventRows } from '../testing/sink-contract';
import { ClickHouseSink } from './clickhouse.sink';

// ClickHouse 18.16 over HTTP from tools/local-stack: no query parameters, no DateTime64,
// no insert_deduplication_token. Each run uses its own database and drops it.
const DATABASE = `sink_it_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const SETTINGS = localClickHouseSettings(DATABASE);
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

describe(`${ClickHouseSink.name} against the local ClickHouse server`, () => {
  const sink = new ClickHouseSink({ settings: SETTINGS });
  const t = (table: string) => `${DATABASE}.${table}`;

  beforeAll(async () => {
    await sink.connect();
  });

  afterAll(async () => {
    await sink.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await sink.close();
  });

  it('reads the server version and detects an old server without the optional features', async () => {
    const health = await sink.healthCheck();
    expect(health.ok).toBe(true);
    expect(health.version).toMatch(/^18\.16\./);
    expect(sink.features).toMatchObject({
      queryParams: false,
      dateTime64: false,
      asyncInsert: false,
      insertDeduplicationToken: false,
    });
  });

  it('collapses a batch written twice to one row per key', async () => {
    await createTwice(sink, 'agg_twice', AGG_SCHEMA);
    const rows = [agg('ios', 1, 1), agg('web', 1, 2), agg('android', 1, 3)];
    await sink.writeRows('agg_twice', rows, AGG_COLUMNS, { batchId: '1' });
    await sink.writeRows('agg_twice', rows, AGG_COLUMNS, { batchId: '1' });
    const [{ n }] = await sink.query(`SELECT count() AS n FROM ${t('agg_twice')} FINAL`);
    expect(n).toBe(3);
  });

  it('stores NaN and the infinities of a double as they are', async () => {
    await createTwice(sink, 'agg_nonfinite', AGG_SCHEMA);
    const rows = [agg('nan', 1, NaN), agg('inf', 1, Infinity), agg('minus', 1, -Infinity)];
    await sink.writeRows('agg_nonfinite', rows, AGG_COLUMNS, { batchId: 'nf' });
    expect(
      await sink.query(
        `SELECT device_type, toString(value) AS value FROM ${t('agg_nonfinite')} FINAL ORDER BY device_type`,
      ),
    ).toEqual([
      { device_type: 'inf', value: 'inf' },
      { device_type: 'minus', value: '-inf' },
      { device_type: 'nan', value: 'nan' },
    ]);
  });

  it('keeps the highest version of a window', async () => {
    await createTwice(sink, 'agg_versions', AGG_SCHEMA);
    await sink.writeRows('agg_versions', [agg('ios', 2, 20)], AGG_COLUMNS, { batchId: '2' });
    await sink.writeRows('agg_versions', [agg('ios', 1, 10)], AGG_COLUMNS, { batchId: '1' });
    const rows = await sink.query(`SELECT value, version FROM ${t('agg_versions')} FINAL`);
    expect(rows).toEqual([{ value: 20, version: 2 }]);
  });

  it('stores timestamps as epoch milliseconds without losing precision', async () => {
    await createTwice(sink, 'events_ms', EVENTS_SCHEMA);
    const ts = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    await sink.writeRows('events_ms', [{ event_id: 'a', ts }], ['event_id', 'ts']);
    const [row] = await sink.query(
      `SELECT ts, toTypeName(ts) AS type FROM ${t('events_ms')} FINAL`,
    );
    expect(row).toEqual({ ts, type: 'Int64' });
  });

  it('writes through writeBatch with a column mapping of nested paths', async () => {
    await createTwice(sink, 'agg_batch', AGG_SCHEMA);
    const written = await sink.writeBatch(
      [{ window: { start: 0, end: 60_000 }, device_type: 'ios', avg: 1.5, count: 3, v: 1 }],
      42,
      'agg_batch',
      {
        'window.start': 'window_start',
        'window.end': 'window_end',
        device_type: 'device_type',
        avg: 'value',
        count: 'event_count',
        v: 'version',
      },
    );
    expect(written).toBe(1);
    expect(await sink.query(`SELECT window_end, event_count FROM ${t('agg_batch')} FINAL`)).toEqual(
      [{ window_end: 60_000, event_count: 3 }],
    );
  });

  it('binds hostile string parameters as escaped literals and finds exactly the right rows', async () => {
    await createTwice(sink, 'events_hostile', EVENTS_SCHEMA);
    const rows = hostileEventRows();
    await sink.writeRows('events_hostile', rows, EVENT_COLUMNS);
    for (const row of rows.filter((r) => r.label !== null)) {
      const found = await sink.query(
        `SELECT event_id, label FROM ${t('events_hostile')} FINAL WHERE label = {label:String}`,
        { label: row.label },
      );
      expect(found).toEqual([{ event_id: row.event_id, label: row.label }]);
    }
    const injected = await sink.query(
      `SELECT count() AS n FROM ${t('events_hostile')} WHERE label = {label:String}`,
      { label: "' OR 1=1 --" },
    );
    expect(injected).toEqual([{ n: 0 }]);
    const [{ n }] = await sink.query(`SELECT count() AS n FROM ${t('events_hostile')} FINAL`);
    expect(n).toBe(rows.length);
  });

  it('reads NULLs back as null', async () => {
    const [row] = await sink.query(
      `SELECT label, n FROM ${t('events_hostile')} FINAL WHERE event_id = {id:String}`,
      { id: 'nulls' },
    );
    expect(row).toEqual({ label: null, n: null });
  });

  it('throws a non-retriable SYNTAX error for bad SQL and UNKNOWN_TABLE for a missing table', async () => {
    await expect(sink.query('SELEC 1')).rejects.toMatchObject({ code: 'SYNTAX', retriable: false });
    await expect(sink.query(`SELECT * FROM ${t('missing')}`)).rejects.toMatchObject({
      code: 'UNKNOWN_TABLE',
      retriable: false,
    });
  });

  it('fails to connect to a closed port with a retriable CONNECTION error', async () => {
    const dead = new ClickHouseSink({ settings: { ...SETTINGS, url: 'http://127.0.0.1:1' } });
    const error = await dead.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: 'CONNECTION', retriable: true });
    await dead.close();
  });
});
