// What the aggregator knows of one aggregation once its topics exist: pure data.
import type { AggregationSpec } from '@platform/contracts';
import type * as avro from 'avsc';
import type { AvroRecordSchema } from '@platform/schema-registry';
import { Combiner } from '@platform/windowing';

/** Decodes a framed event (its writer schema loaded); throws when it cannot. */
export type EventDecoder = (value: Buffer) => unknown;

export interface Plan {
  readonly spec: AggregationSpec;
  readonly sourceTopic: string;
  readonly sourcePartitions: number;
  readonly repartitionTopic: string;
  readonly partitions: number;
  readonly changelogTopic: string;
  readonly outputTopic: string;
  readonly lateTopic: string;
  readonly schema: AvroRecordSchema;
  /** `schema` parsed once: encoding with it skips a parse (or a JSON key) per row. */
  readonly schemaType: avro.Type;
  schemaId: number;
  /** Decodes the fields this aggregation reads, for events forwarded whole. */
  readonly decode: EventDecoder;
}

/**
 * The event fields that aggregations read: identity and time (validity, first/last order),
 * their group-by fields and their field. Events are decoded to these alone.
 */
export function fieldsRead(specs: readonly AggregationSpec[]): string[] {
  const fields = new Set(['event_id', 'timestamp']);
  for (const spec of specs) {
    for (const field of spec.groupBy) fields.add(field);
    if (spec.field !== undefined) fields.add(spec.field);
  }
  return [...fields];
}

/** The combiner of a source task for one aggregation: its partials per group and pane. */
export const combinerOf = (plan: Plan): Combiner =>
  new Combiner(plan.spec.window, plan.spec.groupBy, [
    { name: plan.spec.name, type: plan.spec.type, field: plan.spec.field },
  ]);
