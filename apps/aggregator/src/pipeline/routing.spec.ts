import type { WindowSpec } from '@platform/contracts';
import { combinable, eventProblem, restoredForwardedMax, sourceOffsetMetadata } from './routing';

const minute: WindowSpec = {
  type: 'tumbling',
  sizeMs: 60_000,
  allowedLatenessMs: 30_000,
  outOfOrdernessMs: 5_000,
};

describe('combinable', () => {
  it('combines everything before the partition forwarded anything', () => {
    expect(combinable(minute, 0, -Infinity)).toBe(true);
  });

  it('combines an event whose window cannot have closed at the bound downstream', () => {
    // Window [0, 60000) closes at watermark 90000, i.e. forwardedMax 95000.
    expect(combinable(minute, 10, 94_999)).toBe(true);
    expect(combinable(minute, 10, 95_000)).toBe(false);
    expect(combinable(minute, 59_999, 95_000)).toBe(false);
    expect(combinable(minute, 60_000, 95_000)).toBe(true);
  });

  it('applies the session rule: t + lateness against the bound', () => {
    const session: WindowSpec = {
      type: 'session',
      gapMs: 1_000,
      allowedLatenessMs: 100,
      outOfOrdernessMs: 0,
    };
    expect(combinable(session, 1_000, 1_100)).toBe(true);
    expect(combinable(session, 1_000, 1_101)).toBe(false);
  });

  it('forwards everything whole when the bound is unknown', () => {
    expect(combinable(minute, 1e15, Infinity)).toBe(false);
  });
});

describe('source offset metadata', () => {
  it('round-trips the forwarded maximum', () => {
    expect(restoredForwardedMax(10n, sourceOffsetMetadata(1_700_000_000_000))).toBe(
      1_700_000_000_000,
    );
    expect(restoredForwardedMax(10n, sourceOffsetMetadata(-Infinity))).toBe(-Infinity);
  });

  it('keeps "every event whole" across owners, at any offset', () => {
    expect(sourceOffsetMetadata(Infinity)).toBe('{"forwardedMax":"Infinity"}');
    expect(restoredForwardedMax(10n, sourceOffsetMetadata(Infinity))).toBe(Infinity);
    // A run-once closed a partition nothing had come to.
    expect(restoredForwardedMax(0n, sourceOffsetMetadata(Infinity))).toBe(Infinity);
  });

  it('starts from nothing at offset 0 and from unknown (null) without readable metadata', () => {
    expect(restoredForwardedMax(0n, null)).toBe(-Infinity);
    expect(restoredForwardedMax(0n, '')).toBe(-Infinity);
    expect(restoredForwardedMax(5n, null)).toBeNull();
    expect(restoredForwardedMax(5n, '')).toBeNull();
    expect(restoredForwardedMax(5n, '{"forwardedMax":"x"}')).toBeNull();
  });
});

describe('eventProblem', () => {
  it('accepts a record with a string event_id and a finite timestamp', () => {
    expect(eventProblem({ event_id: 'a', timestamp: 1 })).toBeNull();
  });

  it('names what is wrong otherwise', () => {
    expect(eventProblem([])).toBe('not a record');
    expect(eventProblem({ timestamp: 1 })).toBe('event_id must be a string');
    expect(eventProblem({ event_id: 'a', timestamp: Infinity })).toBe(
      'timestamp must be a finite number of epoch milliseconds',
    );
  });
});
