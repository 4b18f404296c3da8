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

/**
 * The identity of a row (its key columns) as one comparable string: equal for equal key
 * values, different for different ones. Each part is its text with its length before it, a
 * number its decimal digits, anything else its JSON with its length; no array and no JSON
 * for the common keys (an event's id and time), which `JSON.stringify` made a fifth of the
 * write plan's cost.
 */
export function rowKey(
  schema: TableSchema,
  value: Readonly<Record<string, unknown>>,
): string | undefined {
  const columns = schema.key;
  if (columns.length === 1) {
    // One key column holds one type: its value alone is the identity.
    const v = value[columns[0] as string];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : keyPart(v);
  }
  let key = '';
  for (let i = 0; i < columns.length; i++) {
    const v = value[columns[i] as string];
    if (v === undefined || v === null) return undefined;
    key += keyPart(v);
  }
  return key;
}

/** One key value as a self-delimiting part of `rowKey`. */
function keyPart(v: unknown): string {
  const part = typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.getTime() : v;
  if (typeof part === 'string') return `${part.length}:${part}`;
  // A number's text is digits, '-', '.', 'e', '+', "NaN" or "Infinity": never ';'.
  if (typeof part === 'number') return `n${part};`;
  const json = JSON.stringify(part) ?? String(part);
  return `j${json.length}:${json}`;
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
