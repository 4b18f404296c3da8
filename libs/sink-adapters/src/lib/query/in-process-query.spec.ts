import { MODEL } from '../testing/fixtures';
import { evaluateAggregates } from './in-process-query';
import { planQuery } from './query-request';

const MIN = 60_000;
const row = (minute: number, page: string, value: number | null, events: number) => ({
  window_start: minute * MIN,
  window_end: (minute + 1) * MIN,
  page,
  value,
  event_count: events,
  version: 1,
});
const rows = [
  row(0, '/a', 100, 1),
  row(1, '/a', 400, 3),
  row(0, '/b', 50, 2),
  row(1, '/b', null, 0),
  row(9, '/c', 10, 1), // outside the range
];

function plan(body: Record<string, unknown>) {
  const planned = planQuery(MODEL, {
    aggregation: 'avg_load_per_page',
    time_range: { from: 0, to: 5 * MIN },
    ...body,
  });
  if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
  return planned.plan;
}

describe(evaluateAggregates.name, () => {
  it('combines averages weighted by events, per group, in the range', () => {
    expect(evaluateAggregates(plan({ group_by: ['page'] }), rows)).toEqual([
      { page: '/a', value: 325, event_count: 4 },
      { page: '/b', value: 50, event_count: 2 },
    ]);
  });

  it('filters, orders and limits as the SQL does', () => {
    const out = evaluateAggregates(
      plan({
        group_by: ['window_start', 'page'],
        filters: [{ field: 'page', op: 'neq', value: '/b' }],
        order_by: [{ field: 'value', direction: 'desc' }],
        limit: 1,
      }),
      rows,
    );
    expect(out).toEqual([
      { window_start: MIN, window_end: 2 * MIN, page: '/a', value: 400, event_count: 3 },
    ]);
  });

  it('answers one row without a group, even when nothing matched', () => {
    expect(evaluateAggregates(plan({ group_by: [] }), [])).toEqual([
      { value: null, event_count: null },
    ]);
  });
});
