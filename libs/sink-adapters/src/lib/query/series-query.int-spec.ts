import { createChdbConnection } from 'chdb/connection';
import { randomUUID } from 'node:crypto';
import { aggregateTableSchema, eventTableSchema } from '../table-schema';
import { ClickHouseSink, type ClickHouseConnection } from '../clickhouse/clickhouse.sink';
import { MemorySink } from '../memory/memory.sink';
import { PostgresSink } from '../postgres/postgres.sink';
import type { Sink } from '../sink.port';
import { ecommerceModel } from '../testing/ecommerce-model';
import { localClickHouseSettings, localPostgresSettings } from '../testing/fixtures';
import { planSeries } from './series-query';

/**
 * Time-series queries on every sink: ClickHouse 18.16 (times as epoch ms), ClickHouse 26 in
 * process (chDB, DateTime64), PostgreSQL 15 and the in-process evaluation of the memory
 * driver, over the same rows: buckets with each fill,
 * latest N per key, and a bounded time range. Each backend must give the same answer.
 */
function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing from the ecommerce domain');
  return value;
}

const NAME = `series_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const model = ecommerceModel();
const T0 = Date.UTC(2024, 0, 1, 0, 0);
const MIN = 60_000;
const purchaseType = required(model.eventTypes.find((e) => e.name === 'purchase'));
const revenue = required(model.aggregations.find((a) => a.name === 'revenue_per_5_minutes'));

// Purchases in minutes 0, 1 and 4 of [0, 5): minutes 2 and 3 are empty.
const purchases = [
  { minute: 0, user: 'u1', revenue: 10, currency: 'USD' },
  { minute: 0, user: 'u2', revenue: 20, currency: 'EUR' },
  { minute: 1, user: 'u1', revenue: 30, currency: 'USD' },
  { minute: 4, user: 'u1', revenue: 40, currency: 'USD' },
  { minute: 4, user: 'u2', revenue: 50, currency: 'EUR' },
].map((p, i) => ({
  event_id: `e${i}`,
  timestamp: T0 + p.minute * MIN + i,
  user_id: p.user,
  coupon_code: null,
  order_id: `o${i}`,
  revenue: p.revenue,
  currency: p.currency,
  device_type: 'mobile',
}));
// Aggregate windows of 5 minutes: 00:00, 00:05, (00:10 missing), 00:15.
const windows = [0, 5, 15].map((m, i) => ({
  window_start: T0 + m * MIN,
  window_end: T0 + (m + 5) * MIN,
  currency: 'USD',
  value: 100 + i,
  event_count: 1 + i,
  version: 1,
}));

interface Backend {
  readonly label: string;
  readonly sink: Sink;
  drop(): Promise<void>;
}

const ch = new ClickHouseSink({ settings: localClickHouseSettings(NAME) });
const chdb = new ClickHouseSink({
  settings: {
    url: 'http://chdb.invalid',
    database: NAME,
    username: 'default',
    password: '',
    ssl: false,
  },
  connection: createChdbConnection({ path: ':memory:' }) as unknown as ClickHouseConnection,
});
const pg = new PostgresSink({ settings: localPostgresSettings(NAME) });
const backends: Backend[] = [
  {
    label: 'ClickHouse 18.16',
    sink: ch,
    drop: async () => void (await ch.query(`DROP DATABASE IF EXISTS \`${NAME}\``)),
  },
  {
    label: 'ClickHouse 26 (chDB)',
    sink: chdb,
    drop: async () => void (await chdb.query(`DROP DATABASE IF EXISTS ${NAME}`)),
  },
  {
    label: 'PostgreSQL 15',
    sink: pg,
    drop: async () => void (await pg.query(`DROP SCHEMA IF EXISTS "${NAME}" CASCADE`)),
  },
  { label: 'memory', sink: new MemorySink(), drop: async () => undefined },
];

async function run(b: Backend, body: unknown) {
  const planned = planSeries(model, body);
  if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
  return b.sink.querySeries(planned.plan);
}

const range = { from: T0, to: T0 + 5 * MIN };

describe.each(backends)('time-series queries on $label', (b) => {
  beforeAll(async () => {
    await b.sink.connect();
    const events = eventTableSchema(purchaseType, model);
    await b.sink.createTable('events_purchase', events);
    await b.sink.writeRows(
      'events_purchase',
      purchases,
      events.columns.map((c) => c.name),
    );
    const agg = aggregateTableSchema(revenue, model);
    await b.sink.createTable('agg_revenue_per_5_minutes', agg);
    await b.sink.writeRows(
      'agg_revenue_per_5_minutes',
      windows,
      agg.columns.map((c) => c.name),
    );
  }, 60_000);

  afterAll(async () => {
    await b.drop();
    await b.sink.close();
  });

  const bucket = (fill: string) => ({
    event_type: 'purchase',
    time_range: range,
    bucket: { width: '1 minute', fill },
    value: { fn: 'sum', field: 'revenue' },
  });
  const at = (m: number) => T0 + m * MIN;

  it('buckets events by minute, leaving empty buckets out (fill none)', async () => {
    expect((await run(b, bucket('none'))).rows).toEqual([
      { bucket_start: at(0), value: 30, event_count: 2 },
      { bucket_start: at(1), value: 30, event_count: 1 },
      { bucket_start: at(4), value: 90, event_count: 2 },
    ]);
  });

  it('fills empty buckets with zero', async () => {
    expect((await run(b, bucket('zero'))).rows.map((r) => [r['bucket_start'], r['value']])).toEqual(
      [
        [at(0), 30],
        [at(1), 30],
        [at(2), 0],
        [at(3), 0],
        [at(4), 90],
      ],
    );
  });

  it('fills empty buckets with the previous value, per group', async () => {
    const result = await run(b, { ...bucket('previous'), group_by: ['currency'] });
    expect(
      result.rows.map((r) => [r['currency'], r['bucket_start'], r['value'], r['event_count']]),
    ).toEqual([
      ['EUR', at(0), 20, 1],
      ['EUR', at(1), 20, 0],
      ['EUR', at(2), 20, 0],
      ['EUR', at(3), 20, 0],
      ['EUR', at(4), 50, 1],
      ['USD', at(0), 10, 1],
      ['USD', at(1), 30, 1],
      ['USD', at(2), 30, 0],
      ['USD', at(3), 30, 0],
      ['USD', at(4), 40, 1],
    ]);
  });

  it('buckets aggregate windows into wider ones, with the fill', async () => {
    const result = await run(b, {
      aggregation: 'revenue_per_5_minutes',
      time_range: { from: T0, to: T0 + 20 * MIN },
      bucket: { width: '10 minutes', fill: 'zero' },
    });
    expect(result.rows).toEqual([
      { bucket_start: at(0), value: 201, event_count: 3 },
      { bucket_start: at(10), value: 102, event_count: 3 },
    ]);
    const fine = await run(b, {
      aggregation: 'revenue_per_5_minutes',
      time_range: { from: T0, to: T0 + 20 * MIN },
      bucket: { width: '5 minutes', fill: 'previous' },
    });
    expect(fine.rows.map((r) => [r['bucket_start'], r['value']])).toEqual([
      [at(0), 100],
      [at(5), 101],
      [at(10), 101],
      [at(15), 102],
    ]);
  });

  it('gives the latest N events per key', async () => {
    const result = await run(b, { event_type: 'purchase', latest: { n: 2, per: ['user_id'] } });
    expect(result.rows.map((r) => [r['user_id'], r['event_id'], r['timestamp']])).toEqual([
      ['u1', 'e3', at(4) + 3],
      ['u1', 'e2', at(1) + 2],
      ['u2', 'e4', at(4) + 4],
      ['u2', 'e1', at(0) + 1],
    ]);
    const latestWindow = await run(b, { aggregation: 'revenue_per_5_minutes', latest: { n: 1 } });
    expect(latestWindow.rows).toEqual([
      {
        window_start: at(15),
        window_end: at(20),
        currency: 'USD',
        value: 102,
        event_count: 3,
      },
    ]);
  });

  it('gives the rows of a time range in time order, at most limit, and says when it cut', async () => {
    const all = await run(b, { event_type: 'purchase', time_range: range });
    expect(all.truncated).toBe(false);
    expect(all.rows.map((r) => r['event_id'])).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(all.rows[0]).toEqual(purchases[0]);
    const cut = await run(b, {
      event_type: 'purchase',
      time_range: range,
      filters: [{ field: 'currency', op: 'eq', value: 'USD' }],
      limit: 2,
    });
    expect(cut).toEqual({
      rows: [purchases[0], purchases[2]],
      truncated: true,
    });
  });
});
