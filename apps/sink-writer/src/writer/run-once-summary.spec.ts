import { formatRunOnceSummary } from './run-once-summary';

describe(formatRunOnceSummary.name, () => {
  it('prints records, dead letters, rows per sink and table, then one JSON line', () => {
    const text = formatRunOnceSummary(
      {
        records: 2_000,
        deadLettered: 1,
        rows: { postgres: { events_purchase: 49 }, clickhouse: { events_page_view: 1_682 } },
      },
      6_254,
    );
    expect(text.split('\n')).toEqual([
      'Done: 2,000 record(s), 1 dead letter(s) in 6.3 s',
      '  clickhouse',
      '    events_page_view      1,682 row(s)',
      '  postgres',
      '    events_purchase         49 row(s)',
      'Summary: {"records":2000,"deadLettered":1,"rows":{"postgres":{"events_purchase":49},"clickhouse":{"events_page_view":1682}},"elapsedMs":6254}',
    ]);
  });
});
