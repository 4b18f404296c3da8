import type { AggregationType } from '@platform/contracts';
import type { PickedEvent, SerializedAccumulator } from './accumulators';
import type { JsonValue } from './types';
import { WindowingError } from './windowing.error';

/** The state of one window for one group, as JSON. */
export interface SerializedWindowState {
  readonly kind: 'window';
  readonly start: number;
  readonly end: number;
  /** The group-by values, in `groupBy` order. */
  readonly group: readonly JsonValue[];
  readonly eventCount: number;
  /** The version last emitted; 0 while the window has not fired. */
  readonly version: number;
  /** One per accumulator, in spec order. */
  readonly accumulators: readonly SerializedAccumulator[];
}

/** The engine's clock: restorable like any window, under the key `CLOCK_KEY`. */
export interface SerializedClockState {
  readonly kind: 'clock';
  /** Identifies the spec the state was written under; restoring under another one fails. */
  readonly fingerprint: string;
  /** `null` before the first event (or once closed). */
  readonly watermark: number | null;
  /** True after `flush()`: the watermark is at the end of time. */
  readonly closed: boolean;
}

export type SerializedState = SerializedWindowState | SerializedClockState;

/** One record of the compacted changelog: `value: null` is a tombstone. */
export interface StateEntry {
  readonly key: string;
  readonly value: SerializedState | null;
}

/** The whole engine state; equal states give byte-equal `JSON.stringify` output. */
export interface EngineSnapshot {
  readonly format: 1;
  readonly clock: SerializedClockState;
  /** Sorted by (start, group key). */
  readonly windows: readonly SerializedWindowState[];
}

/** The changelog key of the engine clock (window keys start with `w/`). */
export const CLOCK_KEY = 'clock';

/** The changelog key of a window: `w/<start>/<canonical JSON of the group values>`. */
export function windowKey(start: number, groupKey: string): string {
  return `w/${start}/${groupKey}`;
}

type Path = string;

function fail(path: Path, expected: string): never {
  throw new WindowingError('INVALID_STATE', `${path}: expected ${expected}`);
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, path: Path): Readonly<Record<string, unknown>> {
  return isRecord(value) ? value : fail(path, 'an object');
}

function finite(value: unknown, path: Path): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : fail(path, 'a finite number');
}

function count(value: unknown, path: Path): number {
  return Number.isSafeInteger(value) && (value as number) >= 0
    ? (value as number)
    : fail(path, 'a non-negative integer');
}

function array(value: unknown, path: Path): readonly unknown[] {
  return Array.isArray(value) ? value : fail(path, 'an array');
}

function json(value: unknown, path: Path): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return finite(value, path);
  if (Array.isArray(value)) return value.map((v, i) => json(v, `${path}[${i}]`));
  const obj = record(value, path);
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(obj)) out[key] = json(obj[key], `${path}.${key}`);
  return out;
}

function pick(value: unknown, path: Path): PickedEvent | null {
  if (value === null) return null;
  const obj = record(value, path);
  const eventId = obj['eventId'];
  return {
    timestamp: finite(obj['timestamp'], `${path}.timestamp`),
    eventId: typeof eventId === 'string' ? eventId : fail(`${path}.eventId`, 'a string'),
    value: json(obj['value'], `${path}.value`),
  };
}

function accumulator(value: unknown, expected: AggregationType, path: Path): SerializedAccumulator {
  const obj = record(value, path);
  if (obj['type'] !== expected) fail(`${path}.type`, `"${expected}"`);
  switch (expected) {
    case 'count':
      return { type: expected };
    case 'count_distinct':
      return {
        type: expected,
        values: array(obj['values'], `${path}.values`).map((v, i) =>
          typeof v === 'string' ? v : fail(`${path}.values[${i}]`, 'a string'),
        ),
      };
    case 'sum':
    case 'avg':
      return {
        type: expected,
        n: count(obj['n'], `${path}.n`),
        partials: array(obj['partials'], `${path}.partials`).map((v, i) =>
          finite(v, `${path}.partials[${i}]`),
        ),
      };
    case 'min':
    case 'max':
      return {
        type: expected,
        value: obj['value'] === null ? null : finite(obj['value'], `${path}.value`),
      };
    case 'first':
    case 'last':
      return { type: expected, pick: pick(obj['pick'], `${path}.pick`) };
  }
}

/** Parses a window state read back from JSON; `types` are the engine's accumulator types. */
export function parseWindowState(
  value: unknown,
  types: readonly AggregationType[],
  groupSize: number,
  path: Path,
): SerializedWindowState {
  const obj = record(value, path);
  if (obj['kind'] !== 'window') fail(`${path}.kind`, '"window"');
  const group = array(obj['group'], `${path}.group`).map((v, i) => json(v, `${path}.group[${i}]`));
  if (group.length !== groupSize) fail(`${path}.group`, `${groupSize} group-by values`);
  const accumulators = array(obj['accumulators'], `${path}.accumulators`);
  if (accumulators.length !== types.length) {
    fail(`${path}.accumulators`, `${types.length} accumulators`);
  }
  const start = finite(obj['start'], `${path}.start`);
  const end = finite(obj['end'], `${path}.end`);
  if (end <= start) fail(`${path}.end`, 'a number greater than start');
  return {
    kind: 'window',
    start,
    end,
    group,
    eventCount: count(obj['eventCount'], `${path}.eventCount`),
    version: count(obj['version'], `${path}.version`),
    accumulators: accumulators.map((a, i) =>
      accumulator(a, types[i], `${path}.accumulators[${i}]`),
    ),
  };
}

export function parseClockState(value: unknown, path: Path): SerializedClockState {
  const obj = record(value, path);
  if (obj['kind'] !== 'clock') fail(`${path}.kind`, '"clock"');
  const fingerprint = obj['fingerprint'];
  const closed = obj['closed'];
  return {
    kind: 'clock',
    fingerprint:
      typeof fingerprint === 'string' ? fingerprint : fail(`${path}.fingerprint`, 'a string'),
    watermark: obj['watermark'] === null ? null : finite(obj['watermark'], `${path}.watermark`),
    closed: typeof closed === 'boolean' ? closed : fail(`${path}.closed`, 'a boolean'),
  };
}

export function parseSnapshot(
  value: unknown,
  types: readonly AggregationType[],
  groupSize: number,
): EngineSnapshot {
  const obj = record(value, 'snapshot');
  if (obj['format'] !== 1) fail('snapshot.format', '1');
  return {
    format: 1,
    clock: parseClockState(obj['clock'], 'snapshot.clock'),
    windows: array(obj['windows'], 'snapshot.windows').map((w, i) =>
      parseWindowState(w, types, groupSize, `snapshot.windows[${i}]`),
    ),
  };
}
