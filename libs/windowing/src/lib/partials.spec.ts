import { AGGREGATION_TYPES, type AggregationSpec, type WindowSpec } from '@platform/contracts';
import fc from 'fast-check';
import { referenceResults } from '../testing/reference-model';
import { applyOutputs } from './final-results';
import { Combiner, paneSize, parsePartial, serializePartial, windowsOfPane } from './partials';
import type { WindowEvent, WindowResult } from './types';
import { WindowEngine } from './window-engine';

const sliding = (sizeMs: number, slideMs: number): WindowSpec => ({
  type: 'sliding',
  sizeMs,
  slideMs,
  allowedLatenessMs: 0,
  outOfOrdernessMs: 0,
});

describe('panes', () => {
  it('are gcd(size, slide) wide for sliding windows, the window for tumbling ones', () => {
    expect(paneSize(sliding(10, 4))).toBe(2);
    expect(paneSize(sliding(600_000, 60_000))).toBe(60_000);
    expect(
      paneSize({ type: 'tumbling', sizeMs: 7, allowedLatenessMs: 0, outOfOrdernessMs: 0 }),
    ).toBe(7);
  });

  it('belong to every sliding window that wholly contains them, oldest first', () => {
    // size 10, slide 4: windows start at ..., -8, -4, 0, 4, 8; the pane [6, 8) is in [0, 10) and [4, 14).
    expect(windowsOfPane(sliding(10, 4), 6, 8)).toEqual([
      { start: 0, end: 10 },
      { start: 4, end: 14 },
    ]);
    expect(windowsOfPane(sliding(10, 4), -2, 0)).toEqual([
      { start: -8, end: 2 },
      { start: -4, end: 6 },
    ]);
    expect(windowsOfPane(sliding(3, 3), 3, 6)).toEqual([{ start: 3, end: 6 }]);
  });
});

describe(Combiner.name, () => {
  it('folds a batch into one partial per group and pane', () => {
    const combiner = new Combiner(sliding(10, 5), ['g'], [{ name: 'n', type: 'count' }]);
    for (const [t, g] of [
      [1, 'a'],
      [2, 'a'],
      [6, 'a'],
      [3, 'b'],
    ] as const) {
      combiner.add({ event_id: `${t}`, timestamp: t, g });
    }
    expect(combiner.size).toBe(4);
    const partials = combiner.drain().map((p) => [p.start, p.end, p.group, p.eventCount]);
    expect(partials).toEqual([
      [0, 5, ['a'], 2],
      [5, 10, ['a'], 1],
      [0, 5, ['b'], 1],
    ]);
    expect(combiner.size).toBe(0);
    expect(combiner.drain()).toEqual([]);
  });

  it('merges the sessions of a batch as they touch, whatever the order', () => {
    const combiner = new Combiner(
      { type: 'session', gapMs: 10, allowedLatenessMs: 0, outOfOrdernessMs: 0 },
      [],
      [{ name: 'n', type: 'count' }],
    );
    for (const t of [0, 40, 25, 12]) combiner.add({ event_id: `${t}`, timestamp: t });
    // 12 - 0, 25 - 12 and 40 - 25 all exceed the gap: four sessions.
    expect(combiner.drain().map((p) => [p.start, p.end, p.eventCount])).toEqual([
      [0, 10, 1],
      [12, 22, 1],
      [25, 35, 1],
      [40, 50, 1],
    ]);
    for (const t of [0, 20, 10]) combiner.add({ event_id: `${t}`, timestamp: t });
    // 10 bridges [0, 10) and [20, 30): touching sessions merge.
    expect(combiner.drain().map((p) => [p.start, p.end, p.eventCount])).toEqual([[0, 30, 3]]);
  });
});

// ---- the combiner's promise: partials merged anywhere give what the events give ------------

const windowArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.integer({ min: 1, max: 30 }).map(
    (sizeMs): WindowSpec => ({
      type: 'tumbling',
      sizeMs,
      allowedLatenessMs: 0,
      outOfOrdernessMs: 0,
    }),
  ),
  // Any size and slide, not only multiples: panes are then narrower than the slide.
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
    .map(([a, b]): WindowSpec => sliding(Math.max(a, b), Math.min(a, b))),
  fc.integer({ min: 1, max: 20 }).map(
    (gapMs): WindowSpec => ({
      type: 'session',
      gapMs,
      allowedLatenessMs: 0,
      outOfOrdernessMs: 0,
    }),
  ),
);

const eventsArb: fc.Arbitrary<WindowEvent[]> = fc
  .array(
    fc.record({
      t: fc.integer({ min: -60, max: 120 }),
      g: fc.constantFrom('a', 'b'),
      v: fc.oneof(
        fc.integer({ min: -40, max: 40 }).map((x) => x / 4),
        fc.constant(null),
      ),
      u: fc.constantFrom('x', 'y', 1),
    }),
    { maxLength: 50 },
  )
  .map((rows) =>
    rows.map(({ t, ...f }, i) => ({ event_id: `e${i % 7}-${i}`, timestamp: t, ...f })),
  );

function comparable(rows: readonly Omit<WindowResult, 'aggregation' | 'version'>[]): string[] {
  return rows
    .map((r) => JSON.stringify([r.windowStart, r.windowEnd, r.group, r.value, r.eventCount]))
    .sort();
}

describe('partials merged by the engine', () => {
  it('equal the reference for any split into sources and batches, through JSON', () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.constantFrom(...AGGREGATION_TYPES),
        fc.constantFrom<readonly string[]>([], ['g']),
        eventsArb,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        (window, type, groupBy, events, sizes) => {
          const field = type === 'count' ? undefined : type === 'count_distinct' ? 'u' : 'v';
          const spec: AggregationSpec = { name: 'a', eventType: 'e', type, field, window, groupBy };
          const accumulators = [{ name: 'a', type, field }];
          const engine = new WindowEngine(spec, { watermark: 'external' });
          const outputs = [];
          const types = accumulators.map((a) => a.type);
          for (let i = 0, k = 0; i < events.length; k++) {
            const size = sizes[k % sizes.length];
            const combiner = new Combiner(window, groupBy, accumulators);
            for (const e of events.slice(i, i + size)) combiner.add(e);
            i += size;
            const wire = combiner
              .drain()
              .map((p) => JSON.parse(JSON.stringify(serializePartial(p))));
            outputs.push(
              engine.mergePartials(wire.map((w) => parsePartial(w, types, groupBy.length))),
            );
          }
          outputs.push(engine.flush());
          expect(comparable(applyOutputs(outputs))).toEqual(
            comparable(referenceResults(spec, events)),
          );
        },
      ),
    );
  });

  it('are refused, changing nothing, once their window has closed', () => {
    const spec: AggregationSpec = {
      name: 'a',
      eventType: 'e',
      type: 'count',
      window: { type: 'tumbling', sizeMs: 10, allowedLatenessMs: 5, outOfOrdernessMs: 0 },
      groupBy: [],
    };
    const engine = new WindowEngine(spec, { watermark: 'external' });
    engine.advanceWatermark(15);
    const combiner = new Combiner(spec.window, [], [{ name: 'a', type: 'count' }]);
    combiner.add({ event_id: 'x', timestamp: 3 });
    combiner.add({ event_id: 'y', timestamp: 12 });
    const result = engine.mergePartials(combiner.drain());
    expect(result.refused.map((r) => [r.partial.start, r.reason])).toEqual([
      [0, 'partial [0,10) arrived after its window closed at watermark 15'],
    ]);
    expect(engine.advanceWatermark(20).updates.map((u) => [u.windowStart, u.value])).toEqual([
      [10, 1],
    ]);
  });
});
