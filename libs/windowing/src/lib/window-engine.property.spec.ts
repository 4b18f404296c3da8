import {
  AGGREGATION_TYPES,
  AggregationSpec,
  AggregationType,
  WindowSpec,
} from '@platform/contracts';
import fc from 'fast-check';
import { referenceResults } from '../testing/reference-model';
import { tumblingWindow } from './assigners';
import { applyOutputs, finalResults } from './final-results';
import { ohlcvAccumulators } from './ohlcv';
import type { AccumulatorSpec, ProcessResult, WindowEvent, WindowResult } from './types';
import { WindowEngine } from './window-engine';

// ---- generators ---------------------------------------------------------------------------

const timingArb = fc.record({
  allowedLatenessMs: fc.integer({ min: 0, max: 20 }),
  outOfOrdernessMs: fc.integer({ min: 0, max: 10 }),
});

const windowArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 30 }), timingArb)
    .map(([sizeMs, t]): WindowSpec => ({ type: 'tumbling', sizeMs, ...t })),
  fc
    .tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), timingArb)
    .map(
      ([slideMs, m, t]): WindowSpec => ({ type: 'sliding', sizeMs: slideMs * m, slideMs, ...t }),
    ),
  fc
    .tuple(fc.integer({ min: 1, max: 20 }), timingArb)
    .map(([gapMs, t]): WindowSpec => ({ type: 'session', gapMs, ...t })),
);

function fieldFor(type: AggregationType): string | undefined {
  if (type === 'count') return undefined;
  return type === 'count_distinct' ? 'u' : 'v';
}

interface Setup {
  readonly spec: AggregationSpec;
  readonly accumulators?: readonly AccumulatorSpec[];
}

const setupArb: fc.Arbitrary<Setup> = fc
  .tuple(
    windowArb,
    fc.constantFrom(...AGGREGATION_TYPES),
    fc.constantFrom<readonly string[]>([], ['g'], ['g', 'h']),
    fc.boolean(),
  )
  .map(([window, type, groupBy, ohlcv]) => ({
    spec: { name: 'agg', eventType: 'e', type, field: fieldFor(type), window, groupBy },
    accumulators: ohlcv
      ? [...ohlcvAccumulators('v', 'v'), { name: 'users', type: 'count_distinct', field: 'u' }]
      : undefined,
  }));

/** Values are quarters, so plain `+` in the reference is exact. */
const eventsArb: fc.Arbitrary<WindowEvent[]> = fc
  .array(
    fc.record({
      t: fc.integer({ min: -60, max: 120 }),
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      g: fc.constantFrom('a', 'b', 'c'),
      h: fc.constantFrom(1, 2),
      v: fc.oneof(
        fc.integer({ min: -40, max: 40 }).map((x) => x / 4),
        fc.constant(null),
      ),
      u: fc.constantFrom('x', 'y', 'z', 1),
    }),
    { maxLength: 40 },
  )
  // Event ids are unique; their order is unrelated to time or arrival, so ties matter.
  .map((rows) =>
    rows.map(({ t, id, ...fields }, i) => ({ event_id: `${id}${i}`, timestamp: t, ...fields })),
  );

/** Arrival order: sort by a random key per event. */
function reorder<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(keys.length, 1)] ?? i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

function batches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < items.length) {
    const size = 1 + (sizes[k++ % Math.max(sizes.length, 1)] ?? items.length);
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

const keysArb = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 40 });
const sizesArb = fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 10 });

// ---- helpers ------------------------------------------------------------------------------

function comparable(rows: readonly Omit<WindowResult, 'aggregation' | 'version'>[]): string[] {
  return rows
    .map((r) => JSON.stringify([r.windowStart, r.windowEnd, r.group, r.value, r.eventCount]))
    .sort();
}

function run(setup: Setup, input: readonly (readonly WindowEvent[])[]): ProcessResult[] {
  const engine = new WindowEngine(setup.spec, { accumulators: setup.accumulators });
  return [...input.map((b) => engine.process(b)), engine.flush()];
}

function lateIds(outputs: readonly ProcessResult[]): Set<string> {
  return new Set(outputs.flatMap((o) => o.late.map((l) => l.event.event_id)));
}

// ---- properties ---------------------------------------------------------------------------

describe('WindowEngine properties', () => {
  it('gives the sorted-input results for any arrival order whose disorder stays within the lateness bound', () => {
    fc.assert(
      fc.property(setupArb, eventsArb, keysArb, sizesArb, (setup, events, keys, sizes) => {
        const w = setup.spec.window;
        // Shift each arrival by at most out-of-orderness + lateness: the watermark an event
        // meets is then at most t + lateness, so no event is late under the rule.
        const bound = w.outOfOrdernessMs + w.allowedLatenessMs;
        const arrival = events
          .map((e, i) => ({ e, key: e.timestamp + (keys[i % keys.length] % (bound + 1)) }))
          .sort((a, b) => a.key - b.key)
          .map((x) => x.e);
        const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);

        const outputs = run(setup, batches(arrival, sizes));
        expect(lateIds(outputs).size).toBe(0);
        const expected = comparable(referenceResults(setup.spec, events, setup.accumulators));
        expect(comparable(applyOutputs(outputs))).toEqual(expected);
        expect(
          comparable(finalResults(setup.spec, sorted, { accumulators: setup.accumulators })),
        ).toEqual(expected);
      }),
    );
  });

  it('for any arrival order and batching, equals the reference over the events it did not call late', () => {
    fc.assert(
      fc.property(setupArb, eventsArb, keysArb, sizesArb, (setup, events, keys, sizes) => {
        const arrival = reorder(events, keys);
        const outputs = run(setup, batches(arrival, sizes));
        const late = lateIds(outputs);
        const accepted = events.filter((e) => !late.has(e.event_id));
        expect(comparable(applyOutputs(outputs))).toEqual(
          comparable(referenceResults(setup.spec, accepted, setup.accumulators)),
        );
        // Lateness is judged event by event, so batching changes neither lateness nor values.
        const oneBatch = run(setup, [arrival]);
        expect(lateIds(oneBatch)).toEqual(late);
        expect(comparable(applyOutputs(oneBatch))).toEqual(comparable(applyOutputs(outputs)));
      }),
    );
  });

  it('leaves a sink with the reference sessions when late events grow and merge emitted sessions', () => {
    // Some events arrive after all the others, within a long lateness: the sessions the rest
    // formed have fired by then, and the held-back events extend or bridge them.
    const caseArb = fc.record({
      gapMs: fc.integer({ min: 2, max: 6 }),
      allowedLatenessMs: fc.integer({ min: 10, max: 60 }),
      outOfOrdernessMs: fc.integer({ min: 0, max: 2 }),
      times: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 10, maxLength: 20 }),
      groups: fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 3 }),
      held: fc.array(fc.boolean(), { minLength: 1 }),
      sizes: sizesArb,
    });
    let absorbed = 0;
    fc.assert(
      fc.property(caseArb, ({ times, groups, held, sizes, ...window }) => {
        const spec: AggregationSpec = {
          name: 'sessions',
          eventType: 'e',
          type: 'sum',
          field: 'v',
          window: { type: 'session', ...window },
          groupBy: ['g'],
        };
        const events: WindowEvent[] = times.map((t, i) => ({
          event_id: `e${i}`,
          timestamp: t,
          g: groups[i % groups.length],
          v: i,
        }));
        const isHeld = (i: number) => held[i % held.length];
        const arrival = [
          ...events.filter((_, i) => !isHeld(i)).sort((a, b) => a.timestamp - b.timestamp),
          ...events.filter((_, i) => isHeld(i)),
        ];
        const outputs = run({ spec }, batches(arrival, sizes));
        absorbed += outputs.filter((o) => o.retracted.length >= 2).length;
        const late = lateIds(outputs);
        expect(comparable(applyOutputs(outputs))).toEqual(
          comparable(
            referenceResults(
              spec,
              events.filter((e) => !late.has(e.event_id)),
            ),
          ),
        );
      }),
      { numRuns: 300 },
    );
    expect(absorbed).toBeGreaterThan(0);
  });

  it('emits strictly increasing versions per window start and group, and retracts only rows it emitted', () => {
    fc.assert(
      fc.property(setupArb, eventsArb, keysArb, sizesArb, (setup, events, keys, sizes) => {
        const outputs = run(setup, batches(reorder(events, keys), sizes));
        const versions = new Map<string, number>();
        const live = new Map<string, number>();
        for (const out of outputs) {
          for (const r of out.retracted) {
            const row = JSON.stringify([r.windowStart, r.windowEnd, r.group]);
            expect(live.get(row)).toBe(r.version);
            live.delete(row);
          }
          const seen = new Set<string>();
          for (const u of out.updates) {
            const key = JSON.stringify([u.windowStart, u.group]);
            expect(seen.has(JSON.stringify([key, u.windowEnd]))).toBe(false);
            seen.add(JSON.stringify([key, u.windowEnd]));
            expect(u.version).toBeGreaterThan(versions.get(key) ?? 0);
            versions.set(key, u.version);
            live.set(JSON.stringify([u.windowStart, u.windowEnd, u.group]), u.version);
          }
        }
      }),
    );
  });

  it('continues identically after snapshot → JSON → restore, at any split point', () => {
    fc.assert(
      fc.property(
        setupArb,
        eventsArb,
        keysArb,
        sizesArb,
        fc.nat(),
        (setup, events, keys, sizes, splitSeed) => {
          const input = batches(reorder(events, keys), sizes);
          const split = input.length === 0 ? 0 : splitSeed % (input.length + 1);
          const options = { accumulators: setup.accumulators };
          const whole = run(setup, input);

          const first = new WindowEngine(setup.spec, options);
          const before = input.slice(0, split).map((b) => first.process(b));
          const json = JSON.stringify(first.snapshot());
          const second = WindowEngine.restore(setup.spec, JSON.parse(json), options);
          expect(JSON.stringify(second.snapshot())).toBe(json);
          const after = [...input.slice(split).map((b) => second.process(b)), second.flush()];
          expect([...before, ...after]).toEqual(whole);
        },
      ),
    );
  });

  it('continues identically after restoring from the compacted changelog, at any split point', () => {
    fc.assert(
      fc.property(
        setupArb,
        eventsArb,
        keysArb,
        sizesArb,
        fc.nat(),
        (setup, events, keys, sizes, splitSeed) => {
          const input = batches(reorder(events, keys), sizes);
          const split = input.length === 0 ? 0 : splitSeed % (input.length + 1);
          const options = { accumulators: setup.accumulators };
          const whole = run(setup, input);

          const first = new WindowEngine(setup.spec, options);
          const topic = new Map<string, string>();
          const before = input.slice(0, split).map((b) => {
            const out = first.process(b);
            for (const e of first.takeChangelog()) topic.set(e.key, JSON.stringify(e.value));
            return out;
          });
          // Compaction keeps the last record per key; tombstones may or may not survive it.
          const entries = [...topic].map(([key, value]) => ({
            key,
            value: JSON.parse(value) as unknown,
          }));
          const second = WindowEngine.fromEntries(setup.spec, entries, options);
          expect(JSON.stringify(second.snapshot())).toBe(JSON.stringify(first.snapshot()));
          const withoutTombstones = WindowEngine.fromEntries(
            setup.spec,
            entries.filter((e) => e.value !== null),
            options,
          );
          expect(JSON.stringify(withoutTombstones.snapshot())).toBe(
            JSON.stringify(first.snapshot()),
          );
          const after = [...input.slice(split).map((b) => second.process(b)), second.flush()];
          expect([...before, ...after]).toEqual(whole);
        },
      ),
    );
  });

  it('makes each sliding window the union of its panes (count, sum, count_distinct)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        timingArb,
        eventsArb,
        (slideMs, m, timing, events) => {
          const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
          const sizeMs = slideMs * m;
          const spec = (type: AggregationType, window: WindowSpec): AggregationSpec => ({
            name: type,
            eventType: 'e',
            type,
            field: fieldFor(type),
            window,
            groupBy: ['g'],
          });
          const slidingWindow: WindowSpec = { type: 'sliding', sizeMs, slideMs, ...timing };
          const paneWindow: WindowSpec = { type: 'tumbling', sizeMs: slideMs, ...timing };
          const byWindow = (rows: readonly WindowResult[]) =>
            new Map(rows.map((r) => [JSON.stringify([r.windowStart, r.group]), r]));

          const panes = {
            count: byWindow(finalResults(spec('count', paneWindow), sorted)),
            sum: byWindow(finalResults(spec('sum', paneWindow), sorted)),
          };
          const paneValues = new Map<string, Set<string>>();
          for (const e of sorted) {
            const key = JSON.stringify([tumblingWindow(e.timestamp, slideMs).start, { g: e['g'] }]);
            paneValues.set(key, (paneValues.get(key) ?? new Set()).add(JSON.stringify(e['u'])));
          }

          const slidingCount = finalResults(spec('count', slidingWindow), sorted);
          const slidingSum = byWindow(finalResults(spec('sum', slidingWindow), sorted));
          const slidingDistinct = byWindow(
            finalResults(spec('count_distinct', slidingWindow), sorted),
          );

          // Every window with a non-empty pane has a row, and no other window does.
          const expectedWindows = new Set<string>();
          for (const key of panes.count.keys()) {
            const [start, group] = JSON.parse(key) as [number, unknown];
            for (let i = 0; i < m; i++)
              expectedWindows.add(JSON.stringify([start - i * slideMs, group]));
          }
          expect(
            new Set(slidingCount.map((r) => JSON.stringify([r.windowStart, r.group]))),
          ).toEqual(expectedWindows);

          for (const row of slidingCount) {
            const paneKeys = Array.from({ length: m }, (_, i) =>
              JSON.stringify([row.windowStart + i * slideMs, row.group]),
            );
            const key = JSON.stringify([row.windowStart, row.group]);
            const count = paneKeys.reduce(
              (n, k) => n + ((panes.count.get(k)?.value as number) ?? 0),
              0,
            );
            expect(row.value).toBe(count);
            const sums = paneKeys
              .map((k) => panes.sum.get(k)?.value)
              .filter((v): v is number => typeof v === 'number');
            expect(slidingSum.get(key)?.value).toBe(
              sums.length === 0 ? null : sums.reduce((a, b) => a + b, 0),
            );
            const union = new Set(paneKeys.flatMap((k) => [...(paneValues.get(k) ?? [])]));
            expect(slidingDistinct.get(key)?.value).toBe(union.size);
          }
        },
      ),
    );
  });
});
