import type { AggregationType } from '@platform/contracts';
import { canonicalJson, compareStrings, toJsonValue, toNumber } from './canonical';
import { addToPartials, partialsValue } from './exact-sum';
import type { JsonValue, WindowEvent } from './types';

/** The event a first/last accumulator currently holds. */
export interface PickedEvent {
  readonly timestamp: number;
  readonly eventId: string;
  readonly value: JsonValue;
}

/** The JSON form of one accumulator's state, as stored in snapshots and the changelog. */
export type SerializedAccumulator =
  | { readonly type: 'count' }
  | { readonly type: 'count_distinct'; readonly values: readonly string[] }
  | { readonly type: 'sum' | 'avg'; readonly n: number; readonly partials: readonly number[] }
  | { readonly type: 'min' | 'max'; readonly value: number | null }
  | { readonly type: 'first' | 'last'; readonly pick: PickedEvent | null };

/** The in-memory, mutable form; never leaves the engine. */
export type AccumulatorState =
  | { type: 'count' }
  | { type: 'count_distinct'; values: Set<string> }
  | { type: 'sum' | 'avg'; n: number; partials: number[] }
  | { type: 'min' | 'max'; value: number | null }
  | { type: 'first' | 'last'; pick: PickedEvent | null };

export function createAccumulator(type: AggregationType): AccumulatorState {
  switch (type) {
    case 'count':
      return { type };
    case 'count_distinct':
      return { type, values: new Set() };
    case 'sum':
    case 'avg':
      return { type, n: 0, partials: [] };
    case 'min':
    case 'max':
      return { type, value: null };
    case 'first':
    case 'last':
      return { type, pick: null };
  }
}

/** Orders events by `(timestamp, event_id)`, then by value so even duplicate ids are stable. */
function comparePicks(a: PickedEvent, b: PickedEvent): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const byId = compareStrings(a.eventId, b.eventId);
  return byId !== 0 ? byId : compareStrings(canonicalJson(a.value), canonicalJson(b.value));
}

function pickBetter(
  type: 'first' | 'last',
  current: PickedEvent | null,
  candidate: PickedEvent | null,
): PickedEvent | null {
  if (current === null) return candidate;
  if (candidate === null) return current;
  const order = comparePicks(candidate, current);
  return (type === 'first' ? order < 0 : order > 0) ? candidate : current;
}

function addNumber(acc: AccumulatorState, value: number | null): void {
  if (value === null) return;
  switch (acc.type) {
    case 'sum':
    case 'avg':
      acc.n += 1;
      addToPartials(acc.partials, value);
      return;
    case 'min':
      acc.value = acc.value === null ? value : Math.min(acc.value, value);
      return;
    case 'max':
      acc.value = acc.value === null ? value : Math.max(acc.value, value);
      return;
    default:
      return;
  }
}

/** Adds one event; `field` is the accumulator's field (unused by `count`). */
export function addEvent(
  acc: AccumulatorState,
  event: WindowEvent,
  field: string | undefined,
): void {
  const raw = field === undefined ? undefined : event[field];
  switch (acc.type) {
    case 'count':
      return;
    case 'count_distinct':
      // SQL's COUNT(DISTINCT x) ignores NULL.
      if (typeof raw === 'string')
        acc.values.add(JSON.stringify(raw)); // its canonical JSON
      else if (raw !== null && raw !== undefined) acc.values.add(canonicalJson(toJsonValue(raw)));
      return;
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      addNumber(acc, toNumber(raw));
      return;
    case 'first':
    case 'last':
      acc.pick = pickBetter(acc.type, acc.pick, {
        timestamp: event.timestamp,
        eventId: event.event_id,
        value: toJsonValue(raw),
      });
      return;
  }
}

/** Folds `from` into `into` (session merges); both have the same type. */
export function mergeAccumulator(into: AccumulatorState, from: AccumulatorState): void {
  switch (into.type) {
    case 'count':
      return;
    case 'count_distinct':
      if (from.type === 'count_distinct') for (const v of from.values) into.values.add(v);
      return;
    case 'sum':
    case 'avg':
      if (from.type === 'sum' || from.type === 'avg') {
        into.n += from.n;
        for (const p of from.partials) addToPartials(into.partials, p);
      }
      return;
    case 'min':
    case 'max':
      if (from.type === 'min' || from.type === 'max') addNumber(into, from.value);
      return;
    case 'first':
    case 'last':
      if (from.type === 'first' || from.type === 'last') {
        into.pick = pickBetter(into.type, into.pick, from.pick);
      }
      return;
  }
}

/**
 * The accumulator's result. `sum`, `avg`, `min` and `max` are `null` when no event in the
 * window carried a numeric value (SQL semantics); `count` is the number of events.
 */
export function accumulatorValue(acc: AccumulatorState, eventCount: number): JsonValue {
  switch (acc.type) {
    case 'count':
      return eventCount;
    case 'count_distinct':
      return acc.values.size;
    case 'sum':
      return acc.n === 0 ? null : partialsValue(acc.partials);
    case 'avg':
      return acc.n === 0 ? null : partialsValue(acc.partials) / acc.n;
    case 'min':
    case 'max':
      return acc.value;
    case 'first':
    case 'last':
      return acc.pick === null ? null : acc.pick.value;
  }
}

export function serializeAccumulator(acc: AccumulatorState): SerializedAccumulator {
  switch (acc.type) {
    case 'count':
      return { type: acc.type };
    case 'count_distinct':
      return { type: acc.type, values: [...acc.values].sort(compareStrings) };
    case 'sum':
    case 'avg':
      return { type: acc.type, n: acc.n, partials: [...acc.partials] };
    case 'min':
    case 'max':
      return { type: acc.type, value: acc.value };
    case 'first':
    case 'last':
      return { type: acc.type, pick: acc.pick };
  }
}

export function deserializeAccumulator(state: SerializedAccumulator): AccumulatorState {
  switch (state.type) {
    case 'count':
      return { type: state.type };
    case 'count_distinct':
      return { type: state.type, values: new Set(state.values) };
    case 'sum':
    case 'avg':
      return { type: state.type, n: state.n, partials: [...state.partials] };
    case 'min':
    case 'max':
      return { type: state.type, value: state.value };
    case 'first':
    case 'last':
      return { type: state.type, pick: state.pick };
  }
}
