// Fixtures for the step functions' unit tests: plans over JSON-encoded events, so that the
// steps run without a registry or Kafka.
import type { AggregationSpec } from '@platform/contracts';
import type { Outbox, StreamRecord } from '@platform/messaging';
import type { AvroRecordSchema } from '@platform/schema-registry';
import type * as avro from 'avsc';
import type { Plan } from '../plan';

export const SOURCE_TOPIC = 'events.page_view';
export const DLQ = 'dlq.aggregator';

/** A tumbling one-minute count per page, with `ooo` out-of-orderness and no allowed lateness. */
export function countSpec(window: Partial<AggregationSpec['window']> = {}): AggregationSpec {
  return {
    name: 'views',
    eventType: 'page_view',
    type: 'count',
    groupBy: ['page'],
    window: {
      type: 'tumbling',
      sizeMs: 60_000,
      allowedLatenessMs: 0,
      outOfOrdernessMs: 0,
      ...window,
    },
  } as unknown as AggregationSpec;
}

export function testPlan(
  spec: AggregationSpec,
  shape: { readonly sourcePartitions?: number; readonly partitions?: number } = {},
): Plan {
  return {
    spec,
    sourceTopic: SOURCE_TOPIC,
    sourcePartitions: shape.sourcePartitions ?? 1,
    repartitionTopic: `aggregator.${spec.name}.repartition`,
    partitions: shape.partitions ?? 1,
    changelogTopic: `aggregator.${spec.name}.changelog`,
    outputTopic: `aggregates.${spec.name}`,
    lateTopic: 'late.page_view',
    // The fixtures encode rows as JSON (`jsonSerde`): no Avro schema is read.
    schema: {} as AvroRecordSchema,
    schemaType: {} as avro.Type,
    schemaId: 7,
    decode: jsonDecode,
  };
}

export const jsonDecode = (value: Buffer): unknown => JSON.parse(value.toString('utf8'));

/** Encodes aggregate rows as JSON: what the row holds, not how Avro frames it. */
export const jsonSerde = {
  encode: (_id: number, _type: avro.Type, record: unknown): Buffer =>
    Buffer.from(JSON.stringify(record)),
};

let offset = 0;

/** An input record holding `event` as JSON (or `value` as it is). */
export function eventRecord(
  event: Record<string, unknown> | Buffer | null,
  extra: Partial<StreamRecord> = {},
): StreamRecord {
  return {
    offset: String(offset++),
    timestamp: '1700000000000',
    key: null,
    value: event === null || Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event)),
    ...extra,
  };
}

export const view = (id: string, timestamp: number, page = '/home'): Record<string, unknown> => ({
  event_id: id,
  timestamp,
  page,
});

/** What a source task sent to one repartition partition, as the stateful task reads it. */
export function recordsFor(
  outbox: Outbox<unknown>,
  topic: string,
  partition: number,
): StreamRecord[] {
  return outbox
    .of(topic)
    .filter((r) => r.partition === partition)
    .map((r) => ({
      offset: String(offset++),
      timestamp: '1700000000000',
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      ...(r.headers === undefined ? {} : { headers: r.headers }),
    }));
}

/** The text of header `name` of a record. */
export const headerOf = (
  r: { headers?: StreamRecord['headers'] },
  name: string,
): string | undefined => {
  const v = r.headers?.[name];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[0] : v);
};
