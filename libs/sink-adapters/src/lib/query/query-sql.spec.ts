import fc from 'fast-check';
import { ecommerceModel } from '../testing/ecommerce-model';
import { INJECTION_CORPUS, LITERAL_KEYS } from './injection-corpus';
import { checkValue, planQuery, type QueryPlan } from './query-request';
import { buildQuery, clickHouseDialect, postgresDialect, toOutputRows } from './query-sql';

const model = ecommerceModel();
const T0 = Date.UTC(2024, 0, 1);

function plan(body: unknown): QueryPlan {
  const result = planQuery(model, body);
  if (!result.ok) throw new Error(JSON.stringify(result.failures));
  return result.plan;
}

describe(planQuery.name, () => {
  it.each(INJECTION_CORPUS.map((c) => [c.name, c.body] as const))('refuses %s', (_name, body) => {
    const result = planQuery(model, body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failures.length).toBeGreaterThan(0);
  });

  it('reports every problem with its field', () => {
    const result = planQuery(model, {
      aggregation: 'page_views_per_minute',
      time_range: { from: T0 + 1, to: T0 },
      filters: [
        { field: 'country', op: 'eq', value: 'US' },
        { field: 'device_type', op: 'in', value: 'mobile' },
        { field: 'device_type', op: 'gt', value: 'a' },
      ],
      group_by: ['device_type', 'device_type'],
      order_by: [{ field: 'revenue' }],
    });
    expect(result).toEqual({
      ok: false,
      failures: [
        { field: 'time_range', reason: '`from` must be before `to`' },
        {
          field: 'filters.0.field',
          reason: 'not a group-by dimension of page_views_per_minute; allowed: device_type',
        },
        { field: 'filters.1.value', reason: 'operator in takes an array of values' },
        {
          field: 'filters.2.op',
          reason: 'operator gt needs a numeric dimension; device_type is string',
        },
        { field: 'group_by.1', reason: 'listed twice' },
        {
          field: 'order_by.0.field',
          reason: 'not an output column; allowed: device_type, value, event_count',
        },
      ],
    });
  });

  it('refuses times and integers the databases cannot take, naming the field', () => {
    const result = planQuery(model, {
      aggregation: 'page_views_per_minute',
      time_range: { from: 0, to: 8.64e15 + 1 },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failures.map((f) => f.field)).toEqual(['time_range.to']);
    expect(
      planQuery(model, {
        aggregation: 'page_views_per_minute',
        time_range: { from: 0, to: 8.64e15 },
      }).ok,
    ).toBe(true);
    expect(checkValue('quantity', 'int', undefined, 2 ** 31)).toBe(
      'expected a 32-bit integer for quantity',
    );
    expect(checkValue('quantity', 'int', undefined, 2 ** 31 - 1)).toBeUndefined();
    expect(checkValue('quantity', 'int', undefined, -(2 ** 31))).toBeUndefined();
    expect(checkValue('n', 'long', undefined, 2 ** 53 - 1)).toBeUndefined();
    expect(checkValue('at', 'timestamp', undefined, 8.64e15 + 1)).toMatch(/epoch milliseconds/);
  });

  it('requires per-window grouping for values that cannot be combined', () => {
    const result = planQuery(model, {
      aggregation: 'active_users_sliding',
      time_range: { from: T0, to: T0 + 1 },
      group_by: [],
    });
    expect(result.ok).toBe(false);
    expect(
      planQuery(model, {
        aggregation: 'active_users_sliding',
        time_range: { from: T0, to: T0 + 1 },
        group_by: ['window_start'],
      }).ok,
    ).toBe(true);
  });
});

describe('free-text filter values', () => {
  const sessions = (value: unknown) => ({
    aggregation: 'cart_sessions',
    time_range: { from: T0, to: T0 + 1 },
    group_by: ['user_id', 'window_start'],
    filters: [{ field: 'user_id', op: 'in', value }],
  });

  it('takes SQL-looking keys as values: bound parameters, never SQL text', () => {
    const planned = plan(sessions([...LITERAL_KEYS]));
    for (const dialect of [
      clickHouseDialect({ database: 'platform', dateTime64: true }),
      postgresDialect({ schema: 'platform' }),
    ]) {
      const built = buildQuery(planned, dialect);
      for (const key of LITERAL_KEYS) expect(built.sql).not.toContain(key);
      expect(Object.values(built.params)).toEqual(expect.arrayContaining([...LITERAL_KEYS]));
    }
  });

  it('refuses control characters and unpaired surrogates, naming the field', () => {
    for (const value of [
      'u1\u0000',
      'line\nbreak',
      'del\u007f',
      'c1\u0085',
      '\ud800x',
      'x\udc00',
    ]) {
      const result = planQuery(model, sessions([value]));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.failures[0]?.field).toBe('filters.0.value.0');
    }
    expect(planQuery(model, sessions(['surrogate pair \ud83d\ude80'])).ok).toBe(true);
  });
});

describe(buildQuery.name, () => {
  const request = {
    aggregation: 'page_views_per_minute',
    time_range: { from: T0, to: '2024-01-02T00:00:00Z' },
    filters: [{ field: 'device_type', op: 'in', value: ['mobile', 'tablet'] }],
    group_by: ['window_start', 'device_type'],
    order_by: [{ field: 'value', direction: 'desc' }],
    limit: 10,
  };

  it('builds parameterized ClickHouse SQL (Int64 epoch-ms columns) with names from the contract only', () => {
    const built = buildQuery(
      plan(request),
      clickHouseDialect({ database: 'platform', dateTime64: false }),
    );
    expect(built.sql).toBe(
      [
        'SELECT `window_start` AS `out_window_start`, `window_end` AS `out_window_end`, `device_type` AS `out_device_type`, sum(`value`) AS `out_value`, sum(`event_count`) AS `out_event_count`',
        'FROM `platform`.`agg_page_views_per_minute` FINAL',
        'WHERE `window_start` >= {p0:Int64} AND `window_start` < {p1:Int64} AND `device_type` IN ({p2:String}, {p3:String})',
        'GROUP BY `window_start`, `window_end`, `device_type`',
        'ORDER BY `out_value` DESC',
        'LIMIT 10',
      ].join('\n'),
    );
    expect(built.params).toEqual({ p0: T0, p1: T0 + 86_400_000, p2: 'mobile', p3: 'tablet' });
  });

  it('converts DateTime64 columns on newer ClickHouse', () => {
    const built = buildQuery(
      plan(request),
      clickHouseDialect({ database: 'platform', dateTime64: true }),
    );
    expect(built.sql).toContain('toUnixTimestamp64Milli(`window_start`) AS `out_window_start`');
    expect(built.sql).toContain("`window_start` >= fromUnixTimestamp64Milli({p0:Int64}, 'UTC')");
  });

  it('builds positional PostgreSQL SQL in the configured schema', () => {
    const built = buildQuery(
      plan({
        aggregation: 'revenue_per_5_minutes',
        time_range: { from: T0, to: T0 + 1 },
        filters: [{ field: 'currency', op: 'eq', value: 'EUR' }],
      }),
      postgresDialect({ schema: 'platform' }),
    );
    expect(built.sql).toBe(
      [
        'SELECT "currency" AS "out_currency", sum("value") AS "out_value", sum("event_count") AS "out_event_count"',
        'FROM "platform"."agg_revenue_per_5_minutes"',
        'WHERE "window_start" >= $1 AND "window_start" < $2 AND "currency" = $3',
        'GROUP BY "currency"',
        'ORDER BY "currency" ASC',
        'LIMIT 1000',
      ].join('\n'),
    );
    expect(built.params).toEqual([new Date(T0), new Date(T0 + 1), 'EUR']);
  });

  it('never puts a filter value into the SQL text, whatever the value', () => {
    const dialect = () => clickHouseDialect({ database: 'platform', dateTime64: false });
    const session = (value: unknown) => ({
      aggregation: 'cart_sessions',
      time_range: { from: T0, to: T0 + 1 },
      filters: [{ field: 'user_id', op: 'in', value: [value, 'u1'] }],
      group_by: ['user_id', 'window_start'],
    });
    const reference = buildQuery(plan(session('u0')), dialect()).sql;
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer()),
        (value) => {
          const result = planQuery(model, session(value));
          if (!result.ok) return; // refused with reasons: nothing is built
          expect(buildQuery(result.plan, dialect()).sql).toBe(reference);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('weights averages by event count', () => {
    const p = plan({ aggregation: 'revenue_per_5_minutes', time_range: { from: T0, to: T0 + 1 } });
    const avg = { ...p, aggregation: { ...p.aggregation, type: 'avg' as const } };
    expect(buildQuery(avg, clickHouseDialect({ database: 'd', dateTime64: false })).sql).toContain(
      'sum(`value` * `event_count`) / sum(`event_count`) AS `out_value`',
    );
  });

  it('renames rows back to the output columns, numbers as numbers', () => {
    const p = plan(request);
    expect(
      toOutputRows(p, [
        {
          out_window_start: '1704067200000',
          out_window_end: 1704067260000,
          out_device_type: 'mobile',
          out_value: '12',
          out_event_count: 12,
        },
      ]),
    ).toEqual([
      {
        window_start: 1704067200000,
        window_end: 1704067260000,
        device_type: 'mobile',
        value: 12,
        event_count: 12,
      },
    ]);
  });
});
