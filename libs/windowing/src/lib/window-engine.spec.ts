import type { AggregationSpec, WindowSpec } from '@platform/contracts';
import { finalResults } from './final-results';
import { ohlcvAccumulators } from './ohlcv';
import { CLOCK_KEY } from './state';
import type { WindowEvent } from './types';
import { WindowEngine } from './window-engine';
import { WindowingError } from './windowing.error';

const timing = (allowedLatenessMs = 0, outOfOrdernessMs = 0) => ({
  allowedLatenessMs,
  outOfOrdernessMs,
});
const tumbling = (sizeMs: number, lateness = 0, ooo = 0): WindowSpec => ({
  type: 'tumbling',
  sizeMs,
  ...timing(lateness, ooo),
});
const session = (gapMs: number, lateness = 0, ooo = 0): WindowSpec => ({
  type: 'session',
  gapMs,
  ...timing(lateness, ooo),
});

function agg(window: WindowSpec, overrides: Partial<AggregationSpec> = {}): AggregationSpec {
  return { name: 'agg', eventType: 'e', type: 'count', window, groupBy: ['g'], ...overrides };
}

let seq = 0;
function ev(timestamp: number, fields: Record<string, unknown> = {}): WindowEvent {
  return { event_id: `e${String(seq++).padStart(4, '0')}`, timestamp, g: 'a', ...fields };
}

const rows = (r: {
  updates: readonly {
    windowStart: number;
    windowEnd: number;
    value: unknown;
    eventCount: number;
    version: number;
  }[];
}) => r.updates.map((u) => [u.windowStart, u.windowEnd, u.value, u.eventCount, u.version]);

describe(WindowEngine.name, () => {
  describe('emission', () => {
    it('emits nothing before the watermark passes the window end', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      expect(engine.process([ev(1), ev(2), ev(9)]).updates).toEqual([]);
      expect(engine.watermark).toBe(9);
    });

    it('fires a window with version 1 once the watermark reaches its end', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      engine.process([ev(1), ev(2)]);
      const out = engine.process([ev(10)]);
      expect(out.updates).toEqual([
        {
          aggregation: 'agg',
          windowStart: 0,
          windowEnd: 10,
          group: { g: 'a' },
          value: 2,
          eventCount: 2,
          version: 1,
        },
      ]);
    });

    it('emits a window once per call, with its state at the end of the call', () => {
      const engine = new WindowEngine(agg(tumbling(10, 100)));
      const out = engine.process([ev(1), ev(30), ev(2), ev(3)]);
      expect(rows(out)).toEqual([[0, 10, 3, 3, 1]]);
    });

    it('trails the watermark behind the max event time by the out-of-orderness', () => {
      const engine = new WindowEngine(agg(tumbling(10, 0, 5)));
      expect(engine.process([ev(1), ev(14)]).updates).toEqual([]);
      expect(engine.watermark).toBe(9);
      expect(rows(engine.process([ev(8), ev(15)]))).toEqual([[0, 10, 2, 2, 1]]);
    });

    it('keeps one row per group and emits them in a stable order', () => {
      const engine = new WindowEngine(agg(tumbling(10), { groupBy: ['g', 'h'] }));
      const out = engine.process([
        ev(1, { g: 'b', h: 1 }),
        ev(2, { g: 'a' }),
        ev(3, { g: 'a', h: 1 }),
        ev(4, { g: 'b', h: 1 }),
        ev(10),
      ]);
      expect(out.updates.map((u) => [u.group, u.value])).toEqual([
        [{ g: 'a', h: 1 }, 1],
        [{ g: 'a', h: null }, 1],
        [{ g: 'b', h: 1 }, 2],
      ]);
    });

    it('advances the watermark on request, never backwards', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      engine.process([ev(5)]);
      expect(engine.advanceWatermark(3).updates).toEqual([]);
      expect(engine.watermark).toBe(5);
      expect(rows(engine.advanceWatermark(10))).toEqual([[0, 10, 1, 1, 1]]);
      expect(engine.advanceWatermark(100).updates).toEqual([]);
    });

    it('leaves the watermark to the caller in external mode', () => {
      const engine = new WindowEngine(agg(tumbling(10)), { watermark: 'external' });
      expect(engine.process([ev(1), ev(50)]).updates).toEqual([]);
      expect(engine.watermark).toBe(-Infinity);
      expect(rows(engine.advanceWatermark(60))).toEqual([
        [0, 10, 1, 1, 1],
        [50, 60, 1, 1, 1],
      ]);
    });

    it('flushes every open window once, then treats any event as late', () => {
      const engine = new WindowEngine(agg(tumbling(10, 50)));
      expect(rows(engine.process([ev(1), ev(12)]))).toEqual([[0, 10, 1, 1, 1]]);
      expect(rows(engine.flush())).toEqual([[10, 20, 1, 1, 1]]);
      expect(engine.snapshot().windows).toEqual([]);
      const out = engine.process([ev(13)]);
      expect(out.late).toHaveLength(1);
      expect(out.late[0].reason).toContain('end of input');
    });
  });

  describe('lateness', () => {
    it('re-emits a window with version + 1 for an event within the allowed lateness', () => {
      const engine = new WindowEngine(agg(tumbling(10, 5)));
      expect(rows(engine.process([ev(1), ev(12)]))).toEqual([[0, 10, 1, 1, 1]]);
      const out = engine.process([ev(3)]);
      expect(rows(out)).toEqual([[0, 10, 2, 2, 2]]);
      expect(out.late).toEqual([]);
    });

    it('returns an event beyond the allowed lateness as late, and changes nothing', () => {
      const engine = new WindowEngine(agg(tumbling(10, 5)));
      engine.process([ev(1), ev(15)]);
      const before = JSON.stringify(engine.snapshot());
      engine.takeChangelog();
      const late = ev(3);
      const out = engine.process([late]);
      expect(out.updates).toEqual([]);
      expect(out.late).toEqual([
        {
          event: late,
          reason: 'window [0,10) closed at watermark 15 (allowed lateness 5 ms)',
          watermark: 15,
        },
      ]);
      expect(JSON.stringify(engine.snapshot())).toBe(before);
      expect(engine.changedKeys()).toEqual([]);
    });

    it('counts a sliding event in all its windows or, when the oldest has closed, in none', () => {
      const spec = agg({ type: 'sliding', sizeMs: 30, slideMs: 10, ...timing(0) });
      const engine = new WindowEngine(spec);
      engine.process([ev(5), ev(30)]);
      // 25 belongs to [0,30), closed at watermark 30, and to [10,40), [20,50), still open.
      const out = engine.process([ev(25)]);
      expect(out.late).toHaveLength(1);
      expect(out.late[0].reason).toBe(
        'window [0,30) closed at watermark 30 (allowed lateness 0 ms)',
      );
      expect(rows(engine.flush()).map((r) => [r[0], r[2]])).toEqual([
        [10, 1],
        [20, 1],
        [30, 1],
      ]);
    });

    it('judges each event against the watermark left by the events before it in the batch', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      const out = engine.process([ev(3), ev(25), ev(4)]);
      expect(out.late.map((l) => l.event.timestamp)).toEqual([4]);
      expect(rows(out)).toEqual([[0, 10, 1, 1, 1]]);
    });
  });

  describe('sessions', () => {
    const spec = agg(session(10, 100));

    it('joins an event exactly one gap after the previous one', () => {
      expect(
        finalResults(spec, [ev(0), ev(10)]).map((r) => [r.windowStart, r.windowEnd, r.value]),
      ).toEqual([[0, 20, 2]]);
      expect(
        finalResults(spec, [ev(0), ev(11)]).map((r) => [r.windowStart, r.windowEnd, r.value]),
      ).toEqual([
        [0, 10, 1],
        [11, 21, 1],
      ]);
    });

    it('keeps sessions apart per group key', () => {
      const out = finalResults(spec, [ev(0, { g: 'a' }), ev(5, { g: 'b' }), ev(9, { g: 'a' })]);
      expect(out.map((r) => [r.group, r.windowStart, r.windowEnd, r.value])).toEqual([
        [{ g: 'a' }, 0, 19, 2],
        [{ g: 'b' }, 5, 15, 1],
      ]);
    });

    it('fires a session only when the watermark is past its end, since an event at the end still joins', () => {
      const engine = new WindowEngine(agg(session(10)));
      engine.process([ev(0)]);
      expect(engine.process([ev(10, { g: 'b' })]).updates).toEqual([]);
      // An event at exactly the end, on time at watermark 10, joins the session.
      expect(engine.process([ev(10)]).late).toEqual([]);
      expect(rows(engine.process([ev(21, { g: 'b' })]))).toEqual([
        [0, 20, 2, 2, 1],
        [10, 20, 1, 1, 1],
      ]);
    });

    it('merges two emitted sessions bridged by a late event, retracting both', () => {
      const engine = new WindowEngine(spec);
      expect(rows(engine.process([ev(0), ev(20)]))).toEqual([[0, 10, 1, 1, 1]]);
      expect(rows(engine.process([ev(50, { g: 'other' })]))).toEqual([[20, 30, 1, 1, 1]]);
      const out = engine.process([ev(10)]);
      expect(out.retracted).toEqual([
        { aggregation: 'agg', windowStart: 0, windowEnd: 10, group: { g: 'a' }, version: 1 },
        { aggregation: 'agg', windowStart: 20, windowEnd: 30, group: { g: 'a' }, version: 1 },
      ]);
      expect(rows(out)).toEqual([[0, 30, 3, 3, 2]]);
      expect(engine.takeChangelog().map((e) => [e.key, e.value === null])).toEqual([
        ['clock', false],
        ['w/0/["a"]', false],
        ['w/20/["a"]', true],
        ['w/50/["other"]', false],
      ]);
    });

    it('retracts an emitted session that grows past the watermark, and emits it again once complete', () => {
      const engine = new WindowEngine(spec);
      engine.process([ev(0)]);
      expect(rows(engine.process([ev(15, { g: 'b' })]))).toEqual([[0, 10, 1, 1, 1]]);
      const grown = engine.process([ev(8)]);
      expect(grown.retracted.map((r) => [r.windowStart, r.windowEnd, r.version])).toEqual([
        [0, 10, 1],
      ]);
      expect(grown.updates).toEqual([]);
      expect(rows(engine.process([ev(40, { g: 'b' })]))).toEqual([
        [0, 18, 2, 2, 2],
        [15, 25, 1, 1, 1],
      ]);
    });

    it('drops a closed session so that an event touching it is late', () => {
      const engine = new WindowEngine(agg(session(10, 5)));
      engine.process([ev(0), ev(30, { g: 'b' })]);
      const out = engine.process([ev(9)]);
      expect(out.late).toHaveLength(1);
      expect(out.late[0].reason).toContain('behind watermark 30');
    });
  });

  describe('accumulators', () => {
    it('takes first and last by (timestamp, event_id), whatever the arrival order', () => {
      const events = [
        { event_id: 'b', timestamp: 5, g: 'a', v: 'b' },
        { event_id: 'a', timestamp: 5, g: 'a', v: 'a' },
        { event_id: 'c', timestamp: 5, g: 'a', v: 'c' },
      ];
      for (const order of [events, [...events].reverse()]) {
        expect(finalResults(agg(tumbling(10), { type: 'first', field: 'v' }), order)[0].value).toBe(
          'a',
        );
        expect(finalResults(agg(tumbling(10), { type: 'last', field: 'v' }), order)[0].value).toBe(
          'c',
        );
      }
    });

    it('computes OHLCV candles with several accumulators over one window', () => {
      const spec = agg(tumbling(60_000, 60_000), { name: 'candles', groupBy: ['symbol'] });
      const trades = [
        { event_id: 't1', timestamp: 1_000, symbol: 'BTC', price: 100, qty: 2 },
        { event_id: 't2', timestamp: 2_000, symbol: 'BTC', price: 110, qty: 1 },
        { event_id: 't3', timestamp: 3_000, symbol: 'BTC', price: 95, qty: 4 },
        { event_id: 't4', timestamp: 4_000, symbol: 'BTC', price: 105, qty: 0.5 },
        { event_id: 't5', timestamp: 61_000, symbol: 'BTC', price: 107, qty: 1 },
      ];
      const out = finalResults(spec, [...trades].reverse(), {
        accumulators: ohlcvAccumulators('price', 'qty'),
      });
      expect(out.map((r) => [r.windowStart, r.value, r.eventCount])).toEqual([
        [0, { open: 100, high: 110, low: 95, close: 105, volume: 7.5 }, 4],
        [60_000, { open: 107, high: 107, low: 107, close: 107, volume: 1 }, 1],
      ]);
    });

    it('computes count_distinct, sum, avg, min and max over a window', () => {
      const events = [ev(1, { u: 'x', v: 2 }), ev(2, { u: 'y', v: 3 }), ev(3, { u: 'x', v: 7 })];
      const value = (type: AggregationSpec['type'], field: string) =>
        finalResults(agg(tumbling(10), { type, field }), events)[0].value;
      expect(value('count_distinct', 'u')).toBe(2);
      expect(value('sum', 'v')).toBe(12);
      expect(value('avg', 'v')).toBe(4);
      expect(value('min', 'v')).toBe(2);
      expect(value('max', 'v')).toBe(7);
      expect(value('count', 'ignored')).toBe(3);
    });
  });

  describe('input checks', () => {
    it('returns events without a usable event_id or timestamp as invalid', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      const bad = [
        { event_id: 1, timestamp: 5 },
        { event_id: 'x', timestamp: Number.NaN },
        { event_id: 'y', timestamp: '5' },
      ] as unknown as WindowEvent[];
      const out = engine.process(bad);
      expect(out.invalid.map((i) => i.reason)).toEqual([
        'event_id must be a string',
        'timestamp must be a finite number of epoch milliseconds',
        'timestamp must be a finite number of epoch milliseconds',
      ]);
      expect(engine.watermark).toBe(-Infinity);
    });

    it('rejects a spec it cannot run, listing every problem', () => {
      const bad = agg({ type: 'sliding', sizeMs: 10, slideMs: 20, ...timing(-1) }, { type: 'sum' });
      expect(() => new WindowEngine(bad)).toThrow(
        'agg: window.slideMs must not exceed window.sizeMs; window.allowedLatenessMs must be >= 0; aggregation "agg" of type sum needs a field',
      );
      expect(
        () =>
          new WindowEngine(agg(tumbling(10)), {
            accumulators: [
              { name: 'x', type: 'count' },
              { name: 'x', type: 'count' },
            ],
          }),
      ).toThrow(WindowingError);
    });
  });

  describe('state', () => {
    it('holds the windows still open, however many events went through', () => {
      const sliding: WindowSpec = { type: 'sliding', sizeMs: 60, slideMs: 10, ...timing(20, 5) };
      const engines = [
        new WindowEngine(agg(tumbling(10, 20, 5))),
        new WindowEngine(agg(sliding, { type: 'count_distinct', field: 'u' })),
        new WindowEngine(agg(session(15, 20, 5))),
      ];
      for (const engine of engines) {
        let largest = 0;
        for (let batch = 0; batch < 200; batch++) {
          const events = Array.from({ length: 100 }, (_, i) =>
            ev(batch * 100 + i, { g: `k${i % 3}`, u: `user${i % 7}` }),
          );
          engine.process(events);
          largest = Math.max(largest, engine.snapshot().windows.length);
        }
        // 20,000 events over 20,000 ms; open at any time: the windows within the lateness
        // and out-of-orderness of the watermark (a few per group), not one per event.
        expect(largest).toBeLessThan(60);
      }
    });

    it('writes the changed windows and the clock to the changelog, and tombstones purged windows', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      engine.process([ev(1), ev(5)]);
      expect(engine.changedKeys()).toEqual([CLOCK_KEY, 'w/0/["a"]']);
      const first = engine.takeChangelog();
      expect(first[1]).toEqual({
        key: 'w/0/["a"]',
        value: {
          kind: 'window',
          start: 0,
          end: 10,
          group: ['a'],
          eventCount: 2,
          version: 0,
          accumulators: [{ type: 'count' }],
        },
      });
      expect(engine.changedKeys()).toEqual([]);
      engine.process([ev(12)]);
      expect(engine.takeChangelog()).toEqual([
        {
          key: CLOCK_KEY,
          value: { kind: 'clock', fingerprint: expect.any(String), watermark: 12, closed: false },
        },
        { key: 'w/0/["a"]', value: null },
        { key: 'w/10/["a"]', value: expect.objectContaining({ eventCount: 1 }) },
      ]);
    });

    it('restores from a snapshot to a byte-equal state', () => {
      const spec = agg(tumbling(10, 50), { type: 'count_distinct', field: 'u' });
      const engine = new WindowEngine(spec);
      engine.process([ev(1, { u: 'z' }), ev(2, { u: 'b' }), ev(12, { u: 'a' })]);
      const json = JSON.stringify(engine.snapshot());
      const copy = WindowEngine.restore(spec, JSON.parse(json));
      expect(JSON.stringify(copy.snapshot())).toBe(json);
      expect(engine.snapshot().windows[0].accumulators[0]).toEqual({
        type: 'count_distinct',
        values: ['"b"', '"z"'],
      });
    });

    it('refuses state written under another spec, or corrupt state', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      engine.process([ev(1)]);
      const snapshot = engine.snapshot();
      expect(() => WindowEngine.restore(agg(tumbling(20)), snapshot)).toThrow(
        expect.objectContaining({ code: 'STATE_SPEC_MISMATCH' }),
      );
      expect(() =>
        WindowEngine.restore(agg(tumbling(10), { type: 'sum', field: 'v' }), snapshot),
      ).toThrow(expect.objectContaining({ code: 'STATE_SPEC_MISMATCH' }));
      expect(() =>
        WindowEngine.restore(agg(tumbling(10)), { ...snapshot, windows: [{ kind: 'window' }] }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
      expect(() =>
        WindowEngine.fromEntries(agg(tumbling(10)), [
          { key: 'w/5/["a"]', value: snapshot.windows[0] },
        ]),
      ).toThrow('does not match its window');
    });

    it('keeps state valid when only the lateness or out-of-orderness changes', () => {
      const engine = new WindowEngine(agg(tumbling(10)));
      engine.process([ev(1)]);
      const restored = WindowEngine.restore(agg(tumbling(10, 500, 20)), engine.snapshot());
      expect(rows(restored.flush())).toEqual([[0, 10, 1, 1, 1]]);
    });

    it('restores from changelog entries, tombstones included', () => {
      const spec = agg(session(10, 100));
      const engine = new WindowEngine(spec);
      const log = new Map<string, unknown>();
      const write = () => engine.takeChangelog().forEach((e) => log.set(e.key, e.value));
      engine.process([ev(0), ev(20)]);
      write();
      engine.process([ev(50, { g: 'b' })]);
      write();
      const restored = WindowEngine.fromEntries(
        spec,
        [...log].map(([key, value]) => ({ key, value })),
      );
      expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(engine.snapshot()));
      expect(restored.process([ev(10)])).toEqual(engine.process([ev(10)]));
    });
  });
});
