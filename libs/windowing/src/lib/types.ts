import type { AggregationType } from '@platform/contracts';
import type { PartialAggregate } from './partials';

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * One event as the engine sees it: every event carries `event_id` and `timestamp` (epoch
 * milliseconds, UTC); the other fields are whatever its event type declares.
 */
export interface WindowEvent {
  readonly event_id: string;
  readonly timestamp: number;
  readonly [field: string]: unknown;
}

/** A half-open window `[start, end)` in epoch milliseconds. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/** One accumulator of a multi-accumulator engine (OHLCV: open=first, high=max, ...). */
export interface AccumulatorSpec {
  /** The key of this accumulator's value in the result's `value` record. */
  readonly name: string;
  readonly type: AggregationType;
  /** The aggregated field; ignored by `count`, required by every other type. */
  readonly field?: string;
}

export interface WindowEngineOptions {
  /**
   * Compute several accumulators over each window; `value` is then a record keyed by
   * accumulator name. When absent the engine computes the spec's own `type`/`field` and
   * `value` is that single value.
   */
  readonly accumulators?: readonly AccumulatorSpec[];
  /**
   * `events` (default): the watermark follows the events (max event time seen minus
   * `outOfOrdernessMs`). `external`: only `advanceWatermark` / `flush` move it, for a shell
   * that computes its own watermark (for example the minimum over its partitions).
   */
  readonly watermark?: 'events' | 'external';
}

/** One aggregate row: the value of a window for one group. */
export interface WindowResult {
  readonly aggregation: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The group-by values by field name (`{}` when there is no group-by). */
  readonly group: Readonly<Record<string, JsonValue>>;
  /** A single value, or a record keyed by accumulator name for a multi-accumulator engine. */
  readonly value: JsonValue;
  /** The number of events in the window and group. */
  readonly eventCount: number;
  /** 1 on the first firing, then +1 on each re-emission. */
  readonly version: number;
}

/**
 * A window emitted earlier whose bounds no longer exist (a session that grew or merged);
 * a sink deletes its row. Apply `retracted` before `updates`.
 */
export interface RetractedWindow {
  readonly aggregation: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly group: Readonly<Record<string, JsonValue>>;
  /** The version last emitted for these bounds. */
  readonly version: number;
}

export interface LateEvent {
  readonly event: WindowEvent;
  readonly reason: string;
  /** The watermark the event was judged against. */
  readonly watermark: number;
}

export interface InvalidEvent {
  readonly event: WindowEvent;
  readonly reason: string;
}

/** What one `process`, `advanceWatermark` or `flush` call produced. */
export interface ProcessResult {
  /** Windows emitted or re-emitted by this call, each once, sorted by (start, end, group). */
  readonly updates: readonly WindowResult[];
  /** Previously emitted windows that no longer exist (session windows only). */
  readonly retracted: readonly RetractedWindow[];
  /** Events beyond the allowed lateness; they changed nothing. */
  readonly late: readonly LateEvent[];
  /** Events without a string `event_id` or a finite numeric `timestamp`; they changed nothing. */
  readonly invalid: readonly InvalidEvent[];
  /** Partials given to `mergePartials` whose window had closed; they changed nothing. */
  readonly refused: readonly RefusedPartial[];
}

/** A partial that `mergePartials` could not take. */
export interface RefusedPartial {
  readonly partial: PartialAggregate;
  readonly reason: string;
}
