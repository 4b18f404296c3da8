import type { AggregationSpec, AggregationType, WindowSpec } from '@platform/contracts';
import {
  AccumulatorState,
  accumulatorValue,
  createAccumulator,
  deserializeAccumulator,
  serializeAccumulator,
} from './accumulators';
import { earliestWindowEnd, isLate, isWindowClosed, isWindowComplete } from './assigners';
import { canonicalJson, compareStrings, toJsonValue } from './canonical';
import { MinHeap } from './min-heap';
import {
  Combiner,
  mergeInterval,
  mergePartial,
  windowsOfPane,
  type PartialAggregate,
} from './partials';
import {
  CLOCK_KEY,
  EngineSnapshot,
  SerializedClockState,
  SerializedWindowState,
  StateEntry,
  isRecord,
  parseClockState,
  parseSnapshot,
  parseWindowState,
  windowKey,
} from './state';
import type {
  AccumulatorSpec,
  InvalidEvent,
  JsonValue,
  LateEvent,
  ProcessResult,
  RefusedPartial,
  RetractedWindow,
  WindowBounds,
  WindowEngineOptions,
  WindowEvent,
  WindowResult,
} from './types';
import { WindowingError } from './windowing.error';

/** The live state of one window for one group. */
interface Slot {
  key: string;
  start: number;
  end: number;
  readonly groupKey: string;
  readonly group: readonly JsonValue[];
  eventCount: number;
  /** The version last emitted (0: never). */
  version: number;
  readonly accumulators: AccumulatorState[];
  /** Changed since its last emission. */
  dirty: boolean;
  /** The bounds of the last emission, while a sink still holds that row. */
  emitted: WindowBounds | null;
}

interface QueueEntry {
  readonly key: string;
  readonly end: number;
}

/** One call's output under construction. */
interface Batch {
  readonly touched: Set<Slot>;
  readonly retracted: RetractedWindow[];
  readonly late: LateEvent[];
  readonly invalid: InvalidEvent[];
  readonly refused: RefusedPartial[];
}

function newBatch(): Batch {
  return { touched: new Set(), retracted: [], late: [], invalid: [], refused: [] };
}

function describeWatermark(w: number): string {
  return w === Infinity ? 'end of input' : String(w);
}

function validateSpec(
  spec: AggregationSpec,
  accumulators: readonly AccumulatorSpec[],
  multi: boolean,
): void {
  const problems: string[] = [];
  const w = spec.window;
  const positive = (value: number, name: string): void => {
    if (!(Number.isFinite(value) && value > 0)) problems.push(`window.${name} must be > 0`);
  };
  const nonNegative = (value: number, name: string): void => {
    if (!(Number.isFinite(value) && value >= 0)) problems.push(`window.${name} must be >= 0`);
  };
  switch (w.type) {
    case 'tumbling':
      positive(w.sizeMs, 'sizeMs');
      break;
    case 'sliding':
      positive(w.sizeMs, 'sizeMs');
      positive(w.slideMs, 'slideMs');
      if (w.slideMs > w.sizeMs) problems.push('window.slideMs must not exceed window.sizeMs');
      break;
    case 'session':
      positive(w.gapMs, 'gapMs');
      break;
    default:
      problems.push(`window.type "${(w as { type: unknown }).type}" is not supported`);
  }
  nonNegative(w.allowedLatenessMs, 'allowedLatenessMs');
  nonNegative(w.outOfOrdernessMs, 'outOfOrdernessMs');
  if (accumulators.length === 0) problems.push('accumulators must not be empty');
  const names = new Set<string>();
  for (const acc of accumulators) {
    const label = multi ? `accumulator "${acc.name}"` : `aggregation "${spec.name}"`;
    if (acc.type !== 'count' && (acc.field === undefined || acc.field === '')) {
      problems.push(`${label} of type ${acc.type} needs a field`);
    }
    if (multi && (acc.name === '' || names.has(acc.name))) {
      problems.push(`accumulator names must be unique and non-empty ("${acc.name}")`);
    }
    names.add(acc.name);
  }
  if (problems.length > 0) {
    throw new WindowingError('INVALID_SPEC', `${spec.name}: ${problems.join('; ')}`);
  }
}

/**
 * A pure event-time window engine for one aggregation. It performs no I/O and reads no
 * clock: time comes only from the events and from explicit `advanceWatermark` / `flush`
 * calls. Each call returns what changed; the shell writes it.
 *
 * The watermark belongs to the engine instance, so one engine serves one set of partitions:
 * it is the maximum event time the engine has seen minus `outOfOrdernessMs` (see the
 * README for the exact lateness and emission rules).
 */
export class WindowEngine {
  readonly spec: AggregationSpec;
  private readonly window: WindowSpec;
  private readonly accumulatorSpecs: readonly AccumulatorSpec[];
  private readonly multi: boolean;
  private readonly externalWatermark: boolean;
  private readonly fingerprint: string;

  private wm = -Infinity;
  private readonly slots = new Map<string, Slot>();
  /** Session windows per group key, sorted by start (disjoint, so also by end). */
  private readonly sessions = new Map<string, Slot[]>();
  private readonly fireQueue = new MinHeap<QueueEntry>();
  private readonly purgeQueue = new MinHeap<QueueEntry>();
  private readonly changed = new Set<string>();

  constructor(spec: AggregationSpec, options: WindowEngineOptions = {}) {
    this.spec = spec;
    this.window = spec.window;
    this.multi = options.accumulators !== undefined;
    this.accumulatorSpecs = options.accumulators ?? [
      { name: spec.name, type: spec.type, field: spec.field },
    ];
    this.externalWatermark = options.watermark === 'external';
    validateSpec(spec, this.accumulatorSpecs, this.multi);
    // What the stored state means: window shape, grouping and accumulators. Lateness and
    // out-of-orderness are left out on purpose: changing them keeps the state valid.
    const { allowedLatenessMs: _lateness, outOfOrdernessMs: _ooo, ...shape } = spec.window;
    this.fingerprint = canonicalJson(
      toJsonValue({
        window: shape,
        groupBy: spec.groupBy,
        accumulators: this.accumulatorSpecs.map((a) => ({
          name: this.multi ? a.name : null,
          type: a.type,
          field: a.type === 'count' ? null : (a.field ?? null),
        })),
      }),
    );
  }

  /** Rebuilds an engine from `snapshot()` output (already parsed from JSON or not). */
  static restore(
    spec: AggregationSpec,
    snapshot: unknown,
    options: WindowEngineOptions = {},
  ): WindowEngine {
    const engine = new WindowEngine(spec, options);
    // The clock first: state written under another spec fails as such, not as corrupt.
    const clock = isRecord(snapshot) ? snapshot['clock'] : undefined;
    engine.applyClock(parseClockState(clock, 'snapshot.clock'));
    const parsed = parseSnapshot(snapshot, engine.accumulatorTypes(), spec.groupBy.length);
    for (const state of parsed.windows) engine.putWindow(state, null);
    engine.rebuildIndexes();
    return engine;
  }

  /** Rebuilds an engine from a compacted changelog (see `restoreEntries`). */
  static fromEntries(
    spec: AggregationSpec,
    entries: readonly { readonly key: string; readonly value: unknown }[],
    options: WindowEngineOptions = {},
  ): WindowEngine {
    const engine = new WindowEngine(spec, options);
    engine.restoreEntries(entries);
    return engine;
  }

  /** The current watermark: -Infinity before the first event, +Infinity after `flush()`. */
  get watermark(): number {
    return this.wm;
  }

  /**
   * Assigns, accumulates and emits one batch of events, in the order given: each is judged
   * late or not against the watermark its predecessors left, then the on-time ones are
   * combined per (group, pane) and merged.
   */
  process(events: readonly WindowEvent[]): ProcessResult {
    const batch = newBatch();
    const combiner = new Combiner(this.window, this.spec.groupBy, this.accumulatorSpecs);
    for (const event of events) {
      const problem = this.validateEvent(event);
      if (problem !== null) {
        batch.invalid.push({ event, reason: problem });
        continue;
      }
      const t = event.timestamp;
      if (isLate(this.window, t, this.wm)) {
        batch.late.push({ event, reason: this.lateReason(t), watermark: this.wm });
        continue;
      }
      combiner.add(event);
      if (!this.externalWatermark) this.setWatermark(t - this.window.outOfOrdernessMs);
    }
    for (const partial of combiner.drain()) this.mergeOne(partial, batch);
    return this.settle(batch);
  }

  /**
   * Merges partials that a combiner built elsewhere (see `Combiner`), then emits what
   * changed. The caller vouches that none is late; one whose window has closed anyway is
   * refused (it would reopen a window a sink already holds as final) and changes nothing.
   */
  mergePartials(partials: readonly PartialAggregate[]): ProcessResult {
    const batch = newBatch();
    for (const partial of partials) {
      if (isLate(this.window, partial.start, this.wm)) {
        batch.refused.push({
          partial,
          reason: `partial [${partial.start},${partial.end}) arrived after its window closed at watermark ${describeWatermark(this.wm)}`,
        });
        continue;
      }
      this.mergeOne(partial, batch);
    }
    return this.settle(batch);
  }

  /**
   * Moves the watermark forward to `watermark` (never back) and emits what that completes:
   * for idle partitions, or for a shell that computes its own watermark.
   */
  advanceWatermark(watermark: number): ProcessResult {
    if (Number.isNaN(watermark)) {
      throw new WindowingError('INVALID_ARGUMENT', 'advanceWatermark needs a number, got NaN');
    }
    this.setWatermark(watermark);
    return this.settle(newBatch());
  }

  /**
   * End of input (run-once): moves the watermark to +Infinity, emits every window that has
   * not been emitted in its final form and drops all state. Later events are late.
   */
  flush(): ProcessResult {
    return this.advanceWatermark(Infinity);
  }

  /** The whole state, JSON-serializable and deterministic. */
  snapshot(): EngineSnapshot {
    const windows = [...this.slots.values()]
      .sort((a, b) => a.start - b.start || compareStrings(a.groupKey, b.groupKey))
      .map((slot) => this.serializeSlot(slot));
    return { format: 1, clock: this.serializeClock(), windows };
  }

  /** The state keys changed since the last `takeChangelog()` (or construction), sorted. */
  changedKeys(): readonly string[] {
    return [...this.changed].sort(compareStrings);
  }

  /** The current state under each key: `null` (a tombstone) when the window is gone. */
  stateEntries(keys: readonly string[]): readonly StateEntry[] {
    return keys.map((key) => {
      if (key === CLOCK_KEY) return { key, value: this.serializeClock() };
      const slot = this.slots.get(key);
      return { key, value: slot === undefined ? null : this.serializeSlot(slot) };
    });
  }

  /** `stateEntries(changedKeys())`, and forgets the changes: what to write to the changelog. */
  takeChangelog(): readonly StateEntry[] {
    const entries = this.stateEntries(this.changedKeys());
    this.changed.clear();
    return entries;
  }

  /**
   * Applies changelog records in order (a later record for a key wins; `null` deletes),
   * then rebuilds the indexes. Pass a whole compacted changelog in one call, before
   * processing. Restored keys do not count as changed.
   */
  restoreEntries(entries: readonly { readonly key: string; readonly value: unknown }[]): void {
    const types = this.accumulatorTypes();
    // The clock first, wherever compaction left it: a spec mismatch fails as such.
    const clock = [...entries].reverse().find((e) => e.key === CLOCK_KEY && e.value !== null);
    if (clock !== undefined) this.applyClock(parseClockState(clock.value, CLOCK_KEY));
    entries.forEach(({ key, value }, i) => {
      const path = `entries[${i}] (${key})`;
      if (key === CLOCK_KEY) {
        if (value === null) this.wm = -Infinity;
        else this.applyClock(parseClockState(value, path));
      } else if (value === null) {
        this.slots.delete(key);
      } else {
        this.putWindow(parseWindowState(value, types, this.spec.groupBy.length, path), key);
      }
    });
    this.rebuildIndexes();
  }

  // ---- processing -------------------------------------------------------------------------

  private mergeOne(partial: PartialAggregate, batch: Batch): void {
    if (this.window.type === 'session') {
      this.mergeSession(partial, batch);
      return;
    }
    for (const bounds of windowsOfPane(this.window, partial.start, partial.end)) {
      const slot = this.fixedSlot(bounds, partial.groupKey, partial.group);
      mergePartial(slot, partial);
      this.touch(slot, batch);
    }
  }

  private validateEvent(event: WindowEvent): string | null {
    if (typeof event !== 'object' || event === null) return 'event is not an object';
    if (typeof event.event_id !== 'string') return 'event_id must be a string';
    if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      return 'timestamp must be a finite number of epoch milliseconds';
    }
    return null;
  }

  private lateReason(t: number): string {
    const w = describeWatermark(this.wm);
    const lateness = this.window.allowedLatenessMs;
    if (this.window.type === 'session') {
      return `event time ${t} is more than the allowed lateness (${lateness} ms) behind watermark ${w}; the sessions it could join are closed`;
    }
    const end = earliestWindowEnd(this.window, t);
    const start = end - this.window.sizeMs;
    return `window [${start},${end}) closed at watermark ${w} (allowed lateness ${lateness} ms)`;
  }

  private setWatermark(w: number): void {
    if (w > this.wm) {
      this.wm = w;
      this.changed.add(CLOCK_KEY);
    }
  }

  private makeSlot(
    start: number,
    end: number,
    groupKey: string,
    group: readonly JsonValue[],
  ): Slot {
    return {
      key: windowKey(start, groupKey),
      start,
      end,
      groupKey,
      group,
      eventCount: 0,
      version: 0,
      accumulators: this.accumulatorSpecs.map((a) => createAccumulator(a.type)),
      dirty: true,
      emitted: null,
    };
  }

  private newSlot(start: number, end: number, groupKey: string, group: readonly JsonValue[]): Slot {
    const slot = this.makeSlot(start, end, groupKey, group);
    this.slots.set(slot.key, slot);
    this.enqueue(slot);
    return slot;
  }

  private enqueue(slot: Slot): void {
    const entry = { key: slot.key, end: slot.end };
    if (!isWindowComplete(this.window, slot.end, this.wm)) this.fireQueue.push(slot.end, entry);
    this.purgeQueue.push(slot.end, entry);
  }

  private fixedSlot(bounds: WindowBounds, groupKey: string, group: readonly JsonValue[]): Slot {
    return (
      this.slots.get(windowKey(bounds.start, groupKey)) ??
      this.newSlot(bounds.start, bounds.end, groupKey, group)
    );
  }

  private touch(slot: Slot, batch: Batch): void {
    slot.dirty = true;
    batch.touched.add(slot);
    this.changed.add(slot.key);
  }

  /**
   * Puts a session partial into its group's sessions, merging every session it touches
   * into one (touching sessions merge; see `mergeInterval`). An absorbed session that was
   * emitted is retracted; a session whose start moved changes key.
   */
  private mergeSession(partial: PartialAggregate, batch: Batch): void {
    let list = this.sessions.get(partial.groupKey);
    if (list === undefined) this.sessions.set(partial.groupKey, (list = []));
    const incoming = this.makeSlot(partial.start, partial.end, partial.groupKey, partial.group);
    // The bounds an existing session had before it grew: merge runs before bounds change.
    let before = null as WindowBounds | null;
    const { target, absorbed } = mergeInterval(list, incoming, (into, from) => {
      before ??= { start: into.start, end: into.end };
      mergePartial(into, from);
      into.version = Math.max(into.version, from.version);
    });
    mergePartial(target, partial);
    for (const other of absorbed) {
      if (other.emitted !== null) batch.retracted.push(this.retraction(other, other.emitted));
      this.slots.delete(other.key);
      this.changed.add(other.key);
    }
    if (target === incoming) {
      this.slots.set(target.key, target);
      this.enqueue(target);
    } else if (before !== null && (before.start !== target.start || before.end !== target.end)) {
      if (before.start !== target.start) {
        this.slots.delete(target.key);
        this.changed.add(target.key);
        target.key = windowKey(target.start, target.groupKey);
        this.slots.set(target.key, target);
      }
      this.enqueue(target);
    }
    this.touch(target, batch);
  }

  /**
   * Ends a call: emits every changed window the watermark has passed, signals retracted
   * sessions, then drops closed windows. Emission comes first, so a window that completes
   * and closes in the same call is still emitted.
   */
  private settle(batch: Batch): ProcessResult {
    const candidates = new Set<Slot>();
    for (const slot of batch.touched) if (this.slots.get(slot.key) === slot) candidates.add(slot);
    for (;;) {
      const end = this.fireQueue.peekPriority();
      if (end === undefined || !isWindowComplete(this.window, end, this.wm)) break;
      const entry = this.fireQueue.pop() as QueueEntry;
      const slot = this.slots.get(entry.key);
      if (slot !== undefined && slot.end === entry.end) candidates.add(slot);
    }

    const retracted = [...batch.retracted];
    const updates: WindowResult[] = [];
    for (const slot of candidates) {
      const emitted = slot.emitted;
      if (emitted !== null && (emitted.start !== slot.start || emitted.end !== slot.end)) {
        retracted.push(this.retraction(slot, emitted));
        slot.emitted = null;
      }
      if (slot.dirty && isWindowComplete(this.window, slot.end, this.wm)) {
        slot.version += 1;
        slot.dirty = false;
        slot.emitted = { start: slot.start, end: slot.end };
        this.changed.add(slot.key);
        updates.push(this.result(slot));
      }
    }

    for (;;) {
      const end = this.purgeQueue.peekPriority();
      if (end === undefined || !isWindowClosed(this.window, end, this.wm)) break;
      const entry = this.purgeQueue.pop() as QueueEntry;
      const slot = this.slots.get(entry.key);
      if (slot !== undefined && slot.end === entry.end) this.drop(slot);
    }

    const sort = <T extends WindowResult | RetractedWindow>(rows: readonly T[]): T[] =>
      rows
        .map((row) => ({ row, key: canonicalJson(row.group) }))
        .sort(
          (a, b) =>
            a.row.windowStart - b.row.windowStart ||
            a.row.windowEnd - b.row.windowEnd ||
            compareStrings(a.key, b.key),
        )
        .map(({ row }) => row);
    return {
      updates: sort(updates),
      retracted: sort(retracted),
      late: batch.late,
      invalid: batch.invalid,
      refused: batch.refused,
    };
  }

  private drop(slot: Slot): void {
    this.slots.delete(slot.key);
    this.changed.add(slot.key);
    const list = this.sessions.get(slot.groupKey);
    if (list === undefined) return;
    const i = list.indexOf(slot);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.sessions.delete(slot.groupKey);
  }

  // ---- results and state -----------------------------------------------------------------

  private groupRecord(group: readonly JsonValue[]): Readonly<Record<string, JsonValue>> {
    const record: Record<string, JsonValue> = {};
    this.spec.groupBy.forEach((field, i) => (record[field] = group[i]));
    return record;
  }

  private result(slot: Slot): WindowResult {
    let value: JsonValue;
    if (this.multi) {
      const record: Record<string, JsonValue> = {};
      this.accumulatorSpecs.forEach(
        (a, i) => (record[a.name] = accumulatorValue(slot.accumulators[i], slot.eventCount)),
      );
      value = record;
    } else {
      value = accumulatorValue(slot.accumulators[0], slot.eventCount);
    }
    return {
      aggregation: this.spec.name,
      windowStart: slot.start,
      windowEnd: slot.end,
      group: this.groupRecord(slot.group),
      value,
      eventCount: slot.eventCount,
      version: slot.version,
    };
  }

  private retraction(slot: Slot, bounds: WindowBounds): RetractedWindow {
    return {
      aggregation: this.spec.name,
      windowStart: bounds.start,
      windowEnd: bounds.end,
      group: this.groupRecord(slot.group),
      version: slot.version,
    };
  }

  private accumulatorTypes(): AggregationType[] {
    return this.accumulatorSpecs.map((a) => a.type);
  }

  private serializeClock(): SerializedClockState {
    return {
      kind: 'clock',
      fingerprint: this.fingerprint,
      watermark: Number.isFinite(this.wm) ? this.wm : null,
      closed: this.wm === Infinity,
    };
  }

  private serializeSlot(slot: Slot): SerializedWindowState {
    return {
      kind: 'window',
      start: slot.start,
      end: slot.end,
      group: slot.group,
      eventCount: slot.eventCount,
      version: slot.version,
      accumulators: slot.accumulators.map(serializeAccumulator),
    };
  }

  private applyClock(clock: SerializedClockState): void {
    if (clock.fingerprint !== this.fingerprint) {
      throw new WindowingError(
        'STATE_SPEC_MISMATCH',
        `${this.spec.name}: state was written under ${clock.fingerprint}, this engine runs ${this.fingerprint}`,
      );
    }
    this.wm = clock.closed ? Infinity : (clock.watermark ?? -Infinity);
  }

  private putWindow(state: SerializedWindowState, expectedKey: string | null): void {
    const groupKey = canonicalJson(state.group);
    const key = windowKey(state.start, groupKey);
    if (expectedKey !== null && expectedKey !== key) {
      throw new WindowingError(
        'INVALID_STATE',
        `changelog key ${expectedKey} does not match its window (${key})`,
      );
    }
    this.slots.set(key, {
      key,
      start: state.start,
      end: state.end,
      groupKey,
      group: state.group,
      eventCount: state.eventCount,
      version: state.version,
      accumulators: state.accumulators.map(deserializeAccumulator),
      dirty: false,
      emitted: null,
    });
  }

  /**
   * Between calls every window the watermark has passed was emitted in its current bounds,
   * and every other window is waiting to fire; so `dirty` and `emitted` follow from the
   * watermark and need not be stored.
   */
  private rebuildIndexes(): void {
    this.sessions.clear();
    this.fireQueue.clear();
    this.purgeQueue.clear();
    const ordered = [...this.slots.values()].sort(
      (a, b) => a.start - b.start || compareStrings(a.groupKey, b.groupKey),
    );
    for (const slot of ordered) {
      const complete = isWindowComplete(this.window, slot.end, this.wm);
      slot.dirty = !complete;
      slot.emitted = complete ? { start: slot.start, end: slot.end } : null;
      this.enqueue(slot);
      if (this.window.type === 'session') {
        const list = this.sessions.get(slot.groupKey) ?? [];
        list.push(slot);
        this.sessions.set(slot.groupKey, list);
      }
    }
  }
}
