import { formatTable, LatestRows } from './console-table';

const row = (start: number, device: string, value: number, version: number, retracted = false) => ({
  aggregation: 'views',
  key: `${start}|${device}`,
  record: {
    window_start: start,
    window_end: start + 60_000,
    device_type: device,
    value,
    event_count: value,
    version,
  },
  retracted,
});

describe('console table', () => {
  it('keeps the latest version of each window and drops retracted ones', () => {
    const latest = new LatestRows();
    latest.apply([row(0, 'mobile', 1, 1), row(0, 'tablet', 2, 1)]);
    latest.apply([row(0, 'mobile', 3, 2), row(0, 'tablet', 0, 1, true)]);
    expect(latest.list().map((r) => [r.key, r.record['value']])).toEqual([['0|mobile', 3]]);
  });

  it('prints one aligned table per aggregation with ISO times', () => {
    const text = formatTable([row(60_000, 'tablet', 2, 1), row(0, 'mobile', 1, 1)]);
    expect(text.split('\n').slice(0, 5)).toEqual([
      'views (2 rows)',
      'window_start             | window_end               | device_type | value | event_count | version',
      '-------------------------+--------------------------+-------------+-------+-------------+--------',
      '1970-01-01T00:00:00.000Z | 1970-01-01T00:01:00.000Z | mobile      | 1     | 1           | 1      ',
      '1970-01-01T00:01:00.000Z | 1970-01-01T00:02:00.000Z | tablet      | 2     | 2           | 1      ',
    ]);
  });
});
