import { clickHouseFeatures, parseClickHouseVersion } from './clickhouse-features';

describe(clickHouseFeatures.name, () => {
  it.each([
    // version,      queryParams, dateTime64, asyncInsert, dedupToken
    ['18.16.1', false, false, false, false],
    ['19.10.1.5', false, false, false, false],
    ['19.11.3.11', true, false, false, false],
    ['19.17.6.36', true, false, false, false],
    ['20.1.2.4', true, true, false, false],
    ['21.10.1', true, true, false, false],
    ['21.11.1', true, true, true, false],
    ['22.1.3', true, true, true, false],
    ['22.2.2.1', true, true, true, true],
    ['23.8.1.94', true, true, true, true],
    ['26.7.2.1', true, true, true, true],
  ])('%s: params %s, DateTime64 %s, async_insert %s, dedup token %s', (v, qp, dt, ai, dd) => {
    expect(clickHouseFeatures(v)).toEqual({
      version: v,
      ttl: v !== '18.16.1',
      queryParams: qp,
      dateTime64: dt,
      asyncInsert: ai,
      insertDeduplicationToken: dd,
    });
  });

  it('has TTL from 19.6', () => {
    expect(clickHouseFeatures('19.5.4').ttl).toBe(false);
    expect(clickHouseFeatures('19.6.2.11').ttl).toBe(true);
  });

  it('assumes nothing of a version it cannot read', () => {
    const f = clickHouseFeatures('unknown');
    expect([f.queryParams, f.dateTime64, f.asyncInsert, f.insertDeduplicationToken]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe(parseClickHouseVersion.name, () => {
  it('reads major and minor', () => expect(parseClickHouseVersion('26.7.2.1')).toEqual([26, 7]));
  it('returns undefined for garbage', () => expect(parseClickHouseVersion('v')).toBeUndefined());
});
