import { mapRows, readPath } from './column-mapping';

describe(readPath.name, () => {
  it('walks nested objects along the dots', () => {
    expect(readPath({ window: { start: 1 } }, 'window.start')).toBe(1);
  });

  it('prefers a key that contains the dot as written', () => {
    expect(readPath({ 'window.start': 2, window: { start: 1 } }, 'window.start')).toBe(2);
  });

  it('returns undefined for a missing path', () => {
    expect(readPath({ window: null }, 'window.start')).toBeUndefined();
  });
});

describe(mapRows.name, () => {
  it('maps nested paths and renames columns (seed 002 column_mapping)', () => {
    const rows = mapRows([{ window: { start: 0, end: 60_000 }, device_type: 'ios', count: 3 }], {
      'window.start': 'window_start',
      'window.end': 'window_end',
      device_type: 'device_type',
      count: 'event_count',
    });
    expect(rows).toEqual([
      { window_start: 0, window_end: 60_000, device_type: 'ios', event_count: 3 },
    ]);
  });

  it('stores an unmapped nested object as JSON text', () => {
    expect(mapRows([{ a: { b: 1 } }], { a: 'a' })).toEqual([{ a: '{"b":1}' }]);
  });
});
