import { ecommerceModel } from '../testing/ecommerce-model';
import { INJECTION_CORPUS } from './injection-corpus';
import { aliasOf, clickHouseDialect, postgresDialect } from './query-sql';
import { buildSeriesQuery, isSeriesRequest, planSeries, toSeriesRows } from './series-query';

const model = ecommerceModel();
const range = { from: 0, to: 3_600_000 };

describe('planSeries', () => {
  it('tells series bodies from aggregate summaries', () => {
    expect(isSeriesRequest({ event_type: 'purchase' })).toBe(true);
    expect(isSeriesRequest({ aggregation: 'x', bucket: {} })).toBe(true);
    expect(isSeriesRequest({ aggregation: 'x', time_range: range })).toBe(false);
  });

  it('names every bad field', () => {
    const result = planSeries(model, {
      event_type: 'purchase',
      time_range: { from: 10, to: 5 },
      bucket: { width: 'often' },
      value: { fn: 'sum', field: 'currency' },
      group_by: ['coupon_code'],
      filters: [{ field: 'coupon_code', op: 'eq', value: 'x' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.failures.map((f) => f.field).sort()).toEqual([
        'bucket.width',
        'filters.0.field',
        'group_by.0',
        'time_range',
        'value.field',
      ]);
    expect(planSeries(model, { event_type: 'purchase' })).toMatchObject({
      ok: false,
      failures: [{ field: 'time_range', reason: 'required, except for latest' }],
    });
    expect(
      planSeries(model, { event_type: 'purchase', aggregation: 'revenue_per_5_minutes' }),
    ).toMatchObject({ ok: false, failures: [{ field: 'event_type' }] });
    expect(
      planSeries(model, {
        event_type: 'purchase',
        time_range: { from: 0, to: 86_400_000_000 },
        bucket: { width: 1000 },
      }),
    ).toMatchObject({ ok: false, failures: [{ field: 'bucket.width' }] });
    expect(
      planSeries(model, {
        aggregation: 'active_users_sliding',
        time_range: range,
        bucket: { width: '1h' },
      }),
    ).toMatchObject({ ok: false, failures: [{ field: 'bucket' }] });
  });

  it('refuses every hostile body, turned into a series query, before any SQL', () => {
    for (const { body } of INJECTION_CORPUS) {
      const series = { ...(body as Record<string, unknown>), bucket: { width: '1m' } };
      expect(planSeries(model, series).ok).toBe(false);
    }
  });

  it('builds SQL from contract names only, values bound', () => {
    const planned = planSeries(model, {
      event_type: 'purchase',
      time_range: range,
      bucket: { width: '5 minutes', fill: 'zero' },
      value: { fn: 'avg', field: 'revenue' },
      group_by: ['currency'],
      filters: [{ field: 'currency', op: 'in', value: ['USD', 'EUR'] }],
    });
    if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
    const ch = buildSeriesQuery(
      planned.plan,
      clickHouseDialect({ database: 'db', dateTime64: true }),
    );
    expect(ch.sql).toContain('intDiv(toUnixTimestamp64Milli(`timestamp`), 300000) * 300000');
    expect(ch.sql).toContain('FROM `db`.`events_purchase` FINAL');
    expect(ch.params).toMatchObject({ p2: 'USD', p3: 'EUR' });
    const pg = buildSeriesQuery(planned.plan, postgresDialect({ schema: 's' }));
    expect(pg.sql).toContain('avg("revenue")::double precision');
    expect(pg.params).toEqual([new Date(0), new Date(3_600_000), 'USD', 'EUR']);
  });
});

describe('toSeriesRows', () => {
  const plan = (limit: number) => {
    const planned = planSeries(model, {
      event_type: 'page_view',
      time_range: { from: 0, to: 10_000_000 },
      bucket: { width: '1 second', fill: 'zero' },
      group_by: ['user_id'],
      limit,
    });
    if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
    return planned.plan;
  };
  // 300 groups of one bucket each: 10,000 buckets a group once filled, 3,000,000 rows in all.
  const rows = Array.from({ length: 300 }, (_, i) => ({
    [aliasOf('bucket_start')]: 5_000,
    [aliasOf('user_id')]: `u${String(i).padStart(3, '0')}`,
    [aliasOf('value')]: 1,
    [aliasOf('event_count')]: 1,
  }));

  it('fills buckets up to the limit and says the answer was cut', () => {
    const answer = toSeriesRows(plan(10), rows);
    expect(answer.truncated).toBe(true);
    expect(answer.rows).toHaveLength(10);
    expect(answer.rows.map((r) => r['bucket_start'])).toEqual(
      Array.from({ length: 10 }, (_, i) => i * 1_000),
    );
    expect(answer.rows[5]).toMatchObject({ user_id: 'u000', value: 1, event_count: 1 });
    expect(answer.rows[4]).toMatchObject({ user_id: 'u000', value: 0, event_count: 0 });
  });

  it('answers every filled row when they fit the limit', () => {
    const answer = toSeriesRows(plan(10_000), rows.slice(0, 1));
    expect(answer.truncated).toBe(false);
    expect(answer.rows).toHaveLength(10_000);
  });
});
