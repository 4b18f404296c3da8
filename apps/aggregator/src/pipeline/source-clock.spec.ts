import { SourceClock } from './source-clock';

describe('SourceClock', () => {
  it('has no watermark until every source partition has shown an event time', () => {
    const clock = new SourceClock(2);
    clock.observe(0, 5_000);
    expect(clock.watermark(0)).toBe(-Infinity);
    clock.progress(1, 3_000, 10n);
    expect(clock.watermark(0)).toBe(3_000);
  });

  it('is the minimum over partitions of their largest time, minus the out-of-orderness', () => {
    const clock = new SourceClock(3);
    clock.observe(0, 9_000);
    clock.observe(0, 1_000); // an older event does not move a partition back
    clock.observe(1, 7_000);
    clock.progress(2, 8_000, 4n);
    expect(clock.watermark(500)).toBe(6_500);
  });

  it('leaves idle partitions out, and has no watermark when all are idle', () => {
    const clock = new SourceClock(3);
    clock.observe(0, 100);
    clock.observe(2, 50);
    expect(clock.activeWatermark(10, [false, true, false])).toBe(40);
    expect(clock.activeWatermark(10, [false, true, true])).toBe(90);
    expect(clock.activeWatermark(10, [false, false, true])).toBe(-Infinity);
    expect(clock.activeWatermark(10, [true, true, true])).toBeNull();
  });

  it('knows when every partition reached its run-once target', () => {
    const clock = new SourceClock(2);
    clock.progress(0, null, 10n);
    expect(clock.reached([10n, 0n])).toBe(true);
    expect(clock.reached([10n, 1n])).toBe(false);
    clock.progress(1, null, 1n);
    expect(clock.reached([10n, 1n])).toBe(true);
  });

  it('writes changed partitions to the changelog and restores from it', () => {
    const clock = new SourceClock(2);
    clock.observe(1, 42);
    clock.progress(0, 7, 3n);
    const entries = clock.takeChangelog();
    expect(entries).toEqual([
      { key: 'src/0', value: { maxTime: 7, upto: '3' } },
      { key: 'src/1', value: { maxTime: 42, upto: '0' } },
    ]);
    expect(clock.takeChangelog()).toEqual([]);

    const restored = new SourceClock(2);
    expect(restored.heardAny).toBe(false);
    for (const e of entries) restored.restore(Number(e.key.slice(4)), e.value);
    expect(restored.heardAny).toBe(true);
    expect(restored.watermark(0)).toBe(7);
    expect(restored.uptoOf(0)).toBe(3n);
  });

  it('rejects a partition outside the topic', () => {
    expect(() => new SourceClock(2).observe(2, 1)).toThrow(/outside 0..1/);
  });
});
