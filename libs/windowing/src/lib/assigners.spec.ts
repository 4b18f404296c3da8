import type { WindowSpec } from '@platform/contracts';
import fc from 'fast-check';
import {
  earliestWindowEnd,
  isLate,
  isWindowClosed,
  isWindowComplete,
  slidingWindows,
  tumblingWindow,
} from './assigners';

describe(tumblingWindow.name, () => {
  it.each([
    [0, 10, 0, 10],
    [9, 10, 0, 10],
    [10, 10, 10, 20],
    [-1, 10, -10, 0],
    [-10, 10, -10, 0],
    [-11, 10, -20, -10],
    [59_999, 60_000, 0, 60_000],
    [1_700_000_000_123, 60_000, 1_699_999_980_000, 1_700_000_040_000],
  ])('puts t=%d with size %d in [%d, %d)', (t, size, start, end) => {
    expect(tumblingWindow(t, size)).toEqual({ start, end });
  });

  it('puts an event at exactly a window end in the next window', () => {
    expect(tumblingWindow(20, 10).start).toBe(20);
    expect(tumblingWindow(-20, 10)).toEqual({ start: -20, end: -10 });
  });

  it('never yields -0 as a start', () => {
    expect(Object.is(tumblingWindow(-0, 10).start, 0)).toBe(true);
    expect(Object.is(tumblingWindow(5, 10).start, 0)).toBe(true);
  });

  it('always holds t in a half-open, epoch-aligned window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.integer({ min: 1, max: 1e6 }),
        (t, s) => {
          const w = tumblingWindow(t, s);
          expect(w.start <= t && t < w.end).toBe(true);
          expect(w.end - w.start).toBe(s);
          expect(w.start % s === 0).toBe(true);
        },
      ),
    );
  });
});

describe(slidingWindows.name, () => {
  it('lists every window start = k * slide with start <= t < start + size, oldest first', () => {
    expect(slidingWindows(25, 30, 10)).toEqual([
      { start: 0, end: 30 },
      { start: 10, end: 40 },
      { start: 20, end: 50 },
    ]);
  });

  it('treats the boundaries as half-open, also for negative times', () => {
    expect(slidingWindows(30, 30, 10).map((w) => w.start)).toEqual([10, 20, 30]);
    expect(slidingWindows(-1, 30, 10).map((w) => w.start)).toEqual([-30, -20, -10]);
  });

  it('assigns size / slide windows when the slide divides the size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 10 }),
        (t, slide, m) => {
          const ws = slidingWindows(t, slide * m, slide);
          expect(ws).toHaveLength(m);
          for (const w of ws) {
            expect(w.start <= t && t < w.end).toBe(true);
            expect(Math.abs(w.start % slide)).toBe(0);
          }
        },
      ),
    );
  });
});

describe(isLate.name, () => {
  const tumbling: WindowSpec = {
    type: 'tumbling',
    sizeMs: 10,
    allowedLatenessMs: 5,
    outOfOrdernessMs: 0,
  };
  const sliding: WindowSpec = {
    type: 'sliding',
    sizeMs: 30,
    slideMs: 10,
    allowedLatenessMs: 5,
    outOfOrdernessMs: 0,
  };
  const session: WindowSpec = {
    type: 'session',
    gapMs: 10,
    allowedLatenessMs: 5,
    outOfOrdernessMs: 0,
  };

  it('judges a tumbling event by its window end plus the allowed lateness', () => {
    expect(isLate(tumbling, 9, 14)).toBe(false);
    expect(isLate(tumbling, 9, 15)).toBe(true);
    expect(isLate(tumbling, 10, 15)).toBe(false);
  });

  it('judges a sliding event by its earliest-ending window, so no event is partly late', () => {
    expect(earliestWindowEnd(sliding, 25)).toBe(30);
    expect(isLate(sliding, 25, 34)).toBe(false);
    expect(isLate(sliding, 25, 35)).toBe(true);
  });

  it('judges a session event by its own time: late iff t + lateness < watermark', () => {
    expect(earliestWindowEnd(session, 25)).toBe(25);
    expect(isLate(session, 25, 30)).toBe(false);
    expect(isLate(session, 25, 31)).toBe(true);
  });

  it('fires a session only once the watermark is past its end, and closes it after', () => {
    expect(isWindowComplete(session, 20, 20)).toBe(false);
    expect(isWindowComplete(session, 20, 21)).toBe(true);
    expect(isWindowClosed(session, 20, 25)).toBe(false);
    expect(isWindowClosed(session, 20, 26)).toBe(true);
    expect(isWindowComplete(tumbling, 20, 20)).toBe(true);
    expect(isWindowClosed(tumbling, 20, 25)).toBe(true);
  });

  it('never calls an event late while any window it belongs to or joins is open', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -1000, max: 2000 }),
        (t, w) => {
          const starts = slidingWindows(t, 30, 10);
          const anyOpen = starts.some((b) => !isWindowClosed(sliding, b.end, w));
          const allOpen = starts.every((b) => !isWindowClosed(sliding, b.end, w));
          // Either all windows are open (accepted) or the oldest is closed (late): never partial.
          expect(isLate(sliding, t, w)).toBe(!allOpen);
          if (!isLate(sliding, t, w)) expect(anyOpen).toBe(true);
        },
      ),
    );
  });
});
