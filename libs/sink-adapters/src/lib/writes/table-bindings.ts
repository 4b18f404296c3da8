import {
  aggregateTable,
  aggregateTopic,
  eventTable,
  eventTopic,
  type DomainModel,
  type TopicPrefixes,
} from '@platform/contracts';
import type { SinkValue, TableSchema } from '../sink.port';
import { aggregateTableSchema, eventTableSchema } from '../table-schema';

/** The inputs of a sink writer: raw events (`<events>.*`) and aggregates (`<aggregates>.*`). */
export const SINK_STREAMS = ['events', 'aggregates'] as const;
export type SinkStream = (typeof SINK_STREAMS)[number];

/** What a topic's records become: rows of one table. */
export interface TableBinding {
  readonly stream: SinkStream;
  readonly topic: string;
  readonly table: string;
  readonly schema: TableSchema;
  /** Source path in the decoded record → column (`writeBatch`'s column mapping). */
  readonly columnMapping: Readonly<Record<string, string>>;
}

/**
 * One binding per consumed topic, derived from the contract: `<events>.<type>` →
 * `events_<type>` and `<aggregates>.<name>` → `agg_<name>`.
 *
 * Aggregate records (generateAggregateSchema) are flat: `window_start`, `window_end`, the
 * group-by fields, `value`, `version`, `event_count`, so the mapping is the identity; a
 * record shaped as seed 002's `{ window: { start, end } }` maps through the same columns.
 */
export function tableBindings(
  model: DomainModel,
  prefixes: TopicPrefixes,
  streams: readonly SinkStream[],
): ReadonlyMap<string, TableBinding> {
  const out = new Map<string, TableBinding>();
  if (streams.includes('events')) {
    for (const type of model.eventTypes) {
      const schema = eventTableSchema(type, model);
      const topic = eventTopic(prefixes, type.name);
      out.set(topic, {
        stream: 'events',
        topic,
        table: eventTable(type.name),
        schema,
        columnMapping: identity(schema),
      });
    }
  }
  if (streams.includes('aggregates')) {
    for (const aggregation of model.aggregations) {
      const schema = aggregateTableSchema(aggregation, model);
      const topic = aggregateTopic(prefixes, aggregation.name);
      out.set(topic, {
        stream: 'aggregates',
        topic,
        table: aggregateTable(aggregation.name),
        schema,
        columnMapping: identity(schema),
      });
    }
  }
  return out;
}

function identity(schema: TableSchema): Record<string, string> {
  return Object.fromEntries(schema.columns.map((c) => [c.name, c.name]));
}

/** Seed 002's nested window shape, mapped onto the flat columns. */
export function flattenWindow(
  value: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const window = value['window'];
  // Flat already (every event): the value itself, not a copy per record.
  if (typeof window !== 'object' || window === null || 'window_start' in value) return value;
  const { window: _w, ...rest } = value;
  const w = window as Record<string, unknown>;
  return { ...rest, window_start: w['start'], window_end: w['end'] };
}

/** The identity of a row (its key columns) as one comparable string. */
export function rowKey(
  schema: TableSchema,
  value: Readonly<Record<string, unknown>>,
): string | undefined {
  if (schema.key.length === 1) {
    // One key column holds one type: its value alone is the identity (no array, no JSON).
    const v = value[schema.key[0] as string];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : JSON.stringify([keyPart(v)]);
  }
  const parts: unknown[] = [];
  for (const column of schema.key) {
    const v = value[column];
    if (v === undefined || v === null) return undefined;
    parts.push(keyPart(v));
  }
  return JSON.stringify(parts);
}

function keyPart(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.getTime() : v;
}

/** A key column value as the sinks take it. */
export function keyValue(v: unknown): SinkValue {
  if (
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean' ||
    v instanceof Date
  ) {
    return v;
  }
  return null;
}
