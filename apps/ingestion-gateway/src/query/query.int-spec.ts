import type { PlatformConfig } from '@platform/config';
import { aggregateTable, findAggregation } from '@platform/contracts';
import {
  aggregateTableSchema,
  ClickHouseSink,
  INJECTION_CORPUS,
  LITERAL_KEYS,
  PostgresSink,
} from '@platform/sink-adapters';
import { QueryService } from './query.service';
import { startSchemaRegistry, uniqueName, type RegistryProcess } from '@platform/testing';
import {
  configOf,
  createWriteKey,
  http,
  startGateway,
  testEnv,
  type RunningGateway,
  type TestEnv,
  removeTestEnv,
} from '../testing/gateway-harness';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const MINUTE = 60_000;
// The tables the sink writer fills: names from the contract, layout from the sink adapters.
const VIEWS = aggregateTable('page_views_per_minute');
const REVENUE = aggregateTable('revenue_per_5_minutes');
const SESSIONS = aggregateTable('cart_sessions');
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;

/** How the direct SQL that the answers are compared with is written on each backend. */
interface Backend {
  readonly name: 'clickhouse' | 'postgres';
  readonly env: (namespace: string) => Record<string, string>;
  /** The aggregate table as the sink writer lays it out, read at its latest versions. */
  readonly from: (namespace: string, table: string) => string;
  /** A time column as epoch ms. */
  readonly epoch: (column: string) => string;
  /** An epoch-ms literal compared with a time column. */
  readonly at: (ms: number) => string;
  readonly drop: (namespace: string) => string;
}

const BACKENDS: readonly Backend[] = [
  {
    name: 'clickhouse',
    env: (ns) => ({ GATEWAY_QUERY_BACKEND: 'clickhouse', PLATFORM__clickhouse__database: ns }),
    from: (ns, table) => `\`${ns}\`.${table} FINAL`,
    epoch: (column) => column,
    at: (ms) => String(ms),
    drop: (ns) => `DROP DATABASE IF EXISTS \`${ns}\``,
  },
  {
    name: 'postgres',
    env: (ns) => ({ GATEWAY_QUERY_BACKEND: 'postgres', PLATFORM__postgres__schema: ns }),
    from: (ns, table) => `"${ns}".${table}`,
    epoch: (column) => `(extract(epoch from ${column}) * 1000)::bigint`,
    at: (ms) => `to_timestamp(${ms / 1000})`,
    drop: (ns) => `DROP SCHEMA IF EXISTS "${ns}" CASCADE`,
  },
];

describe.each(BACKENDS)('ingestion gateway: POST /v1/query against $name', (backend) => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  // The SQL drivers themselves: the direct queries compared with are SQL.
  let sink: ClickHouseSink | PostgresSink;
  let key: string;
  const namespace = uniqueName('gwq');
  const from = (table: string): string => backend.from(namespace, table);

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, backend.env(namespace));
    config = await configOf(t);
    sink =
      backend.name === 'clickhouse'
        ? new ClickHouseSink({ settings: config.clickhouse })
        : new PostgresSink({ settings: config.postgres });
    await sink.connect();
    const views = findAggregation(config.model, 'page_views_per_minute');
    const revenue = findAggregation(config.model, 'revenue_per_5_minutes');
    const sessions = findAggregation(config.model, 'cart_sessions');
    if (views === undefined || revenue === undefined || sessions === undefined)
      throw new Error('aggregations missing');
    await sink.createTable(VIEWS, aggregateTableSchema(views, config.model));
    await sink.createTable(REVENUE, aggregateTableSchema(revenue, config.model));
    await sink.createTable(SESSIONS, aggregateTableSchema(sessions, config.model));
    // One session per key: keys that look like SQL, and a plain one they must not reach.
    await sink.writeRows(
      SESSIONS,
      ['u1', ...LITERAL_KEYS].map((user_id, i) => ({
        window_start: T0 + i * MINUTE,
        window_end: T0 + (i + 1) * MINUTE,
        user_id,
        value: i + 1,
        event_count: 1,
        version: 1,
      })),
      ['window_start', 'window_end', 'user_id', 'value', 'event_count', 'version'],
    );
    const viewRows = [];
    for (let m = 0; m < 30; m++) {
      for (const [d, device] of DEVICES.entries()) {
        const count = ((m * 7 + d * 13) % 17) + 1;
        viewRows.push({
          window_start: T0 + m * MINUTE,
          window_end: T0 + (m + 1) * MINUTE,
          device_type: device,
          value: count,
          event_count: count,
          version: 1,
        });
      }
    }
    // A re-emitted window (late event): the higher version must win in both query paths.
    viewRows.push({
      window_start: T0,
      window_end: T0 + MINUTE,
      device_type: 'mobile',
      value: 500,
      event_count: 500,
      version: 2,
    });
    await sink.writeRows(VIEWS, viewRows, [
      'window_start',
      'window_end',
      'device_type',
      'value',
      'event_count',
      'version',
    ]);
    const revenueRows = [];
    for (let w = 0; w < 12; w++) {
      for (const [c, currency] of CURRENCIES.entries()) {
        revenueRows.push({
          window_start: T0 + w * 5 * MINUTE,
          window_end: T0 + (w + 1) * 5 * MINUTE,
          currency,
          value: 100.25 * (w + 1) + c,
          event_count: w + c + 1,
          version: 1,
        });
      }
    }
    await sink.writeRows(REVENUE, revenueRows, [
      'window_start',
      'window_end',
      'currency',
      'value',
      'event_count',
      'version',
    ]);
    gateway = await startGateway(t);
    key = (await createWriteKey(t, config, 'analytics')).key;
  });

  afterAll(async () => {
    await gateway?.close();
    await registry?.stop();
    if (sink !== undefined) {
      await sink.query(backend.drop(namespace)).catch(() => undefined);
      await sink.close();
    }
    await removeTestEnv(t);
  });

  const query = (body: unknown) => http(`${gateway.url}/v1/query`, { key, body });

  it('returns per-device totals equal to a direct SQL query, reading the latest versions', async () => {
    const res = await query({
      aggregation: 'page_views_per_minute',
      time_range: { from: T0, to: new Date(T0 + 10 * MINUTE).toISOString() },
      group_by: ['device_type'],
      order_by: [{ field: 'device_type' }],
    });
    expect(res.status).toBe(200);
    const direct = await sink.query(
      `SELECT device_type, sum(value) AS v, sum(event_count) AS c FROM ${from(VIEWS)}
       WHERE window_start >= ${backend.at(T0)} AND window_start < ${backend.at(T0 + 10 * MINUTE)}
       GROUP BY device_type ORDER BY device_type`,
    );
    expect(res.body.columns).toEqual([
      { name: 'device_type', type: 'string' },
      { name: 'value', type: 'long' },
      { name: 'event_count', type: 'long' },
    ]);
    expect(res.body.rows).toEqual(
      direct.map((r) => ({
        device_type: r['device_type'],
        value: Number(r['v']),
        event_count: Number(r['c']),
      })),
    );
    expect(
      res.body.rows.find((r: { device_type: string }) => r.device_type === 'mobile').value,
    ).toBeGreaterThan(500);
  });

  it('filters, groups by window, orders and limits like the equivalent SQL', async () => {
    const res = await query({
      aggregation: 'page_views_per_minute',
      time_range: { from: T0, to: T0 + 30 * MINUTE },
      filters: [{ field: 'device_type', op: 'in', value: ['mobile', 'tablet'] }],
      group_by: ['window_start'],
      order_by: [
        { field: 'value', direction: 'desc' },
        { field: 'window_start', direction: 'asc' },
      ],
      limit: 5,
    });
    expect(res.status).toBe(200);
    const direct = await sink.query(
      `SELECT ${backend.epoch('window_start')} AS ws, ${backend.epoch('window_end')} AS we,
              sum(value) AS v, sum(event_count) AS c FROM ${from(VIEWS)}
       WHERE window_start >= ${backend.at(T0)} AND window_start < ${backend.at(T0 + 30 * MINUTE)}
         AND device_type IN ('mobile', 'tablet')
       GROUP BY window_start, window_end ORDER BY v DESC, ws ASC LIMIT 5`,
    );
    expect(res.body.rows).toEqual(
      direct.map((r) => ({
        window_start: Number(r['ws']),
        window_end: Number(r['we']),
        value: Number(r['v']),
        event_count: Number(r['c']),
      })),
    );
    expect(res.body.rows).toHaveLength(5);
  });

  it('sums revenue for one currency like the direct query', async () => {
    const res = await query({
      aggregation: 'revenue_per_5_minutes',
      time_range: { from: T0, to: T0 + 60 * MINUTE },
      filters: [{ field: 'currency', op: 'eq', value: 'EUR' }],
    });
    const direct = await sink.query(
      `SELECT currency, sum(value) AS v, sum(event_count) AS c FROM ${from(REVENUE)}
       WHERE window_start >= ${backend.at(T0)} AND window_start < ${backend.at(T0 + 60 * MINUTE)}
         AND currency = 'EUR' GROUP BY currency`,
    );
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(1);
    expect(res.body.rows[0].value).toBeCloseTo(Number(direct[0]?.['v']), 6);
    expect(res.body.rows[0].event_count).toBe(Number(direct[0]?.['c']));
  });

  it('answers 404 TABLE_NOT_FOUND, not an empty result, for an aggregation with no table yet', async () => {
    const res = await query({
      aggregation: 'active_users_sliding',
      time_range: { from: T0, to: T0 + 60 * MINUTE },
      group_by: ['window_start'],
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('TABLE_NOT_FOUND');
    expect(res.body.error.message).toContain(aggregateTable('active_users_sliding'));
    expect(res.body.error.message).toContain(backend.name);
  });

  it('answers time series through the same endpoint: buckets equal the windows they cover, latest N, and a 400 per field', async () => {
    const range = { from: T0, to: T0 + 30 * MINUTE };
    const windows = await query({
      aggregation: 'page_views_per_minute',
      time_range: range,
      group_by: ['device_type', 'window_start'],
      order_by: [
        { field: 'device_type', direction: 'asc' },
        { field: 'window_start', direction: 'asc' },
      ],
      limit: 1000,
    });
    const buckets = await query({
      aggregation: 'page_views_per_minute',
      time_range: range,
      bucket: { width: '1 minute', fill: 'zero' },
      group_by: ['device_type'],
    });
    expect(buckets.status).toBe(200);
    expect(buckets.body).toMatchObject({ aggregation: 'page_views_per_minute', truncated: false });
    expect(
      buckets.body.rows.map((r: any) => [r.device_type, r.bucket_start, r.value, r.event_count]),
    ).toEqual(
      windows.body.rows.map((r: any) => [r.device_type, r.window_start, r.value, r.event_count]),
    );
    const latest = await query({
      aggregation: 'revenue_per_5_minutes',
      latest: { n: 1, per: ['currency'] },
    });
    expect(latest.status).toBe(200);
    expect(latest.body.rows.map((r: any) => [r.currency, r.window_start])).toEqual([
      ['EUR', T0 + 55 * MINUTE],
      ['GBP', T0 + 55 * MINUTE],
      ['USD', T0 + 55 * MINUTE],
    ]);
    const bad = await query({
      event_type: 'purchase',
      time_range: range,
      bucket: { width: '1 minute', fill: 'sideways' },
      value: { fn: 'sum', field: 'currency' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.failures.map((f: any) => f.field)).toEqual(['bucket.fill']);
    const noTable = await query({ event_type: 'purchase', time_range: range });
    expect(noTable.status).toBe(404);
    expect(noTable.body.error.message).toContain('events_purchase');
  });

  it('refuses text/plain with 415: it is read as JSON only on the events routes', async () => {
    const res = await http(`${gateway.url}/v1/query`, {
      key,
      raw: JSON.stringify({
        aggregation: 'page_views_per_minute',
        time_range: { from: T0, to: T0 + MINUTE },
      }),
      contentType: 'text/plain',
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects unknown columns and bad values with 400 and per-field reasons', async () => {
    const res = await query({
      aggregation: 'page_views_per_minute',
      time_range: { from: T0 + MINUTE, to: T0 },
      filters: [{ field: 'country', op: 'eq', value: 'US' }],
      group_by: ['referrer'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.failures.map((f: { field: string }) => f.field)).toEqual([
      'time_range',
      'filters.0.field',
      'group_by.0',
    ]);
  });

  it('refuses SQL in any field with 400, and never queries the database', async () => {
    const service = gateway.app.get(QueryService);
    const spies = [
      jest.spyOn(service.sink, 'queryAggregates'),
      jest.spyOn(service.sink, 'querySeries'),
    ];
    try {
      for (const c of INJECTION_CORPUS) {
        const res = await query(c.body);
        expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: 400 });
        expect(res.body.error.failures.length).toBeGreaterThan(0);
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // The tables are intact.
    const count = await sink.query(`SELECT count(*) AS n FROM ${from(VIEWS)}`);
    expect(Number(count[0]?.['n'])).toBeGreaterThan(0);
  });

  it('matches a free-text key that looks like SQL as text, and nothing else', async () => {
    const range = { from: T0, to: T0 + 60 * MINUTE };
    for (const [i, key] of LITERAL_KEYS.entries()) {
      const res = await query({
        aggregation: 'cart_sessions',
        time_range: range,
        group_by: ['user_id', 'window_start'],
        filters: [{ field: 'user_id', op: 'eq', value: key }],
      });
      expect({ key, status: res.status }).toEqual({ key, status: 200 });
      expect(res.body.rows.map((r: any) => [r.user_id, r.value])).toEqual([[key, i + 2]]);
    }
    const listed = await query({
      aggregation: 'cart_sessions',
      time_range: range,
      group_by: ['user_id', 'window_start'],
      filters: [{ field: 'user_id', op: 'not_in', value: [...LITERAL_KEYS] }],
    });
    expect(listed.body.rows.map((r: any) => r.user_id)).toEqual(['u1']);
  });

  it('answers 401 without a key and 403 when the key may not read the event type', async () => {
    const body = {
      aggregation: 'page_views_per_minute',
      time_range: { from: T0, to: T0 + MINUTE },
    };
    expect((await http(`${gateway.url}/v1/query`, { body })).status).toBe(401);
    const other = await createWriteKey(t, config, 'shop', ['purchase']);
    expect((await http(`${gateway.url}/v1/query`, { key: other.key, body })).status).toBe(403);
  });
});
