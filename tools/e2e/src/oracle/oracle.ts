/**
 * The oracle: an independent, batch reference implementation of the window semantics in
 * libs/windowing/README.md ("Semantics"). It computes the expected aggregate rows
 * straight from the full list of events, with no streaming state, no incremental
 * accumulators and no code shared with libs/windowing, so a bug there cannot hide itself.
 *
 * It is written to be obviously correct, not fast: every window's events are collected into
 * a list, sorted, and the value is computed from that list.
 */
import type { AggregationSpec, DomainModel, WindowSpec } from '@platform/contracts';

/** One event: `event_id` and `timestamp` (epoch ms, UTC), then any other fields. */
export interface OracleEvent {
  readonly event_id: string;
  readonly timestamp: number;
  readonly [field: string]: unknown;
}

/** One expected aggregate row: the value of a window `[windowStart, windowEnd)` for a group. */
export interface OracleRow {
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The group-by values by field name (`{}` without group-by); absent values are `null`. */
  readonly group: Readonly<Record<string, unknown>>;
  readonly value: unknown;
  /** The number of events in the window and group. */
  readonly eventCount: number;
}

/** An event beyond the allowed lateness: it is in no row. */
export interface OracleLateEvent {
  readonly event: OracleEvent;
  /** Its position in the arrival order, from 0. */
  readonly arrivalIndex: number;
  /** The watermark it was judged against (max event time arrived so far − out-of-orderness). */
  readonly watermark: number;
  readonly reason: string;
}

export interface OracleResult {
  readonly rows: OracleRow[];
  readonly late: OracleLateEvent[];
}

export interface ExpectedAggregatesOptions {
  /**
   * The same events in the order they arrived (a permutation of `events`); lateness is
   * decided against it. Default: `events` in the order given.
   */
  readonly arrivalOrder?: readonly OracleEvent[];
}

// ---- small, self-contained helpers ---------------------------------------------------------

/** JSON with object keys sorted, `undefined` as `null`, bigints as numbers: equal values, equal strings. */
export function stableJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(Number(value));
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodeUnits);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(record[k])}`).join(',')}}`;
}

/** Compares strings by UTF-16 code units (no locale), as `event_id`s are compared. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A field value as it appears in a row: `undefined` becomes `null`, a bigint a number. */
function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** The numeric value of a field, or null when it has none (SQL NULL semantics). */
function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** Event order for first/last: `(timestamp, event_id as a string)`, then the value, for stability. */
function compareEvents(a: OracleEvent, b: OracleEvent, field: string | undefined): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const byId = compareCodeUnits(a.event_id, b.event_id);
  if (byId !== 0 || field === undefined) return byId;
  return compareCodeUnits(stableJson(a[field]), stableJson(b[field]));
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

// ---- validation -----------------------------------------------------------------------------

function checkSpec(spec: AggregationSpec): void {
  const w = spec.window;
  const positive = (n: number, what: string): void => {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new Error(`oracle: ${spec.name}: ${what} must be a positive integer, got ${n}`);
    }
  };
  const nonNegative = (n: number, what: string): void => {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`oracle: ${spec.name}: ${what} must be a non-negative integer, got ${n}`);
    }
  };
  if (w.type === 'tumbling') positive(w.sizeMs, 'sizeMs');
  if (w.type === 'sliding') {
    positive(w.sizeMs, 'sizeMs');
    positive(w.slideMs, 'slideMs');
  }
  if (w.type === 'session') positive(w.gapMs, 'gapMs');
  nonNegative(w.allowedLatenessMs, 'allowedLatenessMs');
  nonNegative(w.outOfOrdernessMs, 'outOfOrdernessMs');
  if (spec.type !== 'count' && spec.field === undefined) {
    throw new Error(`oracle: ${spec.name}: a ${spec.type} aggregation needs a field`);
  }
}

function checkEvent(event: OracleEvent, index: number): void {
  if (typeof event.event_id !== 'string') {
    throw new Error(`oracle: event #${index} has no string event_id`);
  }
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
    throw new Error(`oracle: event #${index} (${event.event_id}) has no finite timestamp`);
  }
}

// ---- window assignment ----------------------------------------------------------------------

interface Bounds {
  readonly start: number;
  readonly end: number;
}

/**
 * Every tumbling or sliding window holding `t`, oldest first. Tumbling: the one window
 * `start = floor(t / S) * S`. Sliding: every `start = k * D` with `start <= t < start + S`,
 * found by walking back from the newest start `floor(t / D) * D`.
 */
export function fixedWindowsOf(window: WindowSpec, t: number): Bounds[] {
  if (window.type === 'tumbling') {
    const start = floorDiv(t, window.sizeMs) * window.sizeMs + 0;
    return [{ start, end: start + window.sizeMs }];
  }
  if (window.type === 'sliding') {
    const found: Bounds[] = [];
    for (let k = floorDiv(t, window.slideMs); k * window.slideMs + window.sizeMs > t; k--) {
      const start = k * window.slideMs + 0;
      found.unshift({ start, end: start + window.sizeMs });
    }
    return found;
  }
  throw new Error('oracle: session windows are not fixed windows');
}

// ---- lateness -------------------------------------------------------------------------------

/**
 * The lateness rule (the one libs/windowing documents): an event at `t` is late at watermark
 * `w` iff the earliest-ending window it belongs to, or could merge with, has closed.
 *
 * - tumbling / sliding: late iff `oldestWindowEnd(t) + allowedLatenessMs <= w`, where the
 *   oldest window is the earliest-ending window holding `t` (for tumbling, its only one);
 * - session: late iff `t + allowedLatenessMs < w`. A session whose last event is `t - gap`
 *   ends at `t` and the event would join it; that session closes once `w > t + lateness`.
 */
export function isLateAt(window: WindowSpec, t: number, watermark: number): boolean {
  if (window.type === 'session') return t + window.allowedLatenessMs < watermark;
  const oldest = fixedWindowsOf(window, t)[0];
  return oldest.end + window.allowedLatenessMs <= watermark;
}

function lateReason(window: WindowSpec, t: number, watermark: number): string {
  const lateness = window.allowedLatenessMs;
  if (window.type === 'session') {
    return `session: event time ${t} + allowed lateness ${lateness} < watermark ${watermark}`;
  }
  const oldest = fixedWindowsOf(window, t)[0];
  return `${window.type}: window [${oldest.start},${oldest.end}) + allowed lateness ${lateness} <= watermark ${watermark}`;
}

/**
 * Which events of `arrivalOrder` are late. The watermark at an event's arrival is the
 * maximum timestamp of the events that arrived before it or with it, minus
 * `outOfOrdernessMs` (one watermark for the whole aggregation).
 */
export function lateEvents(
  spec: AggregationSpec,
  arrivalOrder: readonly OracleEvent[],
): OracleLateEvent[] {
  checkSpec(spec);
  const late: OracleLateEvent[] = [];
  let maxTime = -Infinity;
  arrivalOrder.forEach((event, arrivalIndex) => {
    checkEvent(event, arrivalIndex);
    maxTime = Math.max(maxTime, event.timestamp);
    const watermark = maxTime - spec.window.outOfOrdernessMs;
    if (isLateAt(spec.window, event.timestamp, watermark)) {
      const reason = lateReason(spec.window, event.timestamp, watermark);
      late.push({ event, arrivalIndex, watermark, reason });
    }
  });
  return late;
}

// ---- accumulation ---------------------------------------------------------------------------

/** The value of an aggregation over the events of one window and group. */
export function aggregateValue(spec: AggregationSpec, events: readonly OracleEvent[]): unknown {
  const field = spec.field;
  const sorted = [...events].sort((a, b) => compareEvents(a, b, field));
  const raw = field === undefined ? [] : sorted.map((e) => e[field]);
  const numbers = raw.map(numericValue).filter((n): n is number => n !== null);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const n of numbers) {
    sum += n;
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  switch (spec.type) {
    case 'count':
      return events.length;
    case 'count_distinct':
      return new Set(raw.filter((v) => v !== null && v !== undefined).map(stableJson)).size;
    case 'sum':
      return numbers.length === 0 ? null : sum;
    case 'avg':
      return numbers.length === 0 ? null : sum / numbers.length;
    case 'min':
      return numbers.length === 0 ? null : min;
    case 'max':
      return numbers.length === 0 ? null : max;
    case 'first':
      return sorted.length === 0 ? null : plain(raw[0]);
    case 'last':
      return sorted.length === 0 ? null : plain(raw[raw.length - 1]);
  }
}

/** Stable order of rows: window start, window end, then the group's JSON. */
export function compareRows(a: OracleRow, b: OracleRow): number {
  if (a.windowStart !== b.windowStart) return a.windowStart < b.windowStart ? -1 : 1;
  if (a.windowEnd !== b.windowEnd) return a.windowEnd < b.windowEnd ? -1 : 1;
  return compareCodeUnits(stableJson(a.group), stableJson(b.group));
}

function groupOf(spec: AggregationSpec, event: OracleEvent): Record<string, unknown> {
  const group: Record<string, unknown> = {};
  for (const field of spec.groupBy) group[field] = plain(event[field]);
  return group;
}

/** The rows of the given (on-time) events, with no lateness applied. */
export function aggregateAll(spec: AggregationSpec, events: readonly OracleEvent[]): OracleRow[] {
  checkSpec(spec);
  events.forEach(checkEvent);
  const buckets = new Map<
    string,
    { bounds: Bounds; group: Record<string, unknown>; events: OracleEvent[] }
  >();
  const add = (bounds: Bounds, group: Record<string, unknown>, event: OracleEvent): void => {
    const key = `${bounds.start}|${bounds.end}|${stableJson(group)}`;
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { bounds, group, events: [] };
      buckets.set(key, bucket);
    }
    bucket.events.push(event);
  };

  const window = spec.window;
  if (window.type === 'session') {
    const byGroup = new Map<string, { group: Record<string, unknown>; events: OracleEvent[] }>();
    for (const event of events) {
      const group = groupOf(spec, event);
      const key = stableJson(group);
      const entry = byGroup.get(key) ?? { group, events: [] };
      entry.events.push(event);
      byGroup.set(key, entry);
    }
    for (const { group, events: keyed } of byGroup.values()) {
      const sorted = [...keyed].sort((a, b) => compareEvents(a, b, undefined));
      let session: OracleEvent[] = [];
      const close = (): void => {
        const bounds = {
          start: session[0].timestamp,
          end: session[session.length - 1].timestamp + window.gapMs,
        };
        for (const e of session) add(bounds, group, e);
      };
      for (const event of sorted) {
        const previous = session[session.length - 1];
        if (previous !== undefined && event.timestamp - previous.timestamp > window.gapMs) {
          close();
          session = [];
        }
        session.push(event);
      }
      if (session.length > 0) close();
    }
  } else {
    for (const event of events) {
      const group = groupOf(spec, event);
      for (const bounds of fixedWindowsOf(window, event.timestamp)) add(bounds, group, event);
    }
  }

  const rows: OracleRow[] = [...buckets.values()].map((b) => ({
    windowStart: b.bounds.start,
    windowEnd: b.bounds.end,
    group: b.group,
    value: aggregateValue(spec, b.events),
    eventCount: b.events.length,
  }));
  return rows.sort(compareRows);
}

// ---- the entry points -----------------------------------------------------------------------

function eventKey(event: OracleEvent): string {
  return `${event.event_id}\u0000${event.timestamp}`;
}

/** The expected rows and late events of one aggregation, from the events in arrival order. */
export function computeOracle(
  spec: AggregationSpec,
  arrivalOrder: readonly OracleEvent[],
): OracleResult {
  const late = lateEvents(spec, arrivalOrder);
  const lateIndexes = new Set(late.map((l) => l.arrivalIndex));
  const onTime = arrivalOrder.filter((_, i) => !lateIndexes.has(i));
  return { rows: aggregateAll(spec, onTime), late };
}

/**
 * The expected rows of one aggregation: late events (judged against `options.arrivalOrder`,
 * by default `events` as given) are left out; every other event counts.
 */
export function expectedAggregates(
  spec: AggregationSpec,
  events: readonly OracleEvent[],
  options: ExpectedAggregatesOptions = {},
): OracleRow[] {
  const arrival = options.arrivalOrder ?? events;
  if (arrival !== events) {
    // The arrival order must be a permutation of the events: same multiset of (id, time).
    const counts = new Map<string, number>();
    for (const e of events) counts.set(eventKey(e), (counts.get(eventKey(e)) ?? 0) + 1);
    for (const e of arrival) {
      const n = counts.get(eventKey(e)) ?? 0;
      if (n === 0) {
        throw new Error(`oracle: arrivalOrder has event ${e.event_id} that events lacks`);
      }
      counts.set(eventKey(e), n - 1);
    }
    if (arrival.length !== events.length) {
      throw new Error('oracle: arrivalOrder is not a permutation of events');
    }
  }
  return computeOracle(spec, arrival).rows;
}

/** A generated event tagged with its type, as the generator streams it. */
export interface TypedOracleEvent {
  readonly eventType: string;
  readonly event: OracleEvent;
}

/**
 * Every aggregation of a domain model, from all generated events in arrival order: each
 * aggregation sees the events of its own event type only.
 */
export function expectedForModel(
  model: Pick<DomainModel, 'aggregations'>,
  arrivalOrder: readonly TypedOracleEvent[],
): Map<string, OracleResult> {
  const results = new Map<string, OracleResult>();
  for (const spec of model.aggregations) {
    const own = arrivalOrder.filter((g) => g.eventType === spec.eventType).map((g) => g.event);
    results.set(spec.name, computeOracle(spec, own));
  }
  return results;
}
