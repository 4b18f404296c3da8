import { ecommerceModel } from '../testing/ecommerce-model';
import { INJECTION_CORPUS } from './injection-corpus';
import { clickHouseDialect, postgresDialect } from './query-sql';
import { buildSeriesQuery, isSeriesRequest, planSeries } from './series-query';

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
