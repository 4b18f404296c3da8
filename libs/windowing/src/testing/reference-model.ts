import type { AggregationSpec } from '@platform/contracts';
import type { AccumulatorSpec, JsonValue, WindowEvent } from '../lib/types';

/**
 * A deliberately naive model of the window contract, for tests: it sees all events at once,
 * sorted, and computes each window from scratch. It shares no code with the engine.
 * Values must be small dyadic numbers (integers, quarters) so plain `+` is exact.
 */
export interface ReferenceRow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly group: Readonly<Record<string, JsonValue>>;
  readonly value: JsonValue;
  readonly eventCount: number;
}

function numeric(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function byTimeThenId(a: WindowEvent, b: WindowEvent): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

function accumulate(acc: AccumulatorSpec, events: readonly WindowEvent[]): JsonValue {
  const field = acc.field ?? '';
  const raw = events.map((e) => e[field]);
  const nums = raw.map(numeric).filter((v): v is number => v !== null);
  const sorted = [...events].sort(byTimeThenId);
  switch (acc.type) {
    case 'count':
      return events.length;
    case 'count_distinct':
      return new Set(raw.filter((v) => v !== null && v !== undefined).map((v) => JSON.stringify(v)))
        .size;
    case 'sum':
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0);
    case 'avg':
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0) / nums.length;
    case 'min':
      return nums.length === 0 ? null : Math.min(...nums);
    case 'max':
      return nums.length === 0 ? null : Math.max(...nums);
    case 'first':
      return (sorted[0][field] ?? null) as JsonValue;
    case 'last':
      return (sorted[sorted.length - 1][field] ?? null) as JsonValue;
  }
}

export function referenceResults(
  spec: AggregationSpec,
  events: readonly WindowEvent[],
  accumulators?: readonly AccumulatorSpec[],
): ReferenceRow[] {
  const accs = accumulators ?? [{ name: spec.name, type: spec.type, field: spec.field }];
  const groups = new Map<string, WindowEvent[]>();
  for (const e of events) {
    const key = JSON.stringify(spec.groupBy.map((f) => e[f] ?? null));
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const windows: { start: number; end: number; groupKey: string; events: WindowEvent[] }[] = [];
  for (const [groupKey, members] of groups) {
    const w = spec.window;
    if (w.type === 'session') {
      const sorted = [...members].sort(byTimeThenId);
      let current: WindowEvent[] = [];
      for (const e of sorted) {
        const prev = current[current.length - 1];
        if (prev !== undefined && e.timestamp - prev.timestamp > w.gapMs) {
          windows.push({
            start: current[0].timestamp,
            end: prev.timestamp + w.gapMs,
            groupKey,
            events: current,
          });
          current = [];
        }
        current.push(e);
      }
      const last = current[current.length - 1];
      if (last !== undefined) {
        windows.push({
          start: current[0].timestamp,
          end: last.timestamp + w.gapMs,
          groupKey,
          events: current,
        });
      }
    } else {
      const size = w.sizeMs;
      const slide = w.type === 'sliding' ? w.slideMs : w.sizeMs;
      const byStart = new Map<number, WindowEvent[]>();
      for (const e of members) {
        // Brute force over candidate starts: every multiple of the slide near t.
        for (let k = Math.floor(e.timestamp / slide) - Math.ceil(size / slide) - 1; ; k++) {
          const start = k * slide;
          if (start > e.timestamp) break;
          if (start <= e.timestamp && e.timestamp < start + size) {
            byStart.set(start, [...(byStart.get(start) ?? []), e]);
          }
        }
      }
      for (const [start, es] of byStart) {
        windows.push({ start, end: start + size, groupKey, events: es });
      }
    }
  }
  return windows
    .sort((a, b) =>
      a.start !== b.start
        ? a.start - b.start
        : a.end !== b.end
          ? a.end - b.end
          : a.groupKey < b.groupKey
            ? -1
            : 1,
    )
    .map((w) => {
      const values = JSON.parse(w.groupKey) as JsonValue[];
      const group: Record<string, JsonValue> = {};
      spec.groupBy.forEach((f, i) => (group[f] = values[i]));
      const value: JsonValue =
        accumulators === undefined
          ? accumulate(accs[0], w.events)
          : Object.fromEntries(accs.map((a) => [a.name, accumulate(a, w.events)]));
      return { windowStart: w.start, windowEnd: w.end, group, value, eventCount: w.events.length };
    });
}
