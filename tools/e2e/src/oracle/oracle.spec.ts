import type { AggregationSpec, AggregationType, WindowSpec } from '@platform/contracts';
import fc from 'fast-check';
import {
  aggregateAll,
  computeOracle,
  diffRows,
  expectedAggregates,
  expectedForModel,
  fixedWindowsOf,
  formatDifferences,
  formatRows,
  isLateAt,
  lateEvents,
  type OracleEvent,
  type OracleRow,
} from './index';

// ---- fixtures -------------------------------------------------------------------------------

const NO_LATENESS = { allowedLatenessMs: 0, outOfOrdernessMs: 0 };
/** Lateness so generous that no event of these tests is ever late. */
const NEVER_LATE = { allowedLatenessMs: 1e12, outOfOrdernessMs: 0 };

type Timing = { allowedLatenessMs: number; outOfOrdernessMs: number };
const tumbling = (sizeMs: number, timing: Timing = NEVER_LATE): WindowSpec => ({
  type: 'tumbling',
  sizeMs,
  ...timing,
});
const sliding = (sizeMs: number, slideMs: number, timing: Timing = NEVER_LATE): WindowSpec => ({
  type: 'sliding',
  sizeMs,
  slideMs,
  ...timing,
});
const session = (gapMs: number, timing: Timing = NEVER_LATE): WindowSpec => ({
  type: 'session',
  gapMs,
  ...timing,
});

function agg(
  window: WindowSpec,
  type: AggregationType = 'count',
  field?: string,
  groupBy: string[] = [],
): AggregationSpec {
  return { name: `test_${type}`, eventType: 'e', type, field, window, groupBy };
}

let nextId = 0;
function ev(timestamp: number, fields: Record<string, unknown> = {}, id?: string): OracleEvent {
  return { event_id: id ?? `id${String(nextId++).padStart(6, '0')}`, timestamp, ...fields };
}

/** Rows as compact tuples: [start, end, value, eventCount] (group left out). */
const tuples = (rows: readonly OracleRow[]) =>
  rows.map((r) => [r.windowStart, r.windowEnd, r.value, r.eventCount]);

// ---- tumbling -------------------------------------------------------------------------------

describe('tumbling windows', () => {
  it('assigns start = floor(t / S) * S, half-open: t at a window end opens the next', () => {
    const events = [0, 9, 10, 19, 20].map((t) => ev(t));
    expect(tuples(expectedAggregates(agg(tumbling(10)), events))).toEqual([
      [0, 10, 2, 2],
      [10, 20, 2, 2],
      [20, 30, 1, 1],
    ]);
  });

  it('handles negative timestamps by flooring (t = -1 is in [-10, 0))', () => {
    const events = [-1, -10, -11, 0].map((t) => ev(t));
    expect(tuples(expectedAggregates(agg(tumbling(10)), events))).toEqual([
      [-20, -10, 1, 1],
      [-10, 0, 2, 2],
      [0, 10, 1, 1],
    ]);
  });

  it('produces no row for an empty window', () => {
    const rows = expectedAggregates(agg(tumbling(10)), [ev(5), ev(35)]);
    expect(rows.map((r) => r.windowStart)).toEqual([0, 30]);
  });

  it('groups by the tuple of group-by values; a missing value groups as null', () => {
    const spec = agg(tumbling(100), 'count', undefined, ['country', 'device']);
    const rows = expectedAggregates(spec, [
      ev(1, { country: 'US', device: 'mobile' }),
      ev(2, { country: 'US', device: 'mobile' }),
      ev(3, { country: 'US', device: 'desktop' }),
      ev(4, { country: 'GB', device: 'mobile' }),
      ev(5, { country: 'GB' }),
    ]);
    expect(rows.map((r) => [r.group, r.value])).toEqual([
      // Group JSON order: '{"country":"GB","device":"mobile"}' < '...null}' ('"' < 'n').
      [{ country: 'GB', device: 'mobile' }, 1],
      [{ country: 'GB', device: null }, 1],
      [{ country: 'US', device: 'desktop' }, 1],
      [{ country: 'US', device: 'mobile' }, 2],
    ]);
  });
});

// ---- sliding --------------------------------------------------------------------------------

describe('sliding windows', () => {
  it('puts t in every window start = k * D with start <= t < start + S', () => {
    expect(fixedWindowsOf(sliding(10, 5), 0)).toEqual([
      { start: -5, end: 5 },
      { start: 0, end: 10 },
    ]);
    expect(fixedWindowsOf(sliding(10, 5), 5)).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 15 },
    ]);
    // Size not a multiple of the slide: starts 3, 6, 9 hold t = 10.
    expect(fixedWindowsOf(sliding(10, 3), 10).map((b) => b.start)).toEqual([3, 6, 9]);
    expect(fixedWindowsOf(sliding(10, 5), -1)).toEqual([
      { start: -10, end: 0 },
      { start: -5, end: 5 },
    ]);
    // Slide larger than size: gaps between windows, some times are in none.
    expect(fixedWindowsOf(sliding(5, 10), 7)).toEqual([]);
    expect(fixedWindowsOf(sliding(5, 10), 14)).toEqual([{ start: 10, end: 15 }]);
  });

  it('counts each event in each of its windows', () => {
    const events = [0, 4, 5, 7].map((t) => ev(t));
    expect(tuples(expectedAggregates(agg(sliding(10, 5)), events))).toEqual([
      [-5, 5, 2, 2],
      [0, 10, 4, 4],
      [5, 15, 2, 2],
    ]);
  });

  it('computes sums per window (the active-users style, with count_distinct)', () => {
    const events = [ev(0, { u: 'a' }), ev(6, { u: 'b' }), ev(12, { u: 'a' })];
    expect(tuples(expectedAggregates(agg(sliding(10, 5), 'count_distinct', 'u'), events))).toEqual([
      [-5, 5, 1, 1],
      [0, 10, 2, 2],
      [5, 15, 2, 2],
      [10, 20, 1, 1],
    ]);
  });
});

// ---- session --------------------------------------------------------------------------------

describe('session windows', () => {
  it('joins at exactly G, splits at G + 1; end = last + G', () => {
    const rows = expectedAggregates(agg(session(10)), [ev(0), ev(10), ev(21)]);
    expect(tuples(rows)).toEqual([
      [0, 20, 2, 2],
      [21, 31, 1, 1],
    ]);
    expect(tuples(expectedAggregates(agg(session(10)), [ev(0), ev(11)]))).toEqual([
      [0, 10, 1, 1],
      [11, 21, 1, 1],
    ]);
  });

  it('sessionizes per group key', () => {
    const spec = agg(session(10), 'count', undefined, ['user_id']);
    const rows = expectedAggregates(spec, [
      ev(0, { user_id: 'a' }),
      ev(3, { user_id: 'b' }),
      ev(5, { user_id: 'a' }),
      ev(14, { user_id: 'b' }),
    ]);
    expect(rows.map((r) => [r.windowStart, r.windowEnd, r.group, r.value])).toEqual([
      [0, 15, { user_id: 'a' }, 2],
      [3, 13, { user_id: 'b' }, 1],
      [14, 24, { user_id: 'b' }, 1],
    ]);
  });

  it('merges sessions bridged by an out-of-order event', () => {
    const spec = agg(session(10), 'sum', 'q');
    const rows = expectedAggregates(spec, [ev(0, { q: 1 }), ev(20, { q: 2 }), ev(10, { q: 4 })]);
    expect(tuples(rows)).toEqual([[0, 30, 7, 3]]);
  });

  it('handles negative times and same-time events', () => {
    const rows = expectedAggregates(agg(session(5)), [ev(-7), ev(-7), ev(-2), ev(4)]);
    expect(tuples(rows)).toEqual([
      [-7, 3, 3, 3],
      [4, 9, 1, 1],
    ]);
  });
});

// ---- accumulators ---------------------------------------------------------------------------

describe('accumulators', () => {
  // One tumbling window [0, 100); ids chosen so that string order differs from numeric order.
  const events = [
    ev(10, { price: 5, user: 'u1' }, 'b'),
    ev(10, { price: 3, user: 'u2' }, 'a'),
    ev(50, { price: null, user: 'u1' }, 'c'),
    ev(50, { price: 7.5 }, 'd'),
    ev(90, { price: 2, user: 'u3' }, '9'),
    ev(90, { price: 4, user: 'u3' }, '10'),
  ];
  const value = (type: AggregationType, field?: string, input = events) =>
    expectedAggregates(agg(tumbling(100), type, field), input)[0].value;

  it('count counts events; eventCount too', () => {
    expect(value('count')).toBe(6);
    expect(expectedAggregates(agg(tumbling(100), 'sum', 'price'), events)[0].eventCount).toBe(6);
  });

  it('count_distinct is exact and ignores null / missing', () => {
    expect(value('count_distinct', 'user')).toBe(3);
    // 1 and '1' are different values.
    expect(
      value('count_distinct', 'x', [ev(1, { x: 1 }), ev(2, { x: '1' }), ev(3, { x: 1 })]),
    ).toBe(2);
  });

  it('sum, avg, min, max use numeric values only', () => {
    expect(value('sum', 'price')).toBe(21.5);
    expect(value('avg', 'price')).toBe(21.5 / 5);
    expect(value('min', 'price')).toBe(2);
    expect(value('max', 'price')).toBe(7.5);
    expect(value('avg', 'x', [ev(1, { x: 1 }), ev(2, { x: 2 })])).toBe(1.5);
    expect(value('sum', 'x', [ev(1, { x: 'abc' }), ev(2, { x: 4 })])).toBe(4);
    expect(value('min', 'x', [ev(1, { x: -3 }), ev(2, { x: -4 })])).toBe(-4);
  });

  it('sum, avg, min, max are null when no event carries a number', () => {
    const input = [ev(1, { x: null }), ev(2)];
    for (const type of ['sum', 'avg', 'min', 'max'] as const)
      expect(value(type, 'x', input)).toBe(null);
    expect(value('count_distinct', 'x', input)).toBe(0);
  });

  it('first / last break time ties by event_id as a string, not by arrival', () => {
    // Smallest (10, 'a') → 3; largest (90, '9') since '9' > '10' as strings → 2.
    expect(value('first', 'price')).toBe(3);
    expect(value('last', 'price')).toBe(2);
    expect(value('first', 'price', [...events].reverse())).toBe(3);
    expect(value('last', 'price', [...events].reverse())).toBe(2);
  });

  it('first / last take the chosen event value even when it is null', () => {
    expect(value('first', 'x', [ev(1, {}, 'a'), ev(2, { x: 5 }, 'b')])).toBe(null);
    expect(value('last', 'x', [ev(1, { x: 5 }, 'a'), ev(2, { x: null }, 'b')])).toBe(null);
  });

  it('candles: OHLC per window', () => {
    const ticks = [ev(5, { p: 10 }), ev(20, { p: 12 }), ev(30, { p: 8 }), ev(59, { p: 11 })];
    const w = tumbling(60);
    const ohlc = (['first', 'max', 'min', 'last'] as const).map(
      (t) => expectedAggregates(agg(w, t, 'p'), ticks)[0].value,
    );
    expect(ohlc).toEqual([10, 12, 8, 11]);
  });
});

// ---- ordering, validation -------------------------------------------------------------------

describe('row order and validation', () => {
  it('sorts rows by (windowStart, windowEnd, group JSON)', () => {
    const spec = agg(session(10), 'count', undefined, ['k']);
    const rows = expectedAggregates(spec, [
      ev(5, { k: 'b' }),
      ev(0, { k: 'b' }),
      ev(0, { k: 'a' }),
      ev(0, { k: 'c' }),
      ev(30, { k: 'a' }),
    ]);
    expect(rows.map((r) => [r.windowStart, r.windowEnd, r.group.k])).toEqual([
      [0, 10, 'a'],
      [0, 10, 'c'],
      [0, 15, 'b'],
      [30, 40, 'a'],
    ]);
  });

  it('rejects a bad spec, a bad event and an arrival order that is not a permutation', () => {
    expect(() => expectedAggregates(agg(tumbling(0)), [])).toThrow(/sizeMs/);
    expect(() => expectedAggregates(agg(tumbling(10), 'sum'), [])).toThrow(/needs a field/);
    expect(() =>
      expectedAggregates(agg(tumbling(10)), [{ event_id: 'x', timestamp: NaN }]),
    ).toThrow(/finite timestamp/);
    const a = ev(1);
    const b = ev(2);
    expect(() => expectedAggregates(agg(tumbling(10)), [a, b], { arrivalOrder: [a] })).toThrow(
      /permutation/,
    );
    expect(() => expectedAggregates(agg(tumbling(10)), [a], { arrivalOrder: [b] })).toThrow(
      /lacks/,
    );
  });
});

// ---- lateness -------------------------------------------------------------------------------

describe('lateness', () => {
  it('tumbling: late iff window end + allowed lateness <= watermark', () => {
    const w = tumbling(10, { allowedLatenessMs: 5, outOfOrdernessMs: 0 });
    // Watermark 25: [10,20) ends at 20, 20 + 5 <= 25 → late (boundary); [0,10) → late.
    const late = lateEvents(agg(w), [
      ev(0, {}, 'a'),
      ev(25, {}, 'b'),
      ev(12, {}, 'c'),
      ev(9, {}, 'd'),
    ]);
    expect(late.map((l) => [l.event.event_id, l.arrivalIndex, l.watermark])).toEqual([
      ['c', 2, 25],
      ['d', 3, 25],
    ]);
    expect(late[0].reason).toMatch(/\[10,20\).*5.*25/);
    // Watermark 24: 25 <= 24 is false → within the bound, counted.
    const arrival = [ev(0), ev(24), ev(12)];
    expect(lateEvents(agg(w), arrival)).toEqual([]);
    expect(tuples(expectedAggregates(agg(w), arrival))).toEqual([
      [0, 10, 1, 1],
      [10, 20, 1, 1],
      [20, 30, 1, 1],
    ]);
  });

  it('subtracts the out-of-orderness from the max event time', () => {
    const w = tumbling(10, { allowedLatenessMs: 5, outOfOrdernessMs: 3 });
    expect(lateEvents(agg(w), [ev(0), ev(27), ev(12)])).toEqual([]); // watermark 24
    expect(lateEvents(agg(w), [ev(0), ev(28), ev(12)]).map((l) => l.watermark)).toEqual([25]);
  });

  it('late events are in no row; on-time out-of-order events are', () => {
    const w = tumbling(10, NO_LATENESS);
    const arrival = [ev(0), ev(10), ev(5), ev(15), ev(12)];
    const result = computeOracle(agg(w), arrival);
    expect(result.late.map((l) => l.event.timestamp)).toEqual([5]);
    expect(tuples(result.rows)).toEqual([
      [0, 10, 1, 1],
      [10, 20, 3, 3],
    ]);
    // The same events, sorted: nothing late.
    const sorted = [...arrival].sort((a, b) => a.timestamp - b.timestamp);
    expect(tuples(expectedAggregates(agg(w), arrival, { arrivalOrder: sorted }))).toEqual([
      [0, 10, 2, 2],
      [10, 20, 3, 3],
    ]);
  });

  it('sliding: late iff the oldest window holding t has closed (no partially late events)', () => {
    const w = sliding(10, 5, NO_LATENESS);
    // t = 7 is in [0,10) and [5,15); at watermark 10, [0,10) has closed → late.
    expect(isLateAt(w, 7, 10)).toBe(true);
    expect(isLateAt(w, 7, 9)).toBe(false);
    // t = 10 is in [5,15) and [10,20): oldest end 15 > 10 → on time.
    expect(isLateAt(w, 10, 10)).toBe(false);
    const result = computeOracle(agg(w), [ev(0), ev(10), ev(7)]);
    expect(result.late.map((l) => l.event.timestamp)).toEqual([7]);
    expect(result.late[0].reason).toMatch(/\[0,10\)/);
    expect(tuples(result.rows)).toEqual([
      [-5, 5, 1, 1],
      [0, 10, 1, 1],
      [5, 15, 1, 1],
      [10, 20, 1, 1],
    ]);
  });

  it('session: late iff t + allowed lateness < watermark', () => {
    const w = session(10, { allowedLatenessMs: 5, outOfOrdernessMs: 0 });
    // Watermark 30: 25 + 5 < 30 is false → counted; 24 + 5 < 30 → late.
    const result = computeOracle(agg(w), [ev(0), ev(30), ev(25), ev(24)]);
    expect(result.late.map((l) => l.event.timestamp)).toEqual([24]);
    expect(result.late[0].reason).toMatch(/24.*5.*30/);
    expect(tuples(result.rows)).toEqual([
      [0, 10, 1, 1],
      [25, 40, 2, 2],
    ]);
  });

  it('session: an on-time late-arriving event bridges two sessions', () => {
    const w = session(10, { allowedLatenessMs: 20, outOfOrdernessMs: 0 });
    const rows = expectedAggregates(agg(w, 'sum', 'q'), [
      ev(0, { q: 1 }),
      ev(30, { q: 2 }),
      ev(20, { q: 4 }),
      ev(10, { q: 8 }),
    ]);
    expect(tuples(rows)).toEqual([[0, 40, 15, 4]]);
  });

  it('events in time order are never late', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 40 }),
        fc.constantFrom(
          tumbling(7, NO_LATENESS),
          sliding(10, 3, NO_LATENESS),
          session(5, NO_LATENESS),
        ),
        (times, window) => {
          const sorted = [...times].sort((a, b) => a - b).map((t) => ev(t));
          expect(lateEvents(agg(window), sorted)).toEqual([]);
        },
      ),
    );
  });
});

// ---- whole domain model ---------------------------------------------------------------------

describe('expectedForModel', () => {
  it('runs each aggregation over its own event type, in arrival order', () => {
    const views: AggregationSpec = {
      ...agg(tumbling(10, NO_LATENESS)),
      name: 'views',
      eventType: 'page_view',
    };
    const carts: AggregationSpec = {
      ...agg(session(10), 'sum', 'quantity', ['user_id']),
      name: 'carts',
      eventType: 'add_to_cart',
    };
    const results = expectedForModel({ aggregations: [views, carts] }, [
      { eventType: 'page_view', event: ev(0) },
      { eventType: 'add_to_cart', event: ev(1, { user_id: 'u', quantity: 2 }) },
      { eventType: 'page_view', event: ev(20) },
      { eventType: 'add_to_cart', event: ev(5, { user_id: 'u', quantity: 3 }) },
      { eventType: 'page_view', event: ev(3) },
    ]);
    expect(tuples(results.get('views')?.rows ?? [])).toEqual([
      [0, 10, 1, 1],
      [20, 30, 1, 1],
    ]);
    expect(results.get('views')?.late.map((l) => l.event.timestamp)).toEqual([3]);
    expect(tuples(results.get('carts')?.rows ?? [])).toEqual([[1, 15, 5, 2]]);
    expect(results.get('carts')?.late).toEqual([]);
  });
});

// ---- diff and table -------------------------------------------------------------------------

describe('diffRows and formatRows', () => {
  const row = (windowStart: number, value: unknown, eventCount = 1, group = {}): OracleRow => ({
    windowStart,
    windowEnd: windowStart + 10,
    group,
    value,
    eventCount,
  });

  it('is empty when rows agree (within the tolerance for doubles, in any order)', () => {
    expect(diffRows([row(0, 1), row(10, 2.5)], [row(10, 2.5 + 1e-12), row(0, 1)])).toEqual([]);
    expect(diffRows([row(0, 1e8)], [row(0, 1e8 + 0.01)])).toEqual([]); // relative 1e-10
    expect(diffRows([row(0, 'x')], [row(0, 'x')])).toEqual([]);
  });

  it('reports missing, extra, duplicate, value and eventCount differences', () => {
    const diffs = diffRows(
      [row(0, 1), row(10, 2, 2), row(20, 3, 1, { k: 'a' })],
      [row(10, 2.001, 3), row(20, 3, 1, { k: 'b' }), row(30, null), row(30, null)],
    );
    expect(diffs.map((d) => d.kind).sort()).toEqual(
      ['duplicate', 'eventCount', 'extra', 'extra', 'missing', 'missing', 'value'].sort(),
    );
    const text = formatDifferences(diffs);
    expect(text).toMatch(/^7 differences/);
    expect(text).toContain('missing [0,10) {}: expected value 1, eventCount 1');
    expect(text).toContain('value differs at [10,20) {}: expected 2, actual 2.001');
    expect(text).toContain('eventCount differs at [10,20) {}: expected 2, actual 3');
    expect(text).toContain('extra [20,30) {"k":"b"}');
    expect(formatDifferences(diffs, 2).split('\n')).toHaveLength(4);
    expect(formatDifferences([])).toBe('no differences');
  });

  it('honours a custom tolerance', () => {
    expect(diffRows([row(0, 1)], [row(0, 1.001)], { tolerance: 1e-2 })).toEqual([]);
    expect(diffRows([row(0, 1)], [row(0, 1.001)])).toHaveLength(1);
  });

  it('prints a table', () => {
    const text = formatRows([row(0, 1.5, 2, { d: 'mobile' }), row(10, 3)]);
    expect(text.split('\n')).toEqual([
      'window_start | window_end | group          | value | event_count',
      '-------------+------------+----------------+-------+------------',
      '0            | 10         | {"d":"mobile"} | 1.5   | 2',
      '10           | 20         | {}             | 3     | 1',
    ]);
    expect(formatRows([row(0, 1), row(10, 2)], { limit: 1, iso: true })).toContain(
      '1970-01-01T00:00:00.000Z',
    );
    expect(formatRows([row(0, 1), row(10, 2)], { limit: 1 })).toMatch(/\(1 more rows\)$/);
  });
});

// ---- properties -----------------------------------------------------------------------------

const arbEvents = fc.array(
  fc.record({
    t: fc.integer({ min: -500, max: 500 }),
    k: fc.constantFrom('a', 'b', 'c'),
    v: fc.integer({ min: -50, max: 50 }),
    u: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
  }),
  { maxLength: 60 },
);
const toEvents = (raw: readonly { t: number; k: string; v: number; u: string }[]): OracleEvent[] =>
  raw.map((r, i) => ({ event_id: `e${i}`, timestamp: r.t, k: r.k, v: r.v, u: r.u }));

describe('properties', () => {
  it('sliding windows equal the merge of their tumbling panes of size = slide (count, sum)', () => {
    fc.assert(
      fc.property(
        arbEvents,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom<AggregationType>('count', 'sum'),
        (raw, slide, panesPerWindow, type) => {
          const events = toEvents(raw);
          const size = slide * panesPerWindow;
          const field = type === 'sum' ? 'v' : undefined;
          const slidingRows = expectedAggregates(
            agg(sliding(size, slide), type, field, ['k']),
            events,
          );
          const panes = new Map<string, OracleRow>();
          for (const p of expectedAggregates(agg(tumbling(slide), type, field, ['k']), events)) {
            panes.set(`${p.windowStart}|${p.group.k}`, p);
          }
          // Every sliding window: the panes it covers, merged.
          const merged = new Map<string, { value: number; eventCount: number }>();
          for (const p of panes.values()) {
            for (let i = 0; i < panesPerWindow; i++) {
              const start = p.windowStart - i * slide;
              const key = `${start}|${p.group.k}`;
              const m = merged.get(key) ?? { value: 0, eventCount: 0 };
              merged.set(key, {
                value: m.value + (p.value as number),
                eventCount: m.eventCount + p.eventCount,
              });
            }
          }
          expect(slidingRows).toHaveLength(merged.size);
          for (const r of slidingRows) {
            expect(r.windowEnd - r.windowStart).toBe(size);
            expect(merged.get(`${r.windowStart}|${r.group.k}`)).toEqual({
              value: r.value,
              eventCount: r.eventCount,
            });
          }
        },
      ),
    );
  });

  it('results are invariant to permutations of the arrival order when nothing is late', () => {
    const windows = [tumbling(50), sliding(60, 20), sliding(50, 20), session(30)];
    const types: AggregationType[] = [
      'count',
      'count_distinct',
      'sum',
      'avg',
      'min',
      'max',
      'first',
      'last',
    ];
    fc.assert(
      fc.property(
        arbEvents.chain((raw) =>
          fc.tuple(
            fc.constant(raw),
            fc.shuffledSubarray(
              raw.map((_, i) => i),
              { minLength: raw.length, maxLength: raw.length },
            ),
          ),
        ),
        fc.constantFrom(...windows),
        fc.constantFrom(...types),
        fc.constantFrom<string[]>([], ['k']),
        ([raw, order], window, type, groupBy) => {
          const events = toEvents(raw);
          const field = type === 'count' ? undefined : type === 'count_distinct' ? 'u' : 'v';
          const spec = agg(window, type, field, groupBy);
          const arrival = order.map((i) => events[i]);
          const result = computeOracle(spec, arrival);
          expect(result.late).toEqual([]);
          expect(result.rows).toEqual(expectedAggregates(spec, events));
          expect(diffRows(result.rows, aggregateAll(spec, events))).toEqual([]);
          // Each event is counted once per window it belongs to.
          const total = result.rows.reduce((n, r) => n + r.eventCount, 0);
          if (window.type === 'tumbling' || window.type === 'session')
            expect(total).toBe(events.length);
        },
      ),
    );
  });

  it('events delayed by at most outOfOrderness + allowedLateness are never late', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -500, max: 500 }), fc.nat({ max: 1000 })), {
          maxLength: 60,
        }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 40 }),
        fc.constantFrom('tumbling', 'sliding', 'session'),
        (raw, ooo, lateness, kind) => {
          const timing = { allowedLatenessMs: lateness, outOfOrdernessMs: ooo };
          const window =
            kind === 'tumbling'
              ? tumbling(25, timing)
              : kind === 'sliding'
                ? sliding(30, 10, timing)
                : session(15, timing);
          const bound = ooo + lateness;
          const events = raw.map(([t, d]) => ({ ...ev(t), delay: d % (bound + 1) }));
          // Each event arrives at t + delay (as the generator's out-of-order option does).
          const arrival = [...events].sort(
            (a, b) => a.timestamp + a.delay - (b.timestamp + b.delay),
          );
          const spec = agg(window, 'count');
          expect(lateEvents(spec, arrival)).toEqual([]);
          expect(expectedAggregates(spec, events, { arrivalOrder: arrival })).toEqual(
            aggregateAll(spec, events),
          );
        },
      ),
    );
  });

  it('session windows of one key are separated by more than the gap and hold their events', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer({ min: 1, max: 100 }), (raw, gap) => {
        const events = toEvents(raw);
        const rows = expectedAggregates(agg(session(gap), 'count', undefined, ['k']), events);
        for (const key of ['a', 'b', 'c']) {
          const own = rows.filter((r) => r.group.k === key);
          for (let i = 1; i < own.length; i++) {
            // Previous session's last event = its end - gap; the next starts more than gap later.
            expect(own[i].windowStart - (own[i - 1].windowEnd - gap)).toBeGreaterThan(gap);
          }
          for (const e of events.filter((x) => x.k === key)) {
            const holding = own.filter(
              (r) => r.windowStart <= e.timestamp && e.timestamp < r.windowEnd,
            );
            expect(holding).toHaveLength(1);
          }
        }
      }),
    );
  });
});
