// Result → Avro record mapping: pure.
import {
  AGGREGATE_EVENT_COUNT_FIELD,
  AGGREGATE_VALUE_FIELD,
  AGGREGATE_VERSION_FIELD,
  AGGREGATE_WINDOW_END_FIELD,
  AGGREGATE_WINDOW_START_FIELD,
} from '@platform/schema-registry';
import type { AggregationSpec } from '@platform/contracts';
import type { JsonValue, RetractedWindow, WindowResult } from '@platform/windowing';

export type AggregateRecord = Readonly<Record<string, JsonValue>>;

/** Why a result cannot be written with the aggregate schema (e.g. a sum with no numbers). */
export class RecordMappingError extends Error {
  override readonly name = 'RecordMappingError';
  readonly code = 'UNREPRESENTABLE_VALUE';
  readonly retriable = false;
}

const NUMERIC_TYPES = new Set(['count', 'count_distinct', 'sum', 'avg', 'min', 'max']);

function base(
  spec: AggregationSpec,
  row: Pick<WindowResult, 'windowStart' | 'windowEnd' | 'group'>,
): Record<string, JsonValue> {
  const record: Record<string, JsonValue> = {
    [AGGREGATE_WINDOW_START_FIELD]: row.windowStart,
    [AGGREGATE_WINDOW_END_FIELD]: row.windowEnd,
  };
  for (const field of spec.groupBy) record[field] = row.group[field] ?? null;
  return record;
}

/** An emitted window as the record of `generateAggregateSchema(spec, model)`. */
export function resultToRecord(spec: AggregationSpec, row: WindowResult): AggregateRecord {
  if (NUMERIC_TYPES.has(spec.type) && typeof row.value !== 'number') {
    throw new RecordMappingError(
      `${spec.name}: window [${row.windowStart},${row.windowEnd}) has no numeric ${spec.type} (value ${JSON.stringify(row.value)}); the aggregate schema requires a number`,
    );
  }
  return {
    ...base(spec, row),
    [AGGREGATE_VALUE_FIELD]: row.value,
    [AGGREGATE_VERSION_FIELD]: row.version,
    [AGGREGATE_EVENT_COUNT_FIELD]: row.eventCount,
  };
}

/**
 * A retraction as a record of the same schema: the bounds, group and last version of the
 * row to delete, value 0 (or null where the schema allows it) and event_count 0. The
 * `aggregate.retracted: true` header is what marks it (the sink-writer's contract).
 */
export function retractionToRecord(spec: AggregationSpec, gone: RetractedWindow): AggregateRecord {
  return {
    ...base(spec, gone),
    [AGGREGATE_VALUE_FIELD]: NUMERIC_TYPES.has(spec.type) ? 0 : null,
    [AGGREGATE_VERSION_FIELD]: gone.version,
    [AGGREGATE_EVENT_COUNT_FIELD]: 0,
  };
}
