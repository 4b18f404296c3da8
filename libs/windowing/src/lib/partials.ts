// Pre-aggregation (a combiner): events folded into mergeable partial accumulators, so that a
// stage can forward one record per (group, pane) instead of one per event, and the stage
// that owns the windows merges them. Every accumulator is mergeable (see accumulators.ts).
import type { AggregationType, WindowSpec } from '@platform/contracts';
import {
  AccumulatorState,
  addEvent,
  createAccumulator,
  deserializeAccumulator,
  mergeAccumulator,
  serializeAccumulator,
} from './accumulators';
import { canonicalJson, toJsonValue } from './canonical';
import { parseWindowState, type SerializedWindowState } from './state';
import type { AccumulatorSpec, JsonValue, WindowEvent } from './types';

/**
 * The accumulators of some events of one group within `[start, end)`:
 * - tumbling: the event's window;
 * - sliding: its pane, `gcd(size, slide)` wide, so every window is a whole number of panes;
 * - session: a session of those events alone (`start` = first event, `end` = last + gap).
 */
export interface PartialAggregate {
  start: number;
  end: number;
  readonly groupKey: string;
  readonly group: readonly JsonValue[];
  eventCount: number;
  readonly accumulators: AccumulatorState[];
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The pane width of a fixed window: its size (tumbling) or gcd(size, slide) (sliding). */
export function paneSize(window: WindowSpec): number {
  switch (window.type) {
    case 'tumbling':
      return window.sizeMs;
    case 'sliding':
      return gcd(window.sizeMs, window.slideMs);
    case 'session':
      return window.gapMs;
  }
}

/** The pane holding `t`, `[start, start + size)`, aligned to the epoch. */
export function paneStart(t: number, size: number): number {
  return Math.floor(t / size) * size + 0;
}

/**
 * Every fixed window that wholly contains the pane `[start, end)`, oldest first: for
 * tumbling windows the pane is the window; for sliding ones, each `k * slide` with
 * `k * slide <= start` and `end <= k * slide + size`.
 */
export function windowsOfPane(
  window: WindowSpec,
  start: number,
  end: number,
): { start: number; end: number }[] {
  if (window.type === 'tumbling') return [{ start, end: start + window.sizeMs }];
  if (window.type !== 'sliding') throw new RangeError('session windows have no panes');
  const { sizeMs, slideMs } = window;
  const out: { start: number; end: number }[] = [];
  for (let k = Math.ceil((end - sizeMs) / slideMs); k * slideMs <= start; k++) {
    const s = k * slideMs + 0;
    out.push({ start: s, end: s + sizeMs });
  }
  return out;
}

/** An event's group: its key (canonical JSON of its group-by values) and those values. */
export interface Group {
  readonly key: string;
  readonly values: JsonValue[];
}

/** The group of an event: canonical JSON of its group-by values (absent → null). */
export function groupOf(groupBy: readonly string[], event: WindowEvent): Group {
  // Per event: the canonical JSON of the values, built without intermediate arrays.
  const values: JsonValue[] = new Array<JsonValue>(groupBy.length);
  let key = '[';
  for (let i = 0; i < groupBy.length; i++) {
    const value = toJsonValue(event[groupBy[i]]);
    values[i] = value;
    key += i === 0 ? canonicalJson(value) : `,${canonicalJson(value)}`;
  }
  return { key: `${key}]`, values };
}

/** Bounds the memory of `Combiner`'s group keys for high-cardinality fields. */
const MAX_REMEMBERED_GROUPS = 4_096;

/**
 * Folds events into partials, one per (group, pane) or per (group, session). The caller
 * decides which events may be combined (not late, valid); `drain` hands the partials over
 * and starts afresh.
 */
export class Combiner {
  private readonly pane: number;
  /** Fixed windows: by group key, then pane start. */
  private readonly fixed = new Map<string, Map<number, PartialAggregate>>();
  /** Sessions: by group key, disjoint and sorted by start. */
  private readonly sessions = new Map<string, PartialAggregate[]>();
  private events = 0;
  private readonly groups = new Map<unknown, Group>();

  constructor(
    private readonly window: WindowSpec,
    private readonly groupBy: readonly string[],
    private readonly accumulators: readonly AccumulatorSpec[],
  ) {
    this.pane = paneSize(window);
  }

  /** Events folded since the last `drain`. */
  get size(): number {
    return this.events;
  }

  add(event: WindowEvent): void {
    this.events++;
    const group = this.groupOfEvent(event);
    const partial =
      this.window.type === 'session'
        ? this.sessionFor(event.timestamp, group.key, group.values)
        : this.paneFor(event.timestamp, group.key, group.values);
    partial.eventCount++;
    for (let i = 0; i < this.accumulators.length; i++) {
      addEvent(partial.accumulators[i], event, this.accumulators[i].field);
    }
  }

  drain(): PartialAggregate[] {
    const out: PartialAggregate[] = [];
    for (const panes of this.fixed.values()) out.push(...panes.values());
    for (const list of this.sessions.values()) out.push(...list);
    this.fixed.clear();
    this.sessions.clear();
    this.events = 0;
    return out;
  }

  /**
   * `groupOf`, remembered by raw value for a single scalar group-by field: such fields
   * mostly repeat a few values, and the key is built once per value instead of per event.
   */
  private groupOfEvent(event: WindowEvent): Group {
    if (this.groupBy.length !== 1) return groupOf(this.groupBy, event);
    const raw = event[this.groupBy[0]];
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      return groupOf(this.groupBy, event);
    }
    let group = this.groups.get(raw);
    if (group === undefined) {
      if (this.groups.size >= MAX_REMEMBERED_GROUPS) this.groups.clear();
      group = groupOf(this.groupBy, event);
      this.groups.set(raw, group);
    }
    return group;
  }

  private newPartial(
    start: number,
    end: number,
    groupKey: string,
    group: JsonValue[],
  ): PartialAggregate {
    return {
      start,
      end,
      groupKey,
      group,
      eventCount: 0,
      accumulators: this.accumulators.map((a) => createAccumulator(a.type)),
    };
  }

  private paneFor(t: number, groupKey: string, group: JsonValue[]): PartialAggregate {
    let panes = this.fixed.get(groupKey);
    if (panes === undefined) this.fixed.set(groupKey, (panes = new Map()));
    const start = paneStart(t, this.pane);
    let partial = panes.get(start);
    if (partial === undefined) {
      partial = this.newPartial(start, start + this.pane, groupKey, group);
      panes.set(start, partial);
    }
    return partial;
  }

  private sessionFor(t: number, groupKey: string, group: JsonValue[]): PartialAggregate {
    let list = this.sessions.get(groupKey);
    if (list === undefined) this.sessions.set(groupKey, (list = []));
    const end = t + this.pane;
    const { first, last } = touching(list, t, end);
    if (last - first === 1) {
      // The usual case: the event falls in (or extends) one session. Extending it cannot make
      // it touch a neighbour, since neighbours did not touch it or the event.
      const target = list[first];
      target.start = Math.min(target.start, t);
      target.end = Math.max(target.end, end);
      return target;
    }
    return mergeInterval(list, this.newPartial(t, end, groupKey, group), mergePartial).target;
  }
}

/** Folds `from` into `into`: counts and accumulators (bounds are the caller's). */
export function mergePartial(
  into: { eventCount: number; readonly accumulators: AccumulatorState[] },
  from: { readonly eventCount: number; readonly accumulators: readonly AccumulatorState[] },
): void {
  into.eventCount += from.eventCount;
  for (let i = 0; i < into.accumulators.length; i++) {
    mergeAccumulator(into.accumulators[i], from.accumulators[i]);
  }
}

/**
 * Puts the session `item` into `list` (disjoint sessions of one group, sorted by start),
 * merging every session it touches into one: `[s, e)` and `[s2, e2)` touch iff
 * `s <= e2 && s2 <= e` (touching sessions merge; `end` is the last event + gap). Returns
 * the session that now holds `item` and the ones absorbed into it (already removed).
 */
export function mergeInterval<T extends { start: number; end: number }>(
  list: T[],
  item: T,
  merge: (into: T, from: T) => void,
): { target: T; absorbed: T[] } {
  const { first: lo, last } = touching(list, item.start, item.end);
  if (last === lo) {
    list.splice(lo, 0, item);
    return { target: item, absorbed: [] };
  }
  const target = list[lo];
  const absorbed = list.slice(lo + 1, last);
  for (const other of absorbed) merge(target, other);
  merge(target, item);
  target.start = Math.min(target.start, item.start);
  target.end = Math.max(target.end, item.end, list[last - 1].end);
  list.splice(lo, last - lo, target);
  return { target, absorbed };
}

/**
 * The sessions of `list` (disjoint, sorted by start) that `[start, end)` touches:
 * `list[first .. last)`; none when `first === last`.
 */
function touching(
  list: readonly { start: number; end: number }[],
  start: number,
  end: number,
): { first: number; last: number } {
  // First session that ends at or after `start` (ends increase with starts).
  let first = 0;
  let hi = list.length;
  while (first < hi) {
    const mid = (first + hi) >> 1;
    if (list[mid].end < start) first = mid + 1;
    else hi = mid;
  }
  let last = first;
  while (last < list.length && list[last].start <= end) last++;
  return { first, last };
}

/** A partial as JSON: the window state shape, version 0. */
export function serializePartial(partial: PartialAggregate): SerializedWindowState {
  return {
    kind: 'window',
    start: partial.start,
    end: partial.end,
    group: partial.group,
    eventCount: partial.eventCount,
    version: 0,
    accumulators: partial.accumulators.map(serializeAccumulator),
  };
}

/** Parses `serializePartial` output read back from JSON; throws WindowingError when malformed. */
export function parsePartial(
  value: unknown,
  types: readonly AggregationType[],
  groupSize: number,
): PartialAggregate {
  const state = parseWindowState(value, types, groupSize, 'partial');
  return {
    start: state.start,
    end: state.end,
    groupKey: canonicalJson(state.group),
    group: [...state.group],
    eventCount: state.eventCount,
    accumulators: state.accumulators.map(deserializeAccumulator),
  };
}
