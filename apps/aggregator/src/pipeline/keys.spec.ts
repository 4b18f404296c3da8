import type { AggregationSpec } from '@platform/contracts';
import { changelogKeyKind, outputKey, partitionFor, repartitionKey } from './keys';

const spec = {
  name: 'views',
  eventType: 'page_view',
  type: 'count',
  groupBy: ['device_type', 'country'],
  window: { type: 'tumbling', sizeMs: 60_000, allowedLatenessMs: 0, outOfOrdernessMs: 0 },
} as unknown as AggregationSpec;

describe('keys', () => {
  it('re-keys an event by its group values, absent as null', () => {
    expect(repartitionKey(spec, { device_type: 'mobile' })).toBe('["mobile",null]');
  });

  it('keys an aggregate by window start then group, in groupBy order', () => {
    expect(outputKey(spec, 60_000, { country: 'US', device_type: 'mobile' })).toBe(
      '{"window_start":60000,"device_type":"mobile","country":"US"}',
    );
  });

  it('partitions by a stable hash: the same on every instance, within range', () => {
    // FNV-1a (32 bit) of the UTF-8 bytes: the published test vectors, whole with 2^32
    // partitions, so any instance or version computing another hash would disagree.
    expect(partitionFor('', 2 ** 32)).toBe(0x811c9dc5);
    expect(partitionFor('a', 2 ** 32)).toBe(0xe40c292c);
    expect(partitionFor('foobar', 2 ** 32)).toBe(0xbf9cf968);
    expect(partitionFor('["München",null]', 2 ** 32)).toBe(0xd5fed970); // bytes, not UTF-16
    expect(partitionFor('["mobile",null]', 3)).toBe(0x033e8944 % 3);
    expect(partitionFor('["mobile",null]', 12)).toBe(0x033e8944 % 12);
    const seen = new Set(Array.from({ length: 200 }, (_, i) => partitionFor(`k${i}`, 3)));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(() => partitionFor('x', 0)).toThrow(RangeError);
  });

  it('tells engine state, source clocks and the restore marker apart', () => {
    expect(changelogKeyKind('clock')).toBe('engine');
    expect(changelogKeyKind('w/0/[]')).toBe('engine');
    expect(changelogKeyKind('src/12')).toBe('source');
    expect(changelogKeyKind('restore-marker')).toBe('marker');
    expect(changelogKeyKind('other')).toBe('unknown');
  });
});
